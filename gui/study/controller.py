"""StudyController: the Study view inside the main window.

Adds Tools → Signal study…, feeds the view the shown source's frames (the selected venues) and model
settings at each Run, and moves the replay to a clicked observation's moment. It talks to the window's
services only (the Tools menu by id, the state, the replay bar, the status line, the theme).
"""

from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtGui

from gui.services import WindowServices
from gui.study.view import StudyView

ACTION_TEXT = "Signal &study\u2026"


class StudyController(QtCore.QObject):
    jumped = QtCore.Signal(object)  # int ms the replay was moved to

    def __init__(self, sv: WindowServices) -> None:
        super().__init__(sv)
        self.services = sv
        self.win = win = sv.parent_widget  # the view's parent; its close closes the view
        self.view: Optional[StudyView] = None
        self.action = QtGui.QAction(ACTION_TEXT, win)
        self.action.setToolTip("Did the liquidation imbalance predict the next move? Test it on this history")
        self.action.triggered.connect(lambda _checked=False: self.open())
        sv.add_action("tools", "study", self.action)
        win.installEventFilter(self)

    def data(self):
        """(frames of the selected venues, model settings) of the shown source, or None before it has data."""
        state = self.services.state
        if state.frames is None:
            return None
        return state.frames.only(state.exchanges), state.model

    def open(self) -> StudyView:
        """Show the Study view (one per window) with the current source's data."""
        if self.view is None:
            view = StudyView(self.services.theme, self.win)
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
        sv = self.services
        frames = sv.state.frames
        rng = frames.time_range() if frames is not None else None
        studied = self.view.result_symbol if self.view is not None else ""
        if rng is None or not rng[0] <= at_ms < rng[1]:
            sv.status("That moment is not in the data shown now: run the study again", 8000)
            return False
        if studied and studied != frames.symbol:
            sv.status(f"The study was run on {studied}, the chart shows {frames.symbol}: run it again", 8000)
            return False
        replay = sv.replay
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
