"""Real mouse events on pyqtgraph widgets: press, moves with the button held, release."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

LEFT = QtCore.Qt.MouseButton.LeftButton
NONE = QtCore.Qt.MouseButton.NoButton


def view_to_widget(plot_widget, view, x: float, y: float) -> QtCore.QPointF:
    """Viewport position of the data point (x, y) of ``view`` inside ``plot_widget``."""
    scene = view.mapViewToScene(QtCore.QPointF(x, y))
    return QtCore.QPointF(plot_widget.mapFromScene(scene))


def _send(widget, kind, pos: QtCore.QPointF, button, buttons) -> None:
    glob = QtCore.QPointF(widget.mapToGlobal(pos.toPoint()))
    ev = QtGui.QMouseEvent(kind, pos, glob, button, buttons, QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(widget, ev)


def move(plot_widget, pos: QtCore.QPointF) -> None:
    _send(plot_widget.viewport(), QtCore.QEvent.Type.MouseMove, pos, NONE, NONE)


def click(plot_widget, pos: QtCore.QPointF) -> None:
    vp = plot_widget.viewport()
    _send(vp, QtCore.QEvent.Type.MouseMove, pos, NONE, NONE)
    _send(vp, QtCore.QEvent.Type.MouseButtonPress, pos, LEFT, LEFT)
    _send(vp, QtCore.QEvent.Type.MouseButtonRelease, pos, LEFT, NONE)


def drag(plot_widget, start: QtCore.QPointF, end: QtCore.QPointF, steps: int = 8, between=None) -> None:
    """Press at ``start``, move in ``steps`` to ``end`` with the button held, release; ``between(i)``
    runs after each move (to let the event loop and workers catch up, as a real drag would)."""
    vp = plot_widget.viewport()
    _send(vp, QtCore.QEvent.Type.MouseMove, start, NONE, NONE)
    _send(vp, QtCore.QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        _send(vp, QtCore.QEvent.Type.MouseMove, p, NONE, LEFT)
        if between is not None:
            between(i)
    _send(vp, QtCore.QEvent.Type.MouseButtonRelease, end, LEFT, NONE)
