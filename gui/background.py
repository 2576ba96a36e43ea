"""Run one blocking call (save a file, write a CSV) off the GUI thread and get the outcome by signal."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6 import QtCore


class _Signals(QtCore.QObject):
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)


class _Task(QtCore.QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals

    def run(self) -> None:
        try:
            value = self.fn()
        except Exception as exc:
            traceback.print_exc()
            self.signals.failed.emit(str(exc) or type(exc).__name__)
            return
        self.signals.done.emit(value)


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None], parent: QtCore.QObject) -> _Signals:
    """Start ``fn`` on Qt's thread pool; ``on_done``/``on_failed`` run on the GUI thread."""
    signals = _Signals(parent)
    signals.done.connect(on_done)
    signals.failed.connect(on_failed)
    QtCore.QThreadPool.globalInstance().start(_Task(fn, signals))
    return signals
