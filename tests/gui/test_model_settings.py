"""Tools → Liquidation model settings: fit to the data on screen, and say what the fit rested on."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from analytics.calibrate import HOLD_CANDIDATES_HOURS, SINK_LEVERAGE
from gui.dialogs.model_settings import NOT_FITTED
from tests.gui.conftest import wait_result

FIT_TIMEOUT_MS = 240_000


def _open(qtbot, win):
    win.activateWindow()
    qtbot.keyClick(win, QtCore.Qt.Key.Key_M, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.services.kept("model_dialog") is not None and win.services.kept("model_dialog").isVisible(), timeout=5_000)
    return win.services.kept("model_dialog")


def _reopen(qtbot, win):
    """Tools → Liquidation model settings… from the menu (its action, as a click on the menu item runs it)."""
    old = win.services.kept("model_dialog")
    win.actions_by_name["model"].trigger()
    qtbot.waitUntil(lambda: win.services.kept("model_dialog") is not old and win.services.kept("model_dialog").isVisible(), timeout=5_000)
    return win.services.kept("model_dialog")


def _ok(qtbot, dlg):
    box = dlg.findChild(QtWidgets.QDialogButtonBox)
    qtbot.mouseClick(box.button(QtWidgets.QDialogButtonBox.StandardButton.Ok), QtCore.Qt.MouseButton.LeftButton)


def test_calibrating_on_recorded_liquidations_says_what_was_fitted_and_is_kept(qtbot, demo_window):
    win = demo_window
    win.services.keep("model_dialog", None)
    dlg = _open(qtbot, win)
    assert dlg.fit_label.text() == NOT_FITTED
    qtbot.mouseClick(dlg.calibrate_button, QtCore.Qt.MouseButton.LeftButton)
    assert "Calibrating" in dlg.status.text() and not dlg.calibrate_button.isEnabled()
    qtbot.waitUntil(lambda: dlg.fit is not None or "kept" in dlg.status.text() or "failed" in dlg.status.text(),
                    timeout=FIT_TIMEOUT_MS)
    fit = dlg.fit
    assert fit is not None, dlg.status.text()
    text = dlg.fit_label.text()
    # Which data (venues, how many events), which span, and what came out of it.
    assert text.startswith(f"Fitted on {fit.events:,} liquidations from ") and fit.events > 0
    assert "Binance" in text and "→" in text
    assert f"holding time {fit.hold_hours:g} h" in text and fit.hold_hours in HOLD_CANDIDATES_HOURS
    assert f"scale {fit.scale:.2f}" in text and "out of reach" in text
    assert "Out of sample" in text
    levs = [float(dlg.table.item(r, 0).text()) for r in range(dlg.table.rowCount())]
    assert SINK_LEVERAGE in levs  # the sink tier is shown as a tier of its own
    assert dlg.hold.value() == fit.hold_hours
    _ok(qtbot, dlg)
    assert win.model == fit.params and win.model.scale == fit.scale
    assert win.model.mean_hold_ms == fit.hold_hours * 3_600_000
    wait_result(qtbot, win, lambda r: r.request.model == fit.params and r.liquidity is not None, timeout=60_000)
    # Opened again, it still says what the settings rest on; once edited, they are no longer the fit's.
    again = _reopen(qtbot, win)
    assert again.fit_label.text() == text
    again.table.setItem(0, 1, QtWidgets.QTableWidgetItem("0.5"))
    _ok(qtbot, again)
    assert win.model != fit.params
    third = _reopen(qtbot, win)
    assert third.fit_label.text() == NOT_FITTED
    third.reject()


def test_calibrating_from_candles_and_oi_alone(qtbot, demo_window):
    win = demo_window
    win.services.keep("model_dialog", None)
    dlg = _open(qtbot, win)
    qtbot.mouseClick(dlg.calibrate_oi_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.fit is not None or "kept" in dlg.status.text() or "failed" in dlg.status.text(),
                    timeout=FIT_TIMEOUT_MS)
    fit = dlg.fit
    assert fit is not None, dlg.status.text()
    text = dlg.fit_label.text()
    assert "candle minutes and open interest from" in text and "(no liquidation events)" in text
    assert f"{fit.minutes:,} candle minutes" in text and fit.minutes > 0
    assert fit.hold_hours in HOLD_CANDIDATES_HOURS and f"holding time {fit.hold_hours:g} h" in text
    assert dlg.hold.value() == fit.hold_hours
    dlg.reject()
    assert win.model != fit.params  # cancelled: nothing changed
