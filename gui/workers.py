"""Worker threads: the GUI thread never calls a source or the analytics.

MarketWorker owns the source in a superqt generator worker: it backfills history (reporting progress),
then polls in its own pool thread and hands the merged, immutable MarketFrames to the window by signal.

ViewWorker turns (frames, selections, as-of time) into everything the panels draw (ChartData and the
liquidation-model view) off the GUI thread. Requests are coalesced (gui.threads.LatestOnly): while one
runs, newer requests replace each other and only the newest is computed next, so bursts of ticks cost one
redraw.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Generator, Optional

import numpy as np
from PySide6 import QtCore
from superqt.utils import GeneratorWorker, create_worker

from gui import analytics_bridge, threads
from gui.heap_return import HeapReturner
from gui.chart_data import ChartBuilder, ChartData, append_frames, bound_history, build_chart_data, liquidation_events
from gui.panels.registry import needs_frames, panel_data
from market.series import MarketFrames
from market.source import HasModelSettings, HasSentiment, MarketSource

log = logging.getLogger(__name__)


MAX_RUNS_PER_S = 5.0
EMIT_INTERVAL_S = 0.1


class _Cancelled(Exception):
    pass


class MarketWorker(QtCore.QObject):
    """The source in a superqt generator worker: what the generator yields becomes these signals (emitted in
    the GUI thread, so ``sender()`` is this worker). Start with ``start()``, end with ``stop()``."""

    failed_signal = "failed"  # the one message a stopped feed still delivers

    info_ready = QtCore.Signal(object)  # SourceInfo
    model_settings_ready = QtCore.Signal(object)  # dict: the model settings a snapshot was saved with
    sentiment = QtCore.Signal(object)  # FearGreed or None (live only; optional, absent without error)
    progress = QtCore.Signal(float, str)
    history_ready = QtCore.Signal(object, object)  # MarketFrames, source clock (ms): candles before it are closed
    updated = QtCore.Signal(object, object)  # MarketFrames (history plus everything polled since), source clock
    feeds = QtCore.Signal(object, object)  # tuple[FeedState], source clock (ms, int)
    failed = QtCore.Signal(str)

    def __init__(self, make_source: Callable[[], MarketSource], symbol: str, poll_ms: int = 200,
                 keep_ms: Optional[int] = None) -> None:
        """``keep_ms``: how much history (before the source clock) the polled frames keep; None keeps all."""
        super().__init__()
        self._keep_ms = keep_ms
        self._make_source = make_source
        self._symbol = symbol
        self._poll_ms = poll_ms
        self._cancel = threading.Event()
        self._ended = threading.Event()
        self._ended.set()  # not started: nothing to wait for
        self._worker: Optional[GeneratorWorker] = None
        self.polls = 0

    def start(self) -> None:
        """Start the feed in a pool thread of its own (returns at once)."""
        if self._worker is not None:
            return
        self._ended.clear()
        worker = create_worker(self._feed, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self._deliver)
        worker.errored.connect(self._on_error)
        self._worker = worker
        threads.start(worker, long_lived=True)

    def request_stop(self) -> None:
        """Thread-safe, returns at once: a running backfill gives up at its next progress report, polling stops."""
        self._cancel.set()

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Stop and wait (at most ``timeout_ms``) until the source is closed; True if it was."""
        self.request_stop()
        ok = self._ended.wait(timeout_ms / 1000.0)
        if not ok:
            log.warning("the %s feed did not stop within %d ms", self._symbol, timeout_ms)
        return ok

    @property
    def running(self) -> bool:
        return not self._ended.is_set()

    # -- in the GUI thread ----------------------------------------------------------------------------
    def _deliver(self, message: tuple) -> None:
        if self._cancel.is_set() and message[0] != self.failed_signal:
            return  # a stopped feed says nothing more
        getattr(self, message[0]).emit(*message[1:])

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, threads.JobFailed) and exc.__cause__ is not None:
            exc = exc.__cause__
        log.error("market feed failed", exc_info=exc)
        self.failed.emit(f"{type(exc).__name__}: {exc}")

    # -- in the worker's thread -----------------------------------------------------------------------
    def _feed(self) -> Generator[tuple, None, None]:
        """Open the source, backfill, then poll until stopped; each yield is (signal name, *arguments)."""
        try:
            yield from threads.guarded(self._run())
        finally:
            self._ended.set()

    def _run(self) -> Generator[tuple, None, None]:
        source: Optional[MarketSource] = None
        try:
            try:
                source = self._make_source()
                yield ("info_ready", source.info())
                saved = source.model_settings if isinstance(source, HasModelSettings) else None
                if isinstance(saved, dict) and saved:
                    yield ("model_settings_ready", dict(saved))
                worker = self._worker

                def progress(fraction: float, what: str) -> None:
                    if self._cancel.is_set():
                        raise _Cancelled()
                    # history() is one blocking call of the source Protocol that reports through this
                    # callback; its reports go out on the same channel as everything this generator yields.
                    if worker is not None:
                        worker.yielded.emit(("progress", float(fraction), str(what)))

                frames = source.history(self._symbol, progress=progress)
            except _Cancelled:
                return
            except Exception as exc:  # a source that cannot start is explained, not fatal
                if type(exc).__module__.startswith("market."):
                    # The market package's own errors are already one plain line (bad file, no network).
                    yield ("failed", str(exc))
                else:
                    log.exception("the source could not start")
                    yield ("failed", f"{type(exc).__name__}: {exc}")
                return
            if self._cancel.is_set():
                return
            yield ("history_ready", frames, self._clock(source, frames))
            yield from self._feeds(source)
            yield from self._sentiment(source)
            yield from self._poll_loop(source, frames)
        finally:
            if source is not None:
                try:
                    source.close()
                except Exception:  # closing is best effort; the feed is over either way
                    log.exception("closing the source failed")

    def _poll_loop(self, source: MarketSource, frames: MarketFrames) -> Generator[tuple, None, None]:
        deltas: list[MarketFrames] = []
        last_emit = last_feeds = 0.0
        while not self._cancel.wait(self._poll_ms / 1000.0):
            try:
                delta = source.poll(self._symbol)
            except Exception as exc:
                yield ("failed", f"update failed: {type(exc).__name__}: {exc}")
                continue
            self.polls += 1
            if not delta.is_empty():
                deltas.append(delta)
            now = time.monotonic()
            if deltas and now - last_emit >= EMIT_INTERVAL_S:
                # Fast sources (50 polls/s) are merged and handed on at most 10 times a second.
                merged = deltas[0]
                for d in deltas[1:]:
                    merged = append_frames(merged, d)
                deltas = []
                frames = append_frames(frames, merged)
                clock = self._clock(source, frames)
                if self._keep_ms is not None:
                    frames = bound_history(frames, self._keep_ms, clock)
                last_emit = now
                yield ("updated", frames, clock)
            if now - last_feeds >= EMIT_INTERVAL_S:
                last_feeds = now
                yield from self._feeds(source)

    def _sentiment(self, source: MarketSource) -> Generator[tuple, None, None]:
        """Optional market sentiment where the source offers it (live: the Fear & Greed index)."""
        if not isinstance(source, HasSentiment):
            return
        try:
            value = source.fear_greed()
        except Exception:  # sentiment is decoration: never let it disturb the market feed
            value = None
        yield ("sentiment", value)

    @staticmethod
    def _clock(source: MarketSource, frames: MarketFrames) -> int:
        try:
            return int(source.now_ms())
        except Exception:
            rng = frames.time_range()
            return rng[1] if rng else 0

    @staticmethod
    def _feeds(source: MarketSource) -> Generator[tuple, None, None]:
        try:
            yield ("feeds", tuple(source.feed_states()), int(source.now_ms()))
        except Exception as exc:
            yield ("failed", f"feed state: {exc}")


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
    tiers: Optional[tuple[int, ...]] = None  # leverage layers shown (indices into the model's leverages); None: all


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
    """Computes ViewResults off the GUI thread, latest request wins (gui.threads.LatestOnly), at most
    MAX_RUNS_PER_S runs a second. Live in and call from the GUI thread; ``result`` arrives there."""

    result = QtCore.Signal(object)  # ViewResult

    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self.keeper = analytics_bridge.ModelKeeper()  # used by one job at a time, never two at once
        self.charts = ChartBuilder()  # likewise
        self.heap = HeapReturner()  # after jobs, on this worker's thread: the GUI thread never waits for it
        self.runs = 0
        self._latest: threads.LatestOnly[ViewRequest] = threads.LatestOnly(self._job, min_interval_s=1.0 / MAX_RUNS_PER_S, parent=self)
        self._latest.yielded.connect(self.result)
        self._latest.errored.connect(self._on_error)

    def submit(self, request: ViewRequest) -> None:
        """Returns at once. Only the newest pending request is computed."""
        self._latest.submit(request)

    @property
    def busy(self) -> bool:
        return self._latest.busy

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Drop what waits and wait for a running computation to end (the window is closing)."""
        return self._latest.shutdown(timeout_ms)

    def _job(self, request: ViewRequest) -> Generator[ViewResult, None, None]:
        if self.keeper.needs_rebuild(request.session_id, request.frames, request.model):
            # Building the model takes a while on a month of data: draw the market first.
            yield compute_view(request, None, self.charts)
        yield compute_view(request, self.keeper, self.charts, defer_ranges=True)
        if self.keeper.finish_ranges():  # after a rebuild: the map was drawn, now the ranges
            yield compute_view(request, self.keeper, self.charts)
        self.runs += 1
        self.heap.maybe_return()

    def _on_error(self, _request: ViewRequest, exc: BaseException) -> None:
        log.error("the view computation failed", exc_info=exc)  # compute_view catches its own: this is a bug


def compute_view(request: ViewRequest, keeper: Optional[analytics_bridge.ModelKeeper],
                 charts: Optional[ChartBuilder] = None, defer_ranges: bool = False) -> ViewResult:
    """Everything the window draws for ``request`` (a plain function: testable without threads).

    ``charts``: the worker's ChartBuilder, which recomputes only the newest bars of a growing feed.
    ``defer_ranges``: after a model rebuild, the central map without its ranges (``keeper.finish_ranges``
    then a second call give them)."""
    t0 = time.perf_counter()
    frames = request.frames
    shown = frames.known_at(request.as_of_ms) if request.as_of_ms is not None else frames
    error = ""
    liquidity = imbalance = None
    try:
        if charts is not None and request.as_of_ms is None:
            chart = charts.build(shown, request.exchanges, request.timeframe_ms)
        else:
            chart = build_chart_data(shown.only(request.exchanges), request.exchanges, request.timeframe_ms)
        if needs_frames(request.panels):
            chart = replace(chart, panel_data=panel_data(shown.only(request.exchanges), chart, request.panels))
    except Exception as exc:
        log.exception("building the chart data failed")
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
            request.tiers,
            defer_ranges,
        )
        if liquidity is not None:
            up, down = request.targets or analytics_bridge.default_targets(liquidity)
            imbalance = analytics_bridge.imbalance_view(liquidity, up, down, request.model)
        # The volume-based map of candles-only data has no size: its "liquidations" would be made up.
        if not request.real_liquidations and keeper.model is not None and not keeper.relative and len(chart.candles):
            grid = (chart.candles.x * 1000).astype(np.int64)
            est = keeper.model.estimated_liquidations(int(grid[0]), request.as_of_ms)
            chart = replace(chart, liquidations=liquidation_events(est, request.exchanges, grid, chart.timeframe_ms))
    except Exception as exc:
        log.exception("the analytics failed")
        error = f"analytics: {type(exc).__name__}: {exc}"
    return ViewResult(request, chart, liquidity, imbalance, time.time(), (time.perf_counter() - t0) * 1000.0, error)
