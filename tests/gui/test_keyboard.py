"""Keyboard: the symbol box gives the keys back to the chart, and window shortcuts work from any widget."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gui.widgets.symbol_box import match_symbol
from tests.gui.conftest import wait_result


def test_match_symbol_by_base_exact_or_unique_part():
    listed = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "ETH/USDC:USDC")
    assert match_symbol("eth", listed) == "ETH/USDT:USDT"
    assert match_symbol("sol/usdt:usdt", listed) == "SOL/USDT:USDT"
    assert match_symbol("USDC", listed) == "ETH/USDC:USDC"
    assert match_symbol("DOGE", listed) is None
    assert match_symbol("USDT", listed) is None  # three candidates: ambiguous


def _type_in_symbol_box(qtbot, win, text):
    edit = win.toolbar.symbol.lineEdit()
    QTest.mouseClick(edit, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(edit.hasFocus)
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, QtCore.Qt.Key.Key_Return)


def test_unknown_symbol_is_refused_and_the_keys_go_back_to_the_chart(demo_window, qtbot):
    win = demo_window
    session = win.session
    with qtbot.waitSignal(win.error_shown, timeout=5000) as shown:
        _type_in_symbol_box(qtbot, win, "NOSUCHCOIN")
    assert "NOSUCHCOIN is not a symbol of the demo market" in shown.args[0]
    assert win.toolbar.symbol.currentText() == "BTC/USDT:USDT"  # BTC's data is never relabelled
    assert win.session is session and win.sources.pending is None
    ok = win.services.error_box.button(QtWidgets.QMessageBox.StandardButton.Ok)
    QTest.mouseClick(ok, QtCore.Qt.MouseButton.LeftButton)  # the user dismisses the message
    win.activateWindow()
    qtbot.waitUntil(lambda: win.terminal.price.plot_widget.hasFocus())
    # The next "2" is the 5-minute shortcut, not part of a symbol.
    QTest.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key.Key_2)
    wait_result(qtbot, win, lambda r: r.request.timeframe_ms == 300_000)
    assert win.toolbar.symbol.currentText() == "BTC/USDT:USDT"


def test_window_shortcuts_work_while_the_symbol_box_has_focus(demo_window, qtbot):
    win = demo_window
    edit = win.toolbar.symbol.lineEdit()
    QTest.mouseClick(edit, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(edit.hasFocus)
    # Ctrl+H (which a line edit claims on X11) opens the heatmap colours; Ctrl+L toggles the log scale.
    QTest.keyClick(edit, QtCore.Qt.Key.Key_H, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.services.kept("heatmap_dialog") is not None and win.services.kept("heatmap_dialog").isVisible())
    win.services.kept("heatmap_dialog").close()
    win.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(lambda: win.isActiveWindow() and edit.hasFocus())
    QTest.keyClick(edit, QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert win.actions_by_name["log_scale"].isChecked()
    # While the field holds typing, its own editing keys win: Ctrl+L does nothing to the window.
    QTest.keyClicks(edit, "ET")
    QTest.keyClick(edit, QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert win.actions_by_name["log_scale"].isChecked()
    QTest.keyClick(edit, QtCore.Qt.Key.Key_Escape)
    assert win.toolbar.symbol.currentText() == "BTC/USDT:USDT"
    qtbot.waitUntil(lambda: win.terminal.price.plot_widget.hasFocus())
    QTest.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert not win.actions_by_name["log_scale"].isChecked()
