"""Cascade's log file: one rotating file in the user's log folder, shared by the window and the commands.

``setup_logging()`` sends every module's ``logging.getLogger(__name__)`` records to
``<user log dir>/cascade.log`` (platformdirs; ``$CASCADE_LOG_DIR`` overrides it, and under tests,
``CASCADE_TEST``, it is a per-process temporary folder). Every line goes through the secret scrubber of
``market.accounts.scrub`` first: no key, secret or passphrase reaches the file, whatever logged it.
``install_excepthooks()`` writes any uncaught exception (main thread or another) to the log and tells a
callback, which the window turns into a dialog naming the file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Callable, Optional

LOG_FILE = "cascade.log"
MAX_BYTES = 2_000_000  # a few days of INFO; DEBUG (CASCADE_LOG_LEVEL=DEBUG) rotates sooner
BACKUPS = 3
FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)-7s %(name)s [%(threadName)s] %(message)s"

log = logging.getLogger(__name__)


def log_dir() -> Path:
    """The folder of the log file (created on first use by setup_logging)."""
    override = os.environ.get("CASCADE_LOG_DIR")
    if override:
        return Path(override)
    if os.environ.get("CASCADE_TEST"):
        return Path(tempfile.gettempdir()) / f"cascade-test-logs-{os.getpid()}"
    import platformdirs

    return Path(platformdirs.user_log_dir("cascade", appauthor=False))


def log_path() -> Path:
    return log_dir() / LOG_FILE


class _Handler(logging.handlers.RotatingFileHandler):
    """Ours, so a second setup replaces it instead of doubling every line."""


def _scrubbing(handler: logging.Handler) -> logging.Handler:
    # Every secret the credential store has handed out is registered with the scrubber; the filter
    # masks each of them (in every escaped spelling) in the message, the arguments and the traceback.
    from market.accounts.scrub import SecretFilter

    handler.addFilter(SecretFilter())
    return handler


def level_from_env(default: int = logging.INFO) -> int:
    name = os.environ.get("CASCADE_LOG_LEVEL", "").strip().upper()
    value = logging.getLevelName(name) if name else default
    return value if isinstance(value, int) else default


def setup_logging(level: Optional[int] = None, folder: Optional[Path] = None) -> Path:
    """Log to the rotating file (``level``: default INFO, or ``$CASCADE_LOG_LEVEL``); returns its path."""
    folder = Path(folder) if folder is not None else log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
        old.close()
    handler = _Handler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    formatter = logging.Formatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime  # UTC, like every time Cascade shows
    handler.setFormatter(formatter)
    root.addHandler(_scrubbing(handler))
    root.setLevel(level if level is not None else level_from_env())
    return path


CrashCallback = Callable[[type[BaseException], str], None]  # exception type, the thread's name


def install_excepthooks(on_crash: Optional[CrashCallback] = None) -> None:
    """Uncaught exceptions, in the main thread or any other, go to the log with their traceback, then to
    ``on_crash`` (which must not raise). KeyboardInterrupt keeps Python's own handling."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: Optional[TracebackType]) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        _report(kind, value, tb, threading.current_thread().name, on_crash)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "a thread"
        _report(args.exc_type, args.exc_value, args.exc_traceback, name, on_crash)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def _report(kind: type[BaseException], value: BaseException, tb: Optional[TracebackType], where: str,
            on_crash: Optional[CrashCallback]) -> None:
    log.critical("unexpected error in %s", where, exc_info=(kind, value, tb))
    if not logging.getLogger().handlers:  # nothing set up: at least stderr has it
        sys.__excepthook__(kind, value, tb)
    if on_crash is not None:
        try:
            on_crash(kind, where)
        except Exception:  # the crash report must never crash
            log.exception("the crash callback failed")
