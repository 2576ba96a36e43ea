"""The liquidation map stacked by exchange (CoinGlass), its USD scale and its cumulative curves."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from tests.gui.conftest import wait_result


def _bars(item):
    return np.asarray(item.opts["x0"], float), np.asarray(item.opts["width"], float)


def test_map_bars_stack_per_exchange_and_toggle_back(demo_window, qtbot):
    win = demo_window
    panel = win.terminal.liqmap
    m = win.terminal.result.liquidity.map
    assert panel.stacked() and win.actions_by_name["map_by_exchange"].isChecked()
    # Each venue's segment starts where the previous venue's ends, and the stack is the total.
    left = np.zeros(len(m.long_usd))
    assert {"binance", "okx", "bybit"} <= set(panel._venues()) and set(panel._venues()) == set(m.per_exchange)
    for name in panel._venues():
        x0, width = _bars(panel.venue_bars[name][0])
        np.testing.assert_allclose(x0, left)
        np.testing.assert_allclose(width, m.per_exchange[name][0])
        left = left + width
    np.testing.assert_allclose(left, m.long_usd, rtol=1e-6, atol=1e-3)
    assert panel.venue_bars["okx"][1].opts["brush"].color().name() == win.theme.exchange_color("okx")
    caption = panel.caption.toPlainText()
    assert "stacked: ■ Binance" in caption and "Binance" in caption and "Bybit" in caption
    # The USD scale: round dollar values inside the map's width.
    (lo, hi), _ = panel.view.viewRange()
    assert panel.usd_ticks and all(0 < x <= hi and label.startswith("$") for x, label in panel.usd_ticks)
    assert panel.cum_long.opts["pen"].widthF() >= 2.5
    # View → Liquidation map stacked by exchange off: one bar per side again.
    win.actions_by_name["map_by_exchange"].trigger()
    assert not panel.stacked()
    np.testing.assert_allclose(_bars(panel.longs)[1], m.long_usd)
    assert len(_bars(panel.venue_bars["binance"][0])[1]) == 0
    assert "stacked:" not in panel.caption.toPlainText()


def test_choosing_one_exchange_stacks_only_that_one(demo_window, qtbot):
    win = demo_window
    panel = win.terminal.liqmap
    for name in [n for n in win.toolbar.exchange_actions if n != "binance"]:  # untick them in the toolbar
        button = win.toolbar.widgetForAction(win.toolbar.exchange_actions[name])
        qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    r = wait_result(qtbot, win, lambda r: r.request.exchanges == ("binance",) and r.liquidity is not None)
    assert panel._venues() == ["binance"]
    assert len(_bars(panel.venue_bars["okx"][0])[1]) == 0
    np.testing.assert_allclose(_bars(panel.venue_bars["binance"][0])[1], r.liquidity.map.long_usd)
