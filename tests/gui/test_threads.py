"""gui.threads.LatestOnly: one job at a time, the newest request wins, every request ends exactly once,
and a cancel ends the running job through its own clean-up."""

from __future__ import annotations

import threading

from gui.threads import LatestOnly


def _collect(latest):
    ends: list[tuple[str, object]] = []
    latest.returned.connect(lambda r, v: ends.append(("returned", r)))
    latest.dropped.connect(lambda r: ends.append(("dropped", r)))
    latest.errored.connect(lambda r, e: ends.append(("errored", r)))
    return ends


def test_newest_request_wins_and_each_ends_once(qtbot):
    gate = threading.Event()
    ran: list[int] = []

    def job(n):
        if n == 1:
            gate.wait(10)  # the first job holds the line while more requests arrive
        ran.append(n)
        yield n
        return n * 10

    latest = LatestOnly(job)
    ends = _collect(latest)
    for n in (1, 2, 3, 4):
        latest.submit(n)
    gate.set()
    qtbot.waitUntil(lambda: len(ends) == 4, timeout=10000)
    assert ran == [1, 4]  # 2 and 3 were replaced while waiting, never computed
    assert sorted(ends, key=lambda e: e[1]) == [("returned", 1), ("dropped", 2), ("dropped", 3), ("returned", 4)]
    assert not latest.busy
    assert latest.shutdown(1000)


def test_cancel_running_stops_at_the_next_yield_and_cleans_up(qtbot):
    started, cleaned, reached = threading.Event(), threading.Event(), []

    def job(n):
        try:
            started.set()
            for step in range(1000):
                yield step
                reached.append(step)
                threading.Event().wait(0.005)
            return "never"
        finally:
            cleaned.set()

    latest = LatestOnly(job, cancel_running=True)
    ends = _collect(latest)
    latest.submit("slow")
    qtbot.waitUntil(started.is_set, timeout=5000)
    latest.cancel()
    qtbot.waitUntil(lambda: ends == [("dropped", "slow")], timeout=5000)
    assert cleaned.is_set() and len(reached) < 1000
    assert latest.shutdown(1000)


def test_an_error_is_the_request_s_end_and_the_next_one_still_runs(qtbot):
    def job(n):
        if n == "bad":
            raise RuntimeError("boom")  # superqt treats a bare RuntimeError specially: it must still end
        yield n
        return n

    latest = LatestOnly(job)
    ends = _collect(latest)
    errors = []
    latest.errored.connect(lambda r, e: errors.append(e))
    latest.submit("bad")
    qtbot.waitUntil(lambda: len(ends) == 1, timeout=5000)
    latest.submit("good")
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=5000)
    assert ends == [("errored", "bad"), ("returned", "good")]
    assert isinstance(errors[0], RuntimeError) and str(errors[0]) == "boom"
    assert latest.shutdown(1000)


def _live_workers() -> int:
    import gc

    from superqt.utils import WorkerBase

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, WorkerBase))


def test_finished_workers_are_released_in_the_gui_thread(qtbot):
    """A long session runs a view job every second: every finished worker must be freed, and freed where
    its QObject lives. Handed to QThreadPool as a QRunnable, about one worker in six stayed alive for good."""
    import weakref

    freed_in: list[bool] = []

    def job(n):
        yield sum(range(2000))
        return n

    before = _live_workers()
    latest = LatestOnly(job)
    ends = _collect(latest)
    started: list[int] = []

    def watch(n):
        started.append(n)
        weakref.finalize(latest._worker, lambda: freed_in.append(threading.current_thread() is threading.main_thread()))

    latest.started.connect(watch)
    for n in range(300):
        latest.submit(n)
        if n % 3 == 0:
            qtbot.wait(1)
    qtbot.waitUntil(lambda: not latest.busy, timeout=20000)
    qtbot.waitUntil(lambda: _live_workers() <= before, timeout=5000)
    assert len(ends) == 300 and len(started) > 10
    assert len(freed_in) == len(started)  # every started job's worker was freed...
    assert all(freed_in)  # ...in the GUI thread
    assert latest.shutdown(1000)


def test_workers_are_started_from_the_gui_thread_only(qtbot):
    from superqt.utils import create_worker

    from gui import threads

    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            threads.start(create_worker(lambda: None, _start_thread=False))
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=elsewhere)
    t.start()
    t.join(5)
    assert len(errors) == 1 and "GUI thread" in str(errors[0])
