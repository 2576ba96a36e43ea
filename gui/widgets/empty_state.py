"""A clear empty state over the chart area when there is nothing to show (e.g. the first source failed).

Without it an empty window showed a 0–1 price axis, fractional-second times and "waiting for the
liquidation model…", which never comes. The overlay covers the panels and says what to do instead.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class EmptyState(QtWidgets.QLabel):
    def __init__(self, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAutoFillBackground(True)
        self.hide()
        parent.installEventFilter(self)

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if obj is self.parentWidget() and event.type() == QtCore.QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False
