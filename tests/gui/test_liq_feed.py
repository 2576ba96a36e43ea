"""View → Liquidation feed: newest first, a minimum size, driven with keys."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from tests.gui.conftest import wait_result


def test_feed_lists_the_shown_events_newest_first_above_the_minimum(demo_window, qtbot):
    win = demo_window
    dock = win.services.kept("liquidation_feed")
    assert not dock.isVisible()
    qtbot.keyClick(win.terminal.price.plot_widget, QtCore.Qt.Key.Key_F,
                   QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert dock.isVisible() and win.actions_by_name["feed"].isChecked()
    qtbot.waitUntil(lambda: dock.model.rowCount() > 0, timeout=15000)
    rows = dock.model.rows
    assert (np.diff(rows["ts"].to_numpy()) <= 0).all()  # newest first
    assert (rows["notional_usd"] >= 10_000).all()
    events = win.terminal.result.request.frames.liquidations
    newest = events[events["notional_usd"] >= 10_000]["ts"].max()
    assert rows["ts"].iloc[0] >= newest - 60_000  # the newest event is on top (the demo ticks on)
    assert "Simulated" in dock.note.text()
    top = dock.model.text(0, 4)
    assert top.startswith("$") and dock.model.text(0, 2) in ("Long", "Short")
    # A larger minimum, typed into the box, hides the smaller ones.
    before = dock.model.rowCount()
    dock.min_size.setFocus()
    dock.min_size.selectAll()
    qtbot.keyClicks(dock.min_size, "500000")
    qtbot.keyClick(dock.min_size, QtCore.Qt.Key.Key_Enter)
    assert dock.min_size.value() == 500_000
    rows = dock.model.rows
    assert (rows["notional_usd"] >= 500_000).all() and dock.model.rowCount() < before


def test_feed_follows_the_chosen_exchanges(demo_window, qtbot):
    win = demo_window
    dock = win.services.kept("liquidation_feed")
    win.actions_by_name["feed"].trigger()
    for name in [n for n in win.toolbar.exchange_actions if n != "bybit"]:
        qtbot.mouseClick(win.toolbar.widgetForAction(win.toolbar.exchange_actions[name]), QtCore.Qt.MouseButton.LeftButton)
    wait_result(qtbot, win, lambda r: r.request.exchanges == ("bybit",))
    qtbot.waitUntil(lambda: dock.model.rowCount() > 0 and set(dock.model.rows["exchange"]) == {"bybit"}, timeout=10000)
