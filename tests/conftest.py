import os
import sys
from pathlib import Path

# Headless by default; a caller who wants Xvfb sets QT_QPA_PLATFORM=xcb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test read or write the user's real settings, store or keyring.
os.environ.setdefault("CASCADE_TEST", "1")
# The demo's kept histories (about 55 MB a month) go to one folder per run, shared with the processes the
# tests start and removed at the end.
if "CASCADE_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["CASCADE_CACHE_DIR"] = tempfile.mkdtemp(prefix="cascade-test-cache-")
    atexit.register(shutil.rmtree, os.environ["CASCADE_CACHE_DIR"], True)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


import threading  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

# How long a thread or pool task the test asked to stop may take to finish on its own after the test
# (a worker's last statements after its stop was signalled). Anything still running then is a leak.
DANGLING_GRACE_S = 2.0


def pool_tasks() -> int:
    """Qt pool tasks running now (0 before Qt is loaded)."""
    if "PySide6.QtCore" not in sys.modules:
        return 0
    from PySide6 import QtCore

    return QtCore.QThreadPool.globalInstance().activeThreadCount()


def dangling(before: set, grace_s: float = DANGLING_GRACE_S, tasks_before: int = 0) -> list[str]:
    """Threads started since ``before`` and Qt pool tasks beyond the ``tasks_before`` already running
    when the test began (a module-scoped window's long-lived workers), still running after ``grace_s``."""
    deadline = time.monotonic() + grace_s
    leaks = []
    for t in threading.enumerate():
        # _DummyThread: Python's record of a thread it did not start (a Qt pool thread that ran Python
        # code); it stays listed after that thread ends. The pool is checked below instead.
        if t in before or isinstance(t, threading._DummyThread) or t is threading.main_thread():
            continue
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            leaks.append(f"thread {t.name!r}")
    if "PySide6.QtCore" in sys.modules:  # only tests that loaded Qt can have pool tasks
        from PySide6 import QtCore

        pool = QtCore.QThreadPool.globalInstance()
        if tasks_before == 0:
            if not pool.waitForDone(max(1, int((deadline - time.monotonic()) * 1000))):
                leaks.append(f"{pool.activeThreadCount()} Qt pool task(s)")
        else:
            while pool.activeThreadCount() > tasks_before and time.monotonic() < deadline:
                time.sleep(0.01)
            if pool.activeThreadCount() > tasks_before:
                leaks.append(f"{pool.activeThreadCount() - tasks_before} Qt pool task(s)")
    return leaks


@pytest.fixture(autouse=True)
def no_dangling_threads():
    """Fail a test that leaves a thread or a Qt pool task (a superqt worker) running, as napari's
    ``dangling_qthreads`` does: a worker must be stopped by whatever started it."""
    before = set(threading.enumerate())
    tasks_before = pool_tasks()
    yield
    leaks = dangling(before, tasks_before=tasks_before)
    if leaks:
        pytest.fail("left running after the test: " + ", ".join(leaks), pytrace=False)
