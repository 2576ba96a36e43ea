"""What a feature may ask of the window: the state, a parent for its dialogs, the chart, menus by id,
actions by name, an error box, the status line, a place to keep what must outlive a call.

Features (menus, file and tool actions, the saved layout, study, positions, symbol search, alerts)
get this object instead of the window: they never reach into the window's widgets, never set
attributes on it, never find a menu by its label (labels get translated and renamed; ids do not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from gui.session_state import SessionState

if TYPE_CHECKING:
    from gui.replay import ReplayBar
    from gui.terminal import Terminal

# The menu bar, in order: id -> label. A feature's menu is created at its place on first use.
MENUS: dict[str, str] = {"file": "&File", "view": "&View", "tools": "&Tools", "settings": "&Settings", "help": "&Help"}


class WindowServices(QtCore.QObject):
    error_shown = QtCore.Signal(str)
    result_applied = QtCore.Signal(object)  # ViewResult, after the panels took it

    def __init__(self, window: QtWidgets.QMainWindow, state: SessionState, settings: QtCore.QSettings,
                 terminal: "Terminal", replay: "ReplayBar", open_source: Callable[[Any], None],
                 theme: Callable[[], Any]) -> None:
        super().__init__(window)
        self.parent_widget = window  # the parent of dialogs, and what "Export chart as PNG" grabs
        self.state = state
        self.settings = settings
        self.terminal = terminal
        self.replay = replay
        self.actions: dict[str, QtGui.QAction] = {}
        self.menus: dict[str, QtWidgets.QMenu] = {}
        self.last_error = ""
        self.error_box: Optional[QtWidgets.QMessageBox] = None
        self._kept: dict[str, Any] = {}
        self._open_source = open_source
        self._theme = theme

    # -- menus and actions ----------------------------------------------------------------------
    def menu(self, menu_id: str) -> QtWidgets.QMenu:
        """The menu ``menu_id`` (one of MENUS), created in its place on the menu bar if it is not yet."""
        if menu_id not in self.menus:
            bar = self.parent_widget.menuBar()
            menu = QtWidgets.QMenu(MENUS[menu_id], bar)
            order = list(MENUS)
            later = [self.menus[m] for m in order[order.index(menu_id) + 1:] if m in self.menus]
            if later:
                bar.insertMenu(later[0].menuAction(), menu)
            else:
                bar.addMenu(menu)
            self.menus[menu_id] = menu
        return self.menus[menu_id]

    def add_action(self, menu_id: Optional[str], name: str, action: QtGui.QAction) -> QtGui.QAction:
        """Put ``action`` in menu ``menu_id`` (None: no menu) and register it as ``name``."""
        if menu_id is not None:
            self.menu(menu_id).addAction(action)
        self.actions[name] = action
        return action

    # -- messages -------------------------------------------------------------------------------
    def show_error(self, title: str, text: str) -> None:
        """A non-modal message box: never blocks the event loop (or a test)."""
        self.last_error = text
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, title, text,
                                    QtWidgets.QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # file names and messages from outside: never HTML
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        self.error_box = box
        self.error_shown.emit(text)

    def status(self, text: str, ms: int = 8000) -> None:
        self.parent_widget.statusBar().showMessage(text, ms)

    # -- the source, the theme ------------------------------------------------------------------
    def open_source(self, spec: Any) -> None:
        """Show the source ``spec`` (a SourceSpec); the current data stays until the new one has data."""
        self._open_source(spec)

    @property
    def theme(self) -> Any:
        return self._theme()

    # -- what must outlive a call (open dialogs, background tasks, installed features) -----------
    def keep(self, name: str, obj: Any) -> Any:
        self._kept[name] = obj
        return obj

    def kept(self, name: str) -> Any:
        return self._kept.get(name)
