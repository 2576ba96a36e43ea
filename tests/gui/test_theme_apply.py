"""The application's style is set once, and its palette and style sheet only when the theme changes."""

from __future__ import annotations

import shiboken6
from PySide6 import QtGui, QtWidgets

from gui.theme import DARK, LIGHT, apply_qt_theme


def _style_ptr(app) -> int:
    return shiboken6.getCppPointer(app.style())[0]


def test_the_same_theme_again_changes_nothing(qapp):
    apply_qt_theme(qapp, DARK)
    style, sheet = _style_ptr(qapp), qapp.styleSheet()
    apply_qt_theme(qapp, DARK)  # a second window, same theme
    assert _style_ptr(qapp) == style
    assert qapp.styleSheet() == sheet


def test_switching_themes_recolours_and_keeps_the_style(qapp):
    apply_qt_theme(qapp, DARK)
    style = _style_ptr(qapp)
    apply_qt_theme(qapp, LIGHT)
    assert QtWidgets.QApplication.palette().color(QtGui.QPalette.ColorRole.Window).name() == LIGHT.window
    assert LIGHT.panel in qapp.styleSheet()
    assert _style_ptr(qapp) == style  # Fusion already: not replaced
    apply_qt_theme(qapp, DARK)
    assert QtWidgets.QApplication.palette().color(QtGui.QPalette.ColorRole.Window).name() == DARK.window
