"""Threads have one way in: superqt workers (gui/threads.py). The dangling-thread check of tests/conftest.py
sees a thread and a pool task that outlive their test."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from PySide6 import QtCore

from tests.conftest import dangling

ROOT = Path(__file__).resolve().parents[2]
HAND_MADE = re.compile(r"\bQThread\b(?!Pool)|moveToThread|\bQRunnable\b|threading\.Thread\(")


def test_no_hand_made_thread_plumbing_in_the_gui():
    found = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "gui").rglob("*.py"))
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if HAND_MADE.search(line)]
    assert found == []


def test_the_check_sees_a_thread_left_running():
    before = set(threading.enumerate())
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="left-behind")
    t.start()
    try:
        assert dangling(before, grace_s=0.1) == ["thread 'left-behind'"]
    finally:
        stop.set()
        t.join()
    assert dangling(before, grace_s=0.1) == []


def test_the_check_sees_a_pool_task_left_running(qtbot):
    from superqt.utils import create_worker

    from gui import threads

    stop = threading.Event()

    def hold() -> None:
        stop.wait(10)

    worker = create_worker(hold, _start_thread=False)
    threads.start(worker)
    qtbot.waitUntil(lambda: QtCore.QThreadPool.globalInstance().activeThreadCount() > 0, timeout=5000)
    try:
        assert dangling(set(threading.enumerate()), grace_s=0.1) == ["1 Qt pool task(s)"]
    finally:
        stop.set()
    assert dangling(set(threading.enumerate()), grace_s=5) == []
