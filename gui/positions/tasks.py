"""Run one blocking account call (keyring, signed request) off the GUI thread, without leaking secrets.

The same pool task as gui/background.py, but a failure is never logged with its traceback: a keyring or ccxt
exception could quote what it was handling. Only messages of Cascade's own scrubbed exceptions (CredentialError, AccountError) are
passed on; anything else is reported by its type name.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6 import QtCore

from gui.background import BackgroundTask, run_in_background
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


def run_task(fn: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None], parent: QtCore.QObject) -> BackgroundTask:
    """Start ``fn`` on Qt's thread pool; ``on_done``/``on_failed`` run on ``parent``'s (the GUI) thread."""
    return run_in_background(fn, on_done, on_failed, parent, describe=safe_message)
