"""Tools → Model scorecard…: the map scored on the recorded (here simulated) liquidations, in the background."""

from __future__ import annotations

from PySide6 import QtCore

from tests.gui.conftest import wait_drawn


def test_scorecard_opens_from_the_keyboard_and_summarizes_against_the_baseline(qtbot, demo_window):
    win = demo_window
    wait_drawn(qtbot, win)
    win.activateWindow()
    qtbot.keyClick(win, QtCore.Qt.Key.Key_K, QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: win.services.kept("scorecard_dialog") is not None, timeout=5_000)
    dlg = win.services.kept("scorecard_dialog")
    qtbot.waitUntil(lambda: dlg.result is not None or "cannot be scored" in dlg.summary.text(), timeout=120_000)
    assert dlg.result is not None, dlg.summary.text()
    assert "the map's top bands held" in dlg.summary.text() and "distance alone would hold" in dlg.summary.text()
    assert dlg.table.rowCount() >= 4
    assert dlg.result.placement_share is not None and dlg.result.placement_share_baseline is not None
    dlg.close()


def test_scorecard_on_no_data_says_why(qtbot, make_window):
    from gui.dialogs.scorecard import ScorecardDialog
    from analytics.params import ModelParams

    dlg = ScorecardDialog(None, ModelParams(), ("binance",))
    qtbot.addWidget(dlg)
    assert "cannot be scored" in dlg.summary.text()
