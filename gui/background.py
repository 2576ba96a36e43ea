"""Run one blocking call (save a file, write a CSV, a keyring or signed account call) off the GUI thread
and get the outcome by signal: a superqt FunctionWorker on Qt's global pool (gui.threads)."""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6 import QtCore
from superqt.utils import FunctionWorker, create_worker

from gui import threads

log = logging.getLogger(__name__)


class BackgroundTask(QtCore.QObject):
    """One task's outcome, owned by the asking widget: when that is closed first, Qt drops the connections
    and nobody is called. ``done`` carries fn's return value, ``failed`` the description of its error."""

    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self.worker: FunctionWorker | None = None

    def deliver(self, outcome: tuple[bool, Any]) -> None:
        ok, value = outcome
        (self.done if ok else self.failed).emit(value)


def print_and_describe(exc: BaseException) -> str:
    """The default failure text: the exception's own message; the traceback goes to the log."""
    log.error("a background task failed", exc_info=exc)
    return str(exc) or type(exc).__name__


def _call(fn: Callable[[], Any], describe: Callable[[BaseException], str]) -> tuple[bool, Any]:
    try:
        return True, fn()
    except Exception as exc:
        # Described here, in the worker's thread: only the text crosses to the GUI thread, nothing keeps the
        # exception (or what it quotes) alive past its description.
        message = describe(exc)
        del exc
        return False, message


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None],
                      parent: QtCore.QObject, describe: Callable[[BaseException], str] = print_and_describe) -> BackgroundTask:
    """Start ``fn`` on Qt's thread pool; ``on_done``/``on_failed`` run on ``parent``'s (the GUI) thread.

    ``describe`` turns a failure into the text ``on_failed`` gets (see gui/positions/tasks.py for the
    variant that must not log or pass on anything a secret could hide in).
    """
    task = BackgroundTask(parent)
    task.done.connect(on_done)
    task.failed.connect(on_failed)
    worker = create_worker(_call, fn, describe, _start_thread=False, _ignore_errors=True)
    worker.returned.connect(task.deliver)
    task.worker = worker
    threads.start(worker)
    return task
