"""Run one blocking account call (keyring, signed request) off the GUI thread, without leaking secrets.

Unlike gui/background.py this never prints a traceback: a keyring or ccxt exception could quote what it
was handling. Only messages of Cascade's own scrubbed exceptions (CredentialError, AccountError) are
passed on; anything else is reported by its type name.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6 import QtCore

from market.credentials import CredentialError


def safe_message(exc: BaseException) -> str:
    """A sentence for the user that cannot contain a secret."""
    if isinstance(exc, CredentialError):
        return str(exc)
    # market.accounts is imported lazily (it loads asyncio and ssl); an AccountError implies it is loaded.
    from market.accounts.scrub import AccountError

    if isinstance(exc, AccountError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__})"


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
            message = safe_message(exc)
            del exc
            self._emit(self.signals.failed, message)
            return
        self._emit(self.signals.done, value)

    @staticmethod
    def _emit(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the dialog that asked was closed meanwhile: nobody to tell
            pass


def run_task(fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None], parent: QtCore.QObject) -> _Signals:
    """Start ``fn`` on Qt's thread pool; ``on_done``/``on_failed`` run on ``parent``'s (the GUI) thread."""
    signals = _Signals(parent)
    signals.done.connect(on_done)
    signals.failed.connect(on_failed)
    QtCore.QThreadPool.globalInstance().start(_Task(fn, signals))
    return signals
