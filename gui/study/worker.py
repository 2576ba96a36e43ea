"""StudyWorker: runs ``analytics.study.run_study`` in its own thread; the GUI thread only submits and listens.

Only the newest request matters: submitting one cancels the one running (cooperatively, at the next
checkpoint: after the model is built and after the study) and replaces any still waiting. Every job
ends with exactly one of ``finished`` / ``cancelled`` / ``failed`` carrying its job number, so a view can
ignore what it no longer asked for.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

from PySide6 import QtCore

from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from analytics.study import StudyResult, run_study
from market.series import MarketFrames

DEFAULT_BOOT = 1000


class StudyCancelled(Exception):
    """The job was cancelled (a newer request, or the trader pressed Cancel)."""


@dataclass(frozen=True)
class StudyRequest:
    frames: MarketFrames  # the data to study (one symbol; candles and OI)
    every_ms: int
    horizon_ms: int
    band_pct: float
    start_ms: Optional[int] = None  # None: a day after the first candle (the model needs history)
    end_ms: Optional[int] = None  # None: to the end of the data
    params: Optional[ModelParams] = None  # the model settings the window's map uses
    n_boot: int = DEFAULT_BOOT
    seed: int = 0
    job: int = 0


def compute_study(request: StudyRequest, cancelled: Callable[[], bool] = lambda: False) -> StudyResult:
    """``run_study`` on the request's frames, checking ``cancelled`` between the costly stages.

    Raises ValueError with one clear sentence on bad input, StudyCancelled when cancelled.
    """
    frames = request.frames
    tf = frames.timeframe_ms
    if len(frames.candles) == 0:
        raise ValueError("no candles in the data: nothing to study")
    for name, value in (("every", request.every_ms), ("horizon", request.horizon_ms)):
        if value <= 0 or value % tf:
            raise ValueError(f"{name} must be a positive multiple of the candles' timeframe ({tf // 60_000} min)")
    if not 0 < request.band_pct < 100:
        raise ValueError(f"band {request.band_pct:g} %: must be between 0 and 100 %")
    if request.start_ms is not None and request.end_ms is not None and request.start_ms > request.end_ms:
        raise ValueError("'from' is after 'to'")
    # The model is built once here (the costly part on long histories) so a cancel can land before the study.
    model = LiquidationModel.from_history(frames.candles, frames.open_interest, request.params, tf)
    if cancelled():
        raise StudyCancelled()
    result = run_study(frames.candles, frames.open_interest, every_ms=request.every_ms, horizon_ms=request.horizon_ms,
                       band_pct=float(request.band_pct), start_ms=request.start_ms, end_ms=request.end_ms,
                       params=request.params, timeframe_ms=tf, n_boot=request.n_boot, seed=request.seed, model=model)
    if cancelled():
        raise StudyCancelled()
    return result


class StudyWorker(QtCore.QObject):
    started = QtCore.Signal(int)  # job
    finished = QtCore.Signal(int, object)  # job, StudyResult
    cancelled = QtCore.Signal(int)  # job
    failed = QtCore.Signal(int, str)  # job, one clear sentence
    _kick = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: Optional[StudyRequest] = None
        self._running_cancel: Optional[threading.Event] = None
        self._kick.connect(self._run, QtCore.Qt.ConnectionType.QueuedConnection)

    def submit(self, request: StudyRequest) -> None:
        """Thread-safe, returns at once: cancels the running job and replaces a waiting one."""
        with self._lock:
            replaced = self._pending
            self._pending = request
            if self._running_cancel is not None:
                self._running_cancel.set()
        if replaced is not None:
            self.cancelled.emit(replaced.job)
        self._kick.emit()

    def cancel(self) -> None:
        """Thread-safe: drop the waiting job and ask the running one to stop at its next checkpoint."""
        with self._lock:
            replaced, self._pending = self._pending, None
            if self._running_cancel is not None:
                self._running_cancel.set()
        if replaced is not None:
            self.cancelled.emit(replaced.job)

    @QtCore.Slot()
    def _run(self) -> None:
        with self._lock:
            request, self._pending = self._pending, None
            if request is None:
                return
            flag = self._running_cancel = threading.Event()
        self.started.emit(request.job)
        try:
            result = compute_study(request, flag.is_set)
        except StudyCancelled:
            self.cancelled.emit(request.job)
        except ValueError as exc:
            self.failed.emit(request.job, str(exc))
        except Exception as exc:  # a bug is reported in the view, not fatal to the window
            traceback.print_exc()
            self.failed.emit(request.job, f"{type(exc).__name__}: {exc}")
        else:
            self.finished.emit(request.job, result)
        finally:
            with self._lock:
                self._running_cancel = None
