"""Run one blocking call (save a file, write a CSV, a keyring or signed account call) off the GUI thread
and get the outcome by signal."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6 import QtCore


class _Signals(QtCore.QObject):
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)


def print_and_describe(exc: BaseException) -> str:
    """The default failure text: the exception's own message; the traceback goes to stderr."""
    traceback.print_exc()
    return str(exc) or type(exc).__name__


class _Task(QtCore.QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals, describe: Callable[[BaseException], str]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals
        self.describe = describe

    def run(self) -> None:
        try:
            value = self.fn()
        except Exception as exc:
            message = self.describe(exc)
            del exc  # nothing keeps the exception (or what it quotes) alive past its description
            self._emit(self.signals.failed, message)
            return
        self._emit(self.signals.done, value)

    @staticmethod
    def _emit(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window or dialog that asked was closed meanwhile: nobody to tell
            pass


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None],
                      parent: QtCore.QObject, describe: Callable[[BaseException], str] = print_and_describe) -> _Signals:
    """Start ``fn`` on Qt's thread pool; ``on_done``/``on_failed`` run on ``parent``'s (the GUI) thread.

    ``describe`` turns a failure into the text ``on_failed`` gets (see gui/positions/tasks.py for the
    variant that must not print or pass on anything a secret could hide in).
    """
    signals = _Signals(parent)
    signals.done.connect(on_done)
    signals.failed.connect(on_failed)
    QtCore.QThreadPool.globalInstance().start(_Task(fn, signals, describe))
    return signals
