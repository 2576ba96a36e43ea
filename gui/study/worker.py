"""StudyWorker: runs ``analytics.study.run_study`` in a superqt worker; the GUI thread only submits and listens.

Only the newest request matters: submitting one cancels the one running (cooperatively, at the next
stage the study yields: after the model is built and after the study) and replaces any still waiting. Every job
ends with exactly one of ``finished`` / ``cancelled`` / ``failed`` carrying its job number, so a view can
ignore what it no longer asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Generator, Optional

from PySide6 import QtCore

from gui import threads

from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from analytics.study import StudyResult, run_study
from market.series import MarketFrames
from cascade_vocab.units import MINUTE_MS

log = logging.getLogger(__name__)

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


def study_steps(request: StudyRequest) -> Generator[str, None, StudyResult]:
    """``run_study`` on the request's frames as a generator: it yields a progress line after each costly
    stage (a cancel lands there) and returns the StudyResult.

    Raises ValueError with one clear sentence on bad input.
    """
    frames = request.frames
    tf = frames.timeframe_ms
    if len(frames.candles) == 0:
        raise ValueError("no candles in the data: nothing to study")
    for name, value in (("every", request.every_ms), ("horizon", request.horizon_ms)):
        if value <= 0 or value % tf:
            raise ValueError(f"{name} must be a positive multiple of the candles' timeframe ({tf // MINUTE_MS} min)")
    if not 0 < request.band_pct < 100:
        raise ValueError(f"band {request.band_pct:g} %: must be between 0 and 100 %")
    if request.start_ms is not None and request.end_ms is not None and request.start_ms > request.end_ms:
        raise ValueError("'from' is after 'to'")
    # The model is built once here (the costly part on long histories) so a cancel can land before the study.
    model = LiquidationModel.from_history(frames.candles, frames.open_interest, request.params, tf)
    yield "model built; reading the map as of each step"
    result = run_study(frames.candles, frames.open_interest, every_ms=request.every_ms, horizon_ms=request.horizon_ms,
                       band_pct=float(request.band_pct), start_ms=request.start_ms, end_ms=request.end_ms,
                       params=request.params, timeframe_ms=tf, n_boot=request.n_boot, seed=request.seed, model=model)
    yield "study done"
    return result


def compute_study(request: StudyRequest, cancelled: Callable[[], bool] = lambda: False) -> StudyResult:
    """``study_steps`` driven to its end, checking ``cancelled`` after each stage (a plain function, for
    tests and headless use). Raises ValueError on bad input, StudyCancelled when cancelled."""
    steps = study_steps(request)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        if cancelled():
            steps.close()
            raise StudyCancelled()


class StudyWorker(QtCore.QObject):
    """Runs ``study_steps`` in a superqt worker, latest request wins (gui.threads.LatestOnly with
    cancel-running). Live in and call from the GUI thread."""

    started = QtCore.Signal(int)  # job
    progressed = QtCore.Signal(str)  # what the running job just finished
    finished = QtCore.Signal(int, object)  # job, StudyResult
    cancelled = QtCore.Signal(int)  # job
    failed = QtCore.Signal(int, str)  # job, one clear sentence

    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self._latest: threads.LatestOnly[StudyRequest] = threads.LatestOnly(study_steps, cancel_running=True, parent=self)
        self._latest.started.connect(lambda r: self.started.emit(r.job))
        self._latest.yielded.connect(lambda what: self.progressed.emit(str(what)))
        self._latest.returned.connect(lambda r, result: self.finished.emit(r.job, result))
        self._latest.dropped.connect(lambda r: self.cancelled.emit(r.job))
        self._latest.errored.connect(self._on_error)

    def submit(self, request: StudyRequest) -> None:
        """Returns at once: cancels the running job (at its next stage) and replaces a waiting one."""
        self._latest.submit(request)

    def cancel(self) -> None:
        """Drop the waiting job and ask the running one to stop at its next stage."""
        self._latest.cancel()

    @property
    def busy(self) -> bool:
        return self._latest.busy

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel and wait for the running stage to end (at most ``timeout_ms``)."""
        return self._latest.shutdown(timeout_ms)

    def _on_error(self, request: StudyRequest, exc: BaseException) -> None:
        if isinstance(exc, ValueError):
            self.failed.emit(request.job, str(exc))
        else:  # a bug is reported in the view, not fatal to the window
            log.error("the study failed", exc_info=exc)
            self.failed.emit(request.job, f"{type(exc).__name__}: {exc}")
