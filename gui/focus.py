"""Window shortcuts whatever widget has the keyboard, except while a text field is being edited.

Qt offers every key to the focused widget first (a ShortcutOverride event); a QLineEdit claims Ctrl+E,
Ctrl+H and the like on X11 (emacs-style editing), so the window's shortcuts went dead while the symbol
box had focus. This filter lets Ctrl/Alt shortcuts through unless the field holds unsaved typing
(``isModified``); while it does, every key is the field's. Plain keys (digits, letters, Space) always
go to a focused field: that is typing.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

_COMMAND_MODIFIERS = QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.AltModifier | QtCore.Qt.KeyboardModifier.MetaModifier


def being_edited(widget: QtCore.QObject) -> bool:
    """True for a text field the user has typed into and not committed yet."""
    if isinstance(widget, QtWidgets.QLineEdit):
        return widget.isModified() and not widget.isReadOnly()
    if isinstance(widget, (QtWidgets.QPlainTextEdit, QtWidgets.QTextEdit)):
        return not widget.isReadOnly()
    return False


class ShortcutGuard(QtCore.QObject):
    """Installed on the application; only looks at ShortcutOverride events of text fields."""

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.ShortcutOverride and isinstance(obj, QtWidgets.QLineEdit):
            if being_edited(obj):
                event.accept()  # the field's typing is not interrupted by a window shortcut
                return True
            if event.modifiers() & _COMMAND_MODIFIERS:
                event.ignore()
                return True  # not claimed by the field: the window's shortcut runs
        return False


def install_shortcut_guard(app: QtWidgets.QApplication) -> ShortcutGuard:
    guard = getattr(app, "_cascade_shortcut_guard", None)
    if guard is None:
        guard = ShortcutGuard(app)
        app.installEventFilter(guard)
        app._cascade_shortcut_guard = guard  # one per application, however many windows
    return guard
