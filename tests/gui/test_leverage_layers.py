"""View → Leverage layers: the heatmap and the map show only the chosen tiers, and say so."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from gui.leverage_layers import leverage_classes
from tests.gui.conftest import wait_result


def test_high_leverage_layers_only_then_all_again(demo_window, qtbot):
    win = demo_window
    full = win.terminal.result.liquidity
    assert full.ensemble is not None and full.tiers is None
    layers = win.services.kept("leverage_layers")
    assert leverage_classes(win.model.leverages)["High leverage (≥ 50x)"] == (3, 4)
    # Open the toolbar's Layers menu with the mouse and pick "High leverage".
    button = layers.button
    assert button.text() == "Layers"
    QtCore.QTimer.singleShot(300, lambda: (layers.actions["High leverage (≥ 50x)"].trigger(), layers.menu.close()))
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    r = wait_result(qtbot, win, lambda r: r.request.tiers == (3, 4) and r.liquidity is not None and r.liquidity.tiers == (3, 4))
    keeper_model = win.view_worker.keeper.model
    m = r.liquidity.map
    expect = keeper_model.map_at(None, m.bin_edges, exchanges=win.exchanges, tiers=(3, 4))
    np.testing.assert_allclose(m.long_usd, expect.long_usd, rtol=1e-9, atol=1e-6)
    assert m.total_long_usd() < full.map.total_long_usd()
    assert r.liquidity.ensemble is None  # the ranges span every tier: not shown for a layer
    qtbot.waitUntil(lambda: not win.terminal.liqmap.band_long.isVisible(), timeout=5000)  # no stale shading
    qtbot.waitUntil(lambda: "leverage layers 50x, 100x only" in win.terminal.liqmap.caption.toPlainText(), timeout=5000)
    assert "50x, 100x only" in win.terminal.price.estimate_label.toPlainText()
    qtbot.waitUntil(lambda: "plausible crowds" not in win.card.note.text(), timeout=5000)  # no ranges: not claimed
    heat = r.liquidity.heatmap
    assert heat.values.sum() < full.heatmap.values.sum() or heat.time_edges[0] != full.heatmap.time_edges[0]
    # Untick 50x in the menu: 100x alone.
    layers.actions["50x"].setChecked(False)
    wait_result(qtbot, win, lambda r: r.request.tiers == (4,) and r.liquidity is not None)
    assert layers.actions["100x"].isChecked() and not layers.actions["5x"].isChecked()
    layers.actions["all"].trigger()
    r = wait_result(qtbot, win, lambda r: r.request.tiers is None and r.liquidity is not None and r.liquidity.ensemble is not None)
    assert "leverage layers" not in win.terminal.liqmap.caption.toPlainText()
    assert win.terminal.liqmap.band_long.isVisible()
