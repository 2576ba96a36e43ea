"""Off-GUI-thread work, all on superqt workers (``thread_worker``/``create_worker``) in Qt's global pool.

Rules every worker here follows:
- the work is a plain function or generator (testable without Qt); a generator's ``yield`` reaches the
  GUI thread as ``yielded``, its return as ``returned``, an exception as ``errored``;
- stopping is cooperative: a cancel is honoured at the next ``yield`` (or the next wait of a poll loop),
  and the generator then ends through its own ``finally`` (sources closed, events set);
- ``start`` begins at once. superqt's own ``start()`` defers by a timer while an event loop runs, so a
  window closed right after asking would wait for a job that never began;
- a worker that lives as long as a session (a market feed, the positions poll) adds a thread to the pool
  for its lifetime, so it never keeps a short job (saving a file, a study) waiting behind it.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Callable, Generator, Generic, Optional, TypeVar

from PySide6 import QtCore
from superqt.utils import FunctionWorker, GeneratorWorker, WorkerBase, create_worker

log = logging.getLogger(__name__)

R = TypeVar("R")

__all__ = ["JobFailed", "LatestOnly", "guarded", "start", "create_worker", "FunctionWorker", "GeneratorWorker", "WorkerBase"]


def _pool() -> QtCore.QThreadPool:
    pool = QtCore.QThreadPool.globalInstance()
    assert pool is not None
    return pool


class _Handback(QtCore.QObject):
    """Lives in the GUI thread: each worker comes back here once its run() has returned in the pool."""

    ended = QtCore.Signal(object)  # the key of a worker whose run() returned

    def __init__(self) -> None:
        super().__init__()
        self._held: dict[int, WorkerBase] = {}
        self._keys = itertools.count()
        self.ended.connect(self._release)

    def hold(self, worker: WorkerBase) -> int:
        key = next(self._keys)
        self._held[key] = worker
        WorkerBase._worker_set.add(worker)
        return key

    @QtCore.Slot(object)
    def _release(self, key: int) -> None:
        worker = self._held.pop(key, None)
        if worker is not None:
            WorkerBase._worker_set.discard(worker)


_handback: Optional[_Handback] = None


def start(worker: WorkerBase, long_lived: bool = False) -> WorkerBase:
    """Start ``worker`` on the global pool now (see the module docstring); returns it. Call from the GUI thread."""
    global _handback
    if threading.current_thread() is not threading.main_thread():
        # The hand-back object lives in the thread that first starts a worker: only the GUI thread runs
        # the event loop that releases the workers.
        raise RuntimeError("gui.threads.start is called from the GUI thread only")
    if _handback is None:
        _handback = _Handback()
    handback = _handback
    pool = _pool()
    # The pool gets a plain callable, never the worker itself: handed the runnable, PySide keeps the worker
    # alive on the C++ pool's behalf and frees its QObject in the pool thread, and about one finished worker
    # in six was never released at all (656 in a two-hour soak). Here superqt's set holds the worker until
    # its run() has returned, and the last reference is dropped in the GUI thread, where its QObject lives:
    # the pool thread lets go of it before it says so.
    key = handback.hold(worker)
    box = [worker]

    def run() -> None:
        w = box.pop()
        try:
            w.run()
        finally:
            del w
            handback.ended.emit(key)

    if long_lived:
        pool.setMaxThreadCount(pool.maxThreadCount() + 1)
        worker.finished.connect(_give_back_thread)
    pool.start(run)
    return worker


class JobFailed(Exception):
    """A RuntimeError raised in a generator job, carried as its ``__cause__``. superqt's GeneratorWorker
    takes a RuntimeError for "the worker was deleted" and then ends without ``finished``; wrapping keeps
    the normal ``errored`` then ``finished`` order."""


def guarded(gen: Generator[Any, Any, R]) -> Generator[Any, Any, R]:
    """``yield from gen``, with a RuntimeError turned into JobFailed (see there)."""
    try:
        return (yield from gen)
    except RuntimeError as exc:
        raise JobFailed(f"{type(exc).__name__}: {exc}") from exc


def _give_back_thread() -> None:
    pool = _pool()
    pool.setMaxThreadCount(max(1, pool.maxThreadCount() - 1))


_ABORTED = object()  # what a cancelled job returns


class LatestOnly(QtCore.QObject, Generic[R]):
    """Run one job at a time; while one runs, newer requests replace each other and only the newest runs next.

    ``job(request)`` is a generator run in a pool thread: what it yields is passed on by ``yielded``
    (in the GUI thread), its return value by ``returned(request, value)``. Every request ends with exactly
    one of ``returned`` / ``errored(request, exc)`` / ``dropped(request)`` (replaced while waiting, or
    cancelled, or abandoned at a ``yield`` when ``cancel_running``). Live in and call from the GUI thread.
    """

    started = QtCore.Signal(object)  # request
    yielded = QtCore.Signal(object)  # what the job yielded
    returned = QtCore.Signal(object, object)  # request, value
    errored = QtCore.Signal(object, object)  # request, exception
    dropped = QtCore.Signal(object)  # request

    def __init__(self, job: Callable[[R], Generator[Any, None, Any]], *, min_interval_s: float = 0.0,
                 cancel_running: bool = False, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self._job = job
        self._min_interval_s = float(min_interval_s)
        self._cancel_running = cancel_running
        self._pending: Optional[R] = None
        self._running: Optional[R] = None
        self._worker: Optional[GeneratorWorker] = None
        self._done = threading.Event()
        self._done.set()
        self._stop = threading.Event()
        self._ended = False  # the running request's outcome was signalled
        self._cooldown = QtCore.QTimer(self)
        self._cooldown.setSingleShot(True)
        self._cooldown.timeout.connect(self._start_next)
        self._last_start = 0.0
        self._clock = QtCore.QElapsedTimer()
        self._clock.start()
        self._closed = False

    @property
    def busy(self) -> bool:
        """A job is running (its generator has not ended) or waiting."""
        return self._pending is not None or not self._done.is_set()

    def submit(self, request: R) -> None:
        """Returns at once. Replaces a waiting request; with ``cancel_running``, also stops the running one."""
        if self._closed:
            return
        replaced, self._pending = self._pending, request
        if replaced is not None:
            self.dropped.emit(replaced)
        if self._running is not None:
            if self._cancel_running:
                self._stop.set()
            return
        self._schedule()

    def cancel(self) -> None:
        """Drop the waiting request and ask the running one to stop at its next ``yield``."""
        replaced, self._pending = self._pending, None
        self._cooldown.stop()
        if replaced is not None:
            self.dropped.emit(replaced)
        self._stop.set()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait (at most ``timeout_ms``) for a running job to end; True if it did."""
        self._closed = True
        self.cancel()
        ok = self._done.wait(timeout_ms / 1000.0)
        if not ok:
            log.warning("a %s job still runs after %d ms", type(self._job).__name__, timeout_ms)
        return ok

    def _schedule(self) -> None:
        wait_ms = self._min_interval_s * 1000.0 - (self._clock.elapsed() - self._last_start)
        if wait_ms > 0:
            # A rate limit on the GUI side: this thread and the worker share the interpreter lock, so jobs
            # back to back would stall the event loop. Newer requests coalesce meanwhile.
            if not self._cooldown.isActive():
                self._cooldown.start(int(wait_ms) + 1)
        else:
            self._start_next()

    def _start_next(self) -> None:
        if self._running is not None or self._pending is None or self._closed:
            return
        request, self._pending = self._pending, None
        self._running, self._ended = request, False
        self._last_start = self._clock.elapsed()
        done = self._done = threading.Event()
        stop = self._stop = threading.Event()
        job = self._job

        def run() -> Generator[Any, None, Any]:
            # Cancelling is checked here at each yield and ends the job through its own ``finally``
            # (superqt's quit() would leave the generator suspended, its clean-up undone).
            steps = guarded(job(request))
            try:
                while True:
                    try:
                        item = next(steps)
                    except StopIteration as end:
                        return end.value
                    if stop.is_set():
                        steps.close()
                        return _ABORTED
                    yield item
                    if stop.is_set():
                        steps.close()
                        return _ABORTED
            finally:
                done.set()

        worker = create_worker(run, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self.yielded)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self.started.emit(request)
        start(worker)

    def _on_returned(self, value: Any) -> None:
        if value is _ABORTED:
            return  # reported as dropped when it finishes
        if self._running is not None and not self._ended:
            self._ended = True
            self.returned.emit(self._running, value)

    def _on_errored(self, exc: BaseException) -> None:
        if self._running is not None and not self._ended:
            self._ended = True
            cause = exc.__cause__ if isinstance(exc, JobFailed) and exc.__cause__ is not None else exc
            self.errored.emit(self._running, cause)

    def _on_finished(self) -> None:
        request, self._running, self._worker = self._running, None, None
        if request is not None and not self._ended:
            self.dropped.emit(request)  # cancelled at a yield
        if self._pending is not None and not self._closed:
            self._schedule()
