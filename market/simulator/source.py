"""DemoSource: the simulated market behind the MarketSource interface.

History is the simulator's first ``history_days`` (deterministic per seed). Live, simulated time runs at
``speed`` x the wall clock from the moment history is ready; each ``poll`` releases the minutes that have
closed since, plus the minute in progress as a growing candle (same ts; the closed candle replaces it when
``MarketFrames.merge`` lays later rows over earlier ones). The simulator always runs one minute ahead, so
the growing candle is a deterministic part of the finished one and the finished one never contradicts it
in open; OI, funding, long/short and liquidation rows of a minute are released when it closes.

With a ``history_cache`` (market.demo_cache) the history simulated once is read back on later starts, so
the window draws it at once; the simulator then runs through the same history at the first ``poll`` to
reach its state, and live minutes continue exactly as after a fresh simulation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd

from market.demo_cache import DemoHistoryCache
from market.series import DEFAULT_SYMBOL, MINUTE_MS, MarketFrames
from market.simulator.config import DEFAULT_START_MS, SimConfig
from market.simulator.engine import MarketSimulator
from market.simulator.symbols import DEMO_SYMBOLS, demo_symbol
from market.simulator.truth import TruthSnapshot
from market.source import FEED_OK, FeedState, ProgressFn, SourceInfo

DEMO_LABEL = "Demo market — simulated data"
SAVE_DELAY_S = 20.0  # the history is kept for the next start this long after it is ready (or at close)
SAVE_WAIT_S = 30.0  # closing waits this long at most for the history being kept for the next start
MAX_MINUTES_PER_POLL = 1440  # keeps poll prompt at huge speeds; the rest follows on later polls
_SERIES = ("candles", "open_interest", "funding", "liquidations", "long_short")


class DemoSource:
    def __init__(
        self,
        seed: int = 7,
        speed: float = 1.0,
        symbol: str = DEFAULT_SYMBOL,
        history_days: float = 30,
        clock: Callable[[], float] = time.monotonic,
        start_ms: int = DEFAULT_START_MS,
        config: Optional[SimConfig] = None,
        history_cache: Optional[DemoHistoryCache] = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        if history_days <= 0:
            raise ValueError(f"history_days must be positive, got {history_days!r}")
        demo_symbol(symbol)  # ValueError naming the demo's symbols
        base = config if config is not None else SimConfig()
        # The demo needs no truth snapshots (truth_now() gives one on demand) and no ledger.
        self.config = replace(
            base, seed=seed, days=history_days, start_ms=start_ms, symbol=symbol,
            truth_every_minutes=0, truth_times_ms=(), record_ledger=False,
        )
        self.speed = float(speed)
        self.symbol = symbol
        self._clock = clock
        self._lock = threading.RLock()
        self._sim: Optional[MarketSimulator] = None
        self._history: Optional[MarketFrames] = None
        self._live: list[MarketFrames] = []  # closed minutes released after history
        self._pending: Optional[MarketFrames] = None  # the minute in progress, fully simulated
        self._released_ms = self.config.end_ms  # end of the last released closed minute
        self._wall0 = 0.0
        self._sim0_ms = self.config.end_ms
        self._closed = False
        self._last_update_ms: Optional[int] = None
        self._cache = history_cache
        self._saver: Optional[threading.Thread] = None
        self._closing = threading.Event()

    # ----- MarketSource ---------------------------------------------------------------------------
    def info(self) -> SourceInfo:
        return SourceInfo(
            kind="demo",
            label=DEMO_LABEL,
            symbols=(self.symbol,),  # the one being simulated; list_symbols() has the others
            exchanges=tuple(self.config.venues),
            has_real_liquidations=True,  # they are the simulator's true events
            detail=f"seed {self.config.seed}, speed {self.speed:g}x",
        )

    def history(
        self,
        symbol: str,
        start_ms: Optional[int] = None,
        end_ms: Optional[int] = None,
        exchanges: Optional[Sequence[str]] = None,
        progress: Optional[ProgressFn] = None,
    ) -> MarketFrames:
        self._check_symbol(symbol)
        with self._lock:
            self._ensure_history(progress)
            frames = self._history
            assert frames is not None, "_ensure_history sets it"
            if self._live:
                frames = frames.merge(_concat(self._live))
                self._history, self._live = frames, []
        if start_ms is None:
            start_ms = self.config.start_ms
        out = frames.slice(start_ms, end_ms)
        if exchanges is not None:
            unknown = sorted(set(exchanges) - set(self.config.venues))
            if unknown:
                raise ValueError(f"demo market has no exchange(s) {unknown}; it has {list(self.config.venues)}")
            out = out.only(exchanges)
        return out

    def poll(self, symbol: str) -> MarketFrames:
        self._check_symbol(symbol)
        with self._lock:
            if self._closed:
                return MarketFrames(symbol=self.symbol)
            self._ensure_history(None)
            try:
                self._ensure_sim(stoppable=True)
            except _Closing:
                return MarketFrames(symbol=self.symbol)
            target = self._target_ms()
            n = min(MAX_MINUTES_PER_POLL, max(0, (target - self._released_ms) // MINUTE_MS))
            out = self._release(n) if n else None
            progress_ms = target - self._released_ms
            if 0 < progress_ms < MINUTE_MS:
                # Most polls (a fast feed) release nothing: the partial minute is the whole answer, no
                # merge over empty frames (a second normalize with the interpreter lock held).
                partial = self._partial(progress_ms / MINUTE_MS)
                out = partial if out is None else out.merge(partial)
            if out is None:
                out = MarketFrames(symbol=self.symbol)
            if not out.is_empty():
                self._last_update_ms = self.now_ms()
            return out

    def feed_states(self) -> tuple[FeedState, ...]:
        with self._lock:
            last = self._last_update_ms if self._last_update_ms is not None else (self._released_ms if self._history is not None else None)
            detail = "closed" if self._closed else f"simulated, {self.speed:g}x"
            return tuple(FeedState(f"{ex}:{s}", FEED_OK, detail, last) for ex in self.config.venues for s in _SERIES)

    def now_ms(self) -> int:
        with self._lock:
            if self._history is None:
                return self.config.end_ms
            return min(self._target_ms(), self._released_ms + MINUTE_MS - 1) if not self._closed else self._released_ms

    def close(self) -> None:
        self._closing.set()  # first: a catch-up simulation holding the lock stops within a simulated day
        with self._lock:
            self._closed = True
            saver = self._saver
        if saver is not None:
            saver.join(SAVE_WAIT_S)  # a history half written is removed anyway; a whole one saves the next start

    # ----- extras (not in the protocol) -------------------------------------------------------------
    @staticmethod
    def list_symbols() -> tuple[str, ...]:
        """The symbols the demo market simulates (each at its own price level and size)."""
        return tuple(DEMO_SYMBOLS)

    def truth_now(self) -> TruthSnapshot:
        """Ground truth at the last released minute boundary (open cohorts), for overlays and checks."""
        with self._lock:
            self._ensure_history(None)
            self._ensure_sim()
            return self._truth_at_release

    # ----- internals --------------------------------------------------------------------------------
    def _check_symbol(self, symbol: str) -> None:
        if symbol != self.symbol:
            demo_symbol(symbol)
            raise ValueError(f"this demo source simulates {self.symbol}, not {symbol!r}: open a demo of {symbol} instead")

    def _ensure_history(self, progress: Optional[ProgressFn]) -> None:
        """The history's frames: read back from the cache when it has them (the simulator then catches up
        at the first poll), else simulated, which readies the simulator too."""
        if self._history is not None:
            return
        if self._cache is not None:
            if progress:
                progress(0.0, "Reading the demo market's saved history")
            cached = self._cache.load(self._cache_description())
            if cached is not None:
                self._history = cached
                self._start_clock()
                if progress:
                    progress(1.0, "Demo market ready")
                return
        self._simulate(progress)
        if self._cache is not None:
            # Written beside the session, once the window has drawn and built its model (a second of work
            # that would otherwise compete with them), or at once when it closes sooner.
            cache, description, frames = self._cache, self._cache_description(), self._history
            assert frames is not None, "_simulate sets it"

            def save() -> None:
                self._closing.wait(SAVE_DELAY_S)
                cache.save(description, frames)

            self._saver = threading.Thread(target=save, name="demo-history-save", daemon=True)
            self._saver.start()

    def _ensure_sim(self, stoppable: bool = False) -> None:
        """The simulator at the history's end. ``stoppable``: a catch-up after a cached start ends early
        (``_Closing``) when the source is closed meanwhile, so closing the window never waits for it."""
        if self._sim is None:
            self._simulate(None, stop=self._closing if stoppable else None)

    def _simulate(self, progress: Optional[ProgressFn], stop: Optional[threading.Event] = None) -> None:
        """Run the simulator through the history; after a cached start, only to reach its state (the
        same simulation gives the same frames)."""
        if progress:
            progress(0.0, "Simulating the demo market")
        sim = MarketSimulator(self.config, self.symbol)
        total = self.config.minutes

        def report(done: int) -> None:
            if stop is not None and stop.is_set():
                raise _Closing
            if progress:
                progress(0.99 * done / total, f"Simulating the demo market: day {done // 1440} of {total / 1440:g}")

        history = sim.step_minutes(total, report)
        self._sim = sim
        self._truth_at_release = sim.truth_now()
        self._pending = sim.step_minutes(1)
        if self._history is None:
            self._history = history
            self._start_clock()
        if progress:
            progress(1.0, "Demo market ready")

    def _start_clock(self) -> None:
        self._released_ms = self.config.end_ms
        self._sim0_ms = self.config.end_ms
        self._wall0 = self._clock()

    def _cache_description(self) -> str:
        return f"{self.config!r}|{self.symbol}"

    def _target_ms(self) -> int:
        # Rounded to the ms: float clock differences like 6.4999999 s must not lose a millisecond.
        return self._sim0_ms + int(round((self._clock() - self._wall0) * self.speed * 1000.0))

    def _release(self, n: int) -> MarketFrames:
        """Release n closed minutes: the pending one and n - 1 more simulated in one batch (one frame
        build, so even a day per poll stays prompt), then simulate the next pending minute."""
        sim, pending = self._sim, self._pending
        assert sim is not None and pending is not None, "released only after _ensure_history"
        parts = [pending]
        if n > 1:
            parts.append(sim.step_minutes(n - 1))
        self._released_ms += n * MINUTE_MS
        self._truth_at_release = sim.truth_now()
        self._pending = sim.step_minutes(1)
        out = _concat(parts)
        self._live.append(out)
        if len(self._live) > 256:  # a long session polls often: keep the released rows in few frames
            self._live = [_concat(self._live)]
        return out

    def _partial(self, f: float) -> MarketFrames:
        """The minute in progress at fraction f of its duration: a candle that grows into the final one."""
        assert self._pending is not None, "a partial minute only after _ensure_history"
        c = self._pending.candles
        o, h, l, cl = (c[k].to_numpy() for k in ("open", "high", "low", "close"))
        close = o + (cl - o) * f
        high = np.maximum(close, o) + (h - np.maximum(o, cl)) * f
        low = np.minimum(close, o) - (np.minimum(o, cl) - l) * f
        part = pd.DataFrame({
            "ts": c["ts"].to_numpy(),
            "exchange": c["exchange"].to_numpy(),
            "open": o,
            "high": high,
            "low": low,
            "close": close,
            "volume": c["volume"].to_numpy() * f,
            "taker_buy_volume": c["taker_buy_volume"].to_numpy() * f,
            "quote_volume": c["quote_volume"].to_numpy() * f,
        })
        return MarketFrames.build(self.symbol, MINUTE_MS, candles=part)


class _Closing(Exception):
    """The source was closed during a catch-up simulation."""


def _concat(parts: list[MarketFrames]) -> MarketFrames:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return MarketFrames.build(
        first.symbol,
        first.timeframe_ms,
        **{n: pd.concat([p.series(n) for p in parts], ignore_index=True) for n in _SERIES},
    )
