"""Worker threads: the GUI thread never calls a source or the analytics.

MarketWorker owns the source: it backfills history (reporting progress), then polls on a timer in its
own thread and hands the merged, immutable MarketFrames to the window by signal.

ViewWorker turns (frames, selections, as-of time) into everything the panels draw (ChartData and the
liquidation-model view) off the GUI thread. Requests are coalesced: while one runs, newer requests replace
each other and only the newest is computed next, so bursts of ticks cost one redraw.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from PySide6 import QtCore

from gui import analytics_bridge
import numpy as np

from gui.chart_data import ChartData, append_frames, build_chart_data, liquidation_events
from gui.panels.registry import panel_data
from market.series import MarketFrames
from market.source import MarketSource


MAX_RUNS_PER_S = 5.0
EMIT_INTERVAL_S = 0.1


class _Cancelled(Exception):
    pass


class MarketWorker(QtCore.QObject):
    info_ready = QtCore.Signal(object)  # SourceInfo
    model_settings_ready = QtCore.Signal(object)  # dict: the model settings a snapshot was saved with
    sentiment = QtCore.Signal(object)  # FearGreed or None (live only; optional, absent without error)
    progress = QtCore.Signal(float, str)
    history_ready = QtCore.Signal(object, object)  # MarketFrames, source clock (ms): candles before it are closed
    updated = QtCore.Signal(object, object)  # MarketFrames (history plus everything polled since), source clock
    feeds = QtCore.Signal(object, object)  # tuple[FeedState], source clock (ms, int)
    failed = QtCore.Signal(str)

    def __init__(self, make_source: Callable[[], MarketSource], symbol: str, poll_ms: int = 200) -> None:
        super().__init__()
        self._make_source = make_source
        self._symbol = symbol
        self._poll_ms = poll_ms
        self._source: Optional[MarketSource] = None
        self._frames: Optional[MarketFrames] = None
        self._timer: Optional[QtCore.QTimer] = None
        self._cancel = threading.Event()
        self._deltas: list[MarketFrames] = []
        self._last_emit = 0.0
        self._last_feeds = 0.0
        self.polls = 0

    @QtCore.Slot()
    def start(self) -> None:
        try:
            self._source = self._make_source()
            self.info_ready.emit(self._source.info())
            saved = getattr(self._source, "model_settings", None)
            if isinstance(saved, dict) and saved:
                self.model_settings_ready.emit(dict(saved))

            def progress(fraction: float, what: str) -> None:
                if self._cancel.is_set():
                    raise _Cancelled()
                self.progress.emit(float(fraction), str(what))

            frames = self._source.history(self._symbol, progress=progress)
        except _Cancelled:
            return
        except Exception as exc:  # a source that cannot start is explained, not fatal
            if type(exc).__module__.startswith("market."):
                # The market package's own errors are already one plain line (bad file, no network).
                self.failed.emit(str(exc))
            else:
                traceback.print_exc()
                self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        if self._cancel.is_set():
            return
        self._frames = frames
        self.history_ready.emit(frames, self._clock(frames))
        self._emit_feeds()
        self._emit_sentiment()
        # No parent: dropped in stop(), so it is destroyed in this thread, which owns it.
        self._timer = QtCore.QTimer()
        self._timer.setInterval(self._poll_ms)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _emit_sentiment(self) -> None:
        """Optional market sentiment where the source offers it (live: the Fear & Greed index)."""
        fetch = getattr(self._source, "fear_greed", None)
        if fetch is None:
            return
        try:
            self.sentiment.emit(fetch())
        except Exception:  # sentiment is decoration: never let it disturb the market feed
            self.sentiment.emit(None)

    def _clock(self, frames: MarketFrames) -> int:
        try:
            return int(self._source.now_ms())
        except Exception:
            rng = frames.time_range()
            return rng[1] if rng else 0

    def _emit_feeds(self) -> None:
        if self._source is not None:
            try:
                self.feeds.emit(tuple(self._source.feed_states()), int(self._source.now_ms()))
            except Exception as exc:
                self.failed.emit(f"feed state: {exc}")

    @QtCore.Slot()
    def _poll(self) -> None:
        if self._source is None or self._frames is None or self._cancel.is_set():
            return
        try:
            delta = self._source.poll(self._symbol)
        except Exception as exc:
            self.failed.emit(f"update failed: {type(exc).__name__}: {exc}")
            return
        self.polls += 1
        if not delta.is_empty():
            self._deltas.append(delta)
        now = time.monotonic()
        if self._deltas and now - self._last_emit >= EMIT_INTERVAL_S:
            # Fast sources (50 polls/s) are merged and handed on at most 10 times a second.
            merged = self._deltas[0]
            for d in self._deltas[1:]:
                merged = append_frames(merged, d)
            self._deltas = []
            self._frames = append_frames(self._frames, merged)
            self._last_emit = now
            self.updated.emit(self._frames, self._clock(self._frames))
        if now - self._last_feeds >= EMIT_INTERVAL_S:
            self._last_feeds = now
            self._emit_feeds()

    def request_stop(self) -> None:
        """Thread-safe: make a running backfill give up at its next progress report."""
        self._cancel.set()

    @QtCore.Slot()
    def stop(self) -> None:
        self._cancel.set()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._source is not None:
            try:
                self._source.close()
            except Exception:
                traceback.print_exc()
            self._source = None


@dataclass(frozen=True)
class ViewRequest:
    frames: MarketFrames
    exchanges: tuple[str, ...]
    timeframe_ms: int
    as_of_ms: Optional[int] = None  # replay: what was known at this instant; None = everything
    targets: Optional[tuple[float, float]] = None  # (up, down) prices; None = the largest nearby clusters
    model: analytics_bridge.ModelSettings = field(default_factory=analytics_bridge.ModelSettings)
    heat_range_ms: Optional[tuple[int, int]] = None  # time span the heatmap covers (the visible one)
    session_id: int = 0
    live: bool = True
    seq: int = 0
    closed_until_ms: Optional[int] = None  # source clock: candles opened before it minus a bar are final
    real_liquidations: bool = True  # False: the source has no liquidation events; show the model's estimate
    panels: Optional[tuple[str, ...]] = None  # the shown panels whose own data to compute; None = all


@dataclass(frozen=True)
class ViewResult:
    request: ViewRequest
    chart: ChartData
    liquidity: Optional[analytics_bridge.LiquidityView]
    imbalance: Optional[analytics_bridge.ImbalanceView]
    computed_at: float  # time.time() when done
    elapsed_ms: float
    error: str = ""


class ViewWorker(QtCore.QObject):
    result = QtCore.Signal(object)  # ViewResult
    _kick = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: Optional[ViewRequest] = None
        self._scheduled = False
        self.keeper = analytics_bridge.ModelKeeper()
        self.runs = 0
        self._kick.connect(self._run, QtCore.Qt.ConnectionType.QueuedConnection)

    def submit(self, request: ViewRequest) -> None:
        """Called from the GUI thread; returns at once. Only the newest pending request is computed."""
        with self._lock:
            self._pending = request
            if self._scheduled:
                return
            self._scheduled = True
        self._kick.emit()

    @QtCore.Slot()
    def _run(self) -> None:
        with self._lock:
            request, self._pending, self._scheduled = self._pending, None, False
        if request is None:
            return
        t0 = time.perf_counter()
        if self.keeper.needs_rebuild(request.session_id, request.frames, request.model):
            # Building the model takes a while on a month of data: draw the market first.
            self.result.emit(compute_view(request, None))
        self.result.emit(compute_view(request, self.keeper))
        self.runs += 1
        # At most MAX_RUNS_PER_S: the GUI thread shares the interpreter lock with this one, so a
        # worker computing back to back would stall the event loop. Newer requests coalesce meanwhile.
        rest = 1.0 / MAX_RUNS_PER_S - (time.perf_counter() - t0)
        if rest > 0:
            time.sleep(rest)


def compute_view(request: ViewRequest, keeper: Optional[analytics_bridge.ModelKeeper]) -> ViewResult:
    """Everything the window draws for ``request`` (a plain function: testable without threads)."""
    t0 = time.perf_counter()
    frames = request.frames
    shown = frames.known_at(request.as_of_ms) if request.as_of_ms is not None else frames
    error = ""
    liquidity = imbalance = None
    try:
        chosen = shown.only(request.exchanges)
        chart = build_chart_data(chosen, request.exchanges, request.timeframe_ms)
        chart = replace(chart, panel_data=panel_data(chosen, chart, request.panels))
    except Exception as exc:
        traceback.print_exc()
        chart = ChartData(frames.symbol, request.timeframe_ms, "", request.exchanges)
        error = f"chart: {exc}"
    if keeper is None:  # the market only; the model follows
        return ViewResult(request, chart, None, None, time.time(), (time.perf_counter() - t0) * 1000.0, error)
    try:
        liquidity = keeper.view(
            request.session_id,
            frames,
            request.model,
            request.exchanges,
            request.as_of_ms,
            request.heat_range_ms,
            request.live,
            request.closed_until_ms,
        )
        if liquidity is not None:
            up, down = request.targets or analytics_bridge.default_targets(liquidity)
            imbalance = analytics_bridge.imbalance_view(liquidity, up, down)
        # The volume-based map of candles-only data has no size: its "liquidations" would be made up.
        if not request.real_liquidations and keeper.model is not None and not keeper.relative and len(chart.candles):
            grid = (chart.candles.x * 1000).astype(np.int64)
            est = keeper.model.estimated_liquidations(int(grid[0]), request.as_of_ms)
            chart = replace(chart, liquidations=liquidation_events(est, request.exchanges, grid, chart.timeframe_ms))
    except Exception as exc:
        traceback.print_exc()
        error = f"analytics: {type(exc).__name__}: {exc}"
    return ViewResult(request, chart, liquidity, imbalance, time.time(), (time.perf_counter() - t0) * 1000.0, error)


class WorkerThread:
    """A QObject worker moved to its own QThread, stopped cleanly on shutdown."""

    def __init__(self, worker: QtCore.QObject, name: str) -> None:
        self.worker = worker
        self.thread = QtCore.QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)

    def start(self, slot: Optional[Callable[[], None]] = None) -> None:
        if slot is not None:
            self.thread.started.connect(slot)
        self.thread.start()

    def shutdown(self, stop_slot: Optional[str] = None, timeout_ms: int = 10000) -> None:
        if not self.thread.isRunning():
            return
        if stop_slot:
            QtCore.QMetaObject.invokeMethod(self.worker, stop_slot, QtCore.Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.quit()
        self.thread.wait(timeout_ms)
