"""StudyController: the Study view inside the main window.

Adds Tools → Signal study…, feeds the view the shown source's frames (the selected venues) and model
settings at each Run, and moves the replay to a clicked observation's moment. Only the window's public
surface is used (menuBar, frames, exchanges, model, replay, session, theme, statusBar, actions_by_name).
"""

from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from gui.study.view import StudyView

ACTION_TEXT = "Signal &study\u2026"


def _tools_menu(win: QtWidgets.QMainWindow) -> QtWidgets.QMenu:
    for action in win.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "Tools":
            return menu
    return win.menuBar().addMenu("&Tools")


class StudyController(QtCore.QObject):
    jumped = QtCore.Signal(object)  # int ms the replay was moved to

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.view: Optional[StudyView] = None
        self.action = QtGui.QAction(ACTION_TEXT, win)
        self.action.setToolTip("Did the liquidation imbalance predict the next move? Test it on this history")
        self.action.triggered.connect(lambda _checked=False: self.open())
        _tools_menu(win).addAction(self.action)
        named = getattr(win, "actions_by_name", None)
        if isinstance(named, dict):
            named["study"] = self.action
        win.installEventFilter(self)

    def data(self):
        """(frames of the selected venues, model settings) of the shown source, or None before it has data."""
        frames = self.win.frames
        if frames is None:
            return None
        return frames.only(self.win.exchanges), self.win.model

    def open(self) -> StudyView:
        """Show the Study view (one per window) with the current source's data."""
        if self.view is None:
            view = StudyView(self.win.theme, self.win)
            view.setWindowFlag(QtCore.Qt.WindowType.Window, True)  # its own window beside the chart
            view.data_provider = self.data
            view.jump_requested.connect(self.jump_to)
            self.view = view
        got = self.data()
        if got is not None:
            self.view.set_data(*got)
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        return self.view

    def jump_to(self, at_ms: int) -> bool:
        """Move the replay to ``at_ms`` (the analytics then show what was known at that instant)."""
        win = self.win
        frames = win.frames
        rng = frames.time_range() if frames is not None else None
        studied = self.view.result_symbol if self.view is not None else ""
        if rng is None or not rng[0] <= at_ms < rng[1]:
            win.statusBar().showMessage("That moment is not in the data shown now: run the study again", 8000)
            return False
        if studied and studied != frames.symbol:
            win.statusBar().showMessage(f"The study was run on {studied}, the chart shows {frames.symbol}: "
                                        "run it again", 8000)
            return False
        replay = win.replay
        replay.set_playing(False)
        # Live and demo sources have no replay bar until now; their range also grows, so it is set each time.
        replay.set_range(rng[0], rng[1])
        replay.show()
        replay.set_as_of(int(at_ms))
        self.jumped.emit(int(at_ms))
        return True

    def eventFilter(self, obj, event) -> bool:
        if obj is self.win and event.type() == QtCore.QEvent.Type.Close and self.view is not None:
            self.view.close()
            self.view.shutdown()
        return False
