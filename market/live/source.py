"""LiveSource: Binance USDⓈ-M, OKX and Bybit through ccxt, behind the MarketSource interface.

Threads: the source owns one background thread running an asyncio loop (ccxt.pro's REST and WebSocket
clients live there). ``history`` blocks its caller (a GUI worker thread, never the GUI thread) while the
backfill runs; ``poll`` only drains a queue and returns at once; ``feed_states`` reads a locked board.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import random
import threading
import time
from typing import Awaitable, Callable, Optional, Sequence

from market.live.engine import Engine, EngineConfig
from market.live.gap_log import Gap
from market.live.feeds import CANDLE_STREAM, FeedBoard
from market.live.memory_store import MemoryStore
from market.live.retry import RetryPolicy
from market.live.silence import SilencePolicy
from market.live.venues import VENUES
from market.live.venues.base import DAY_MS
from market.series import DEFAULT_SYMBOL, EXCHANGES, EXCHANGE_NAMES, MINUTE_MS, MarketFrames
from market.source import FeedState, ProgressFn, SourceInfo


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class LiveSource:
    """Live market data of one symbol on Binance, OKX and Bybit (MarketSource, kind "live").

    ``store``: a market.store.Store to cache into (restarts resume from it), or None for memory only.
    ``urls_override``: {"binance": {"rest": "http://127.0.0.1:P", "ws": "ws://..."}, ...} to point ccxt
    elsewhere (tests/fake_exchange). ``clock``: the source's now in ms (wall clock by default).
    ``rng``/``sleep``: jitter and waiting, injectable so tests are fast and deterministic.
    ``rate_limit_ms``: ccxt's minimum spacing of requests per exchange; None keeps ccxt's per-venue value
    (Binance 50 ms, OKX 110 ms, Bybit 20 ms), which respects the venues' public limits.
    ``silence``: when a connected liquidation stream that heard nothing is called silent (silence.py).
    """

    def __init__(
        self,
        symbol: str = DEFAULT_SYMBOL,
        exchanges: Sequence[str] = EXCHANGES,
        store=None,
        history_days: float = 30,
        urls_override: Optional[dict] = None,
        clock: Callable[[], int] = wall_clock_ms,
        timeout_s: float = 8.0,
        retry: RetryPolicy = RetryPolicy(),
        rng: Optional[random.Random] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        poll_interval_s: float = 15.0,
        stream_liquidations: bool = True,
        rate_limit_ms: Optional[float] = None,
        stream_candles: bool = True,
        owns_store: bool = False,
        silence: Optional[SilencePolicy] = None,
        ws_keepalive_ms: Optional[int] = None,
    ) -> None:
        unknown = [e for e in exchanges if e not in VENUES]
        if unknown:
            raise ValueError(f"unknown exchange(s) {unknown}; known: {list(VENUES)}")
        self.symbol = symbol
        self.exchanges = tuple(exchanges)
        self.history_days = history_days
        self._clock = clock
        self._store = store if store is not None else MemoryStore()
        # The app hands its store over (closed with the source, after the loop that writes to it stops);
        # tests and the snapshot command keep theirs.
        self._owns_store = owns_store and store is not None
        self._queue: "queue.Queue[MarketFrames]" = queue.Queue()
        self._board = FeedBoard(self.exchanges, clock, (CANDLE_STREAM,) if stream_candles else ())
        cfg = EngineConfig(symbol, self.exchanges, dict(urls_override or {}), timeout_s, retry, poll_interval_s,
                           stream_liquidations, int(history_days * DAY_MS), rate_limit_ms, stream_candles,
                           silence=silence or SilencePolicy(), ws_keepalive_ms=ws_keepalive_ms)
        self._loop = asyncio.new_event_loop()
        self._engine = Engine(cfg, self._store, self._board, self._queue, clock, rng or random.Random(),
                              sleep or asyncio.sleep)
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run_loop, name="cascade-live", daemon=True)
        self._thread.start()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _run(self, coro, timeout: Optional[float] = None):
        if self._closed:
            coro.close()
            raise RuntimeError("the live source is closed")
        try:
            return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)
        except concurrent.futures.CancelledError:
            raise RuntimeError("the live source was closed while it was working") from None

    def _check_symbol(self, symbol: str) -> None:
        if symbol != self.symbol:
            raise ValueError(f"this live source follows {self.symbol}; open another one for {symbol}")

    # ---- MarketSource ----------------------------------------------------------------------------
    def info(self) -> SourceInfo:
        names = ", ".join(EXCHANGE_NAMES.get(e, e) for e in self.exchanges)
        return SourceInfo(kind="live", label=f"Live — {names}", symbols=(self.symbol,), exchanges=self.exchanges,
                          has_real_liquidations=True)

    def history(self, symbol: str, start_ms: Optional[int] = None, end_ms: Optional[int] = None,
                exchanges: Optional[Sequence[str]] = None, progress: Optional[ProgressFn] = None) -> MarketFrames:
        """Backfill what the store lacks (default: ``history_days`` up to now), start live feeds, return the rows.

        Blocks for the backfill (call it from a worker thread). ``progress(fraction, text)`` is called from
        the source's own loop thread. Offline, it returns within seconds with what the store has.
        """
        self._check_symbol(symbol)
        now = self.now_ms()
        start = start_ms if start_ms is not None else now - int(self.history_days * DAY_MS)
        chosen = tuple(e for e in (exchanges or self.exchanges) if e in self.exchanges)

        async def go() -> MarketFrames:
            await self._engine.backfill(start, now, chosen, progress)
            self._engine.start_live()
            return self._store.read(symbol, start, end_ms, list(chosen))

        return self._run(go())

    def poll(self, symbol: str) -> MarketFrames:
        """Rows that arrived since the last poll (written to the store already). Never blocks."""
        self._check_symbol(symbol)
        out = MarketFrames.build(symbol, MINUTE_MS)
        while True:
            try:
                out = out.merge(self._queue.get_nowait())
            except queue.Empty:
                return out

    def feed_states(self) -> tuple[FeedState, ...]:
        return self._board.snapshot()

    def now_ms(self) -> int:
        return int(self._clock())

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        async def shutdown() -> None:
            await self._engine.close()
            # ccxt leaves helper tasks (its throttler) behind; end them so the loop closes cleanly.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in others:
                t.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(15)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)
        if not self._loop.is_running():
            self._loop.close()
        if self._owns_store:
            self._store.close()

    # ---- extras ------------------------------------------------------------------------------------
    def fear_greed(self):
        """The Crypto Fear & Greed index, or None when unavailable. Blocks (HTTP): call from a worker thread."""
        from market.live.fear_greed import FEAR_GREED_URL, fetch_fear_greed

        url = (self._engine.cfg.urls_override.get("fear_greed") or {}).get("rest") or FEAR_GREED_URL
        return fetch_fear_greed(url, timeout_s=5.0)

    def volume_30d(self) -> dict[str, Optional[float]]:
        """30-day quote volume (USD) per exchange, from the last backfill; None where unknown."""
        return dict(self._engine.volume_30d)

    def leverage_tiers(self) -> dict[str, Optional[list]]:
        """Public leverage tiers per exchange (OKX, Bybit); None where not public (Binance needs a key)."""
        return dict(self._engine.leverage_tiers)

    def gaps_refilled(self) -> tuple[Gap, ...]:
        """The latest gaps this session refilled, oldest first (``gap_totals`` counts them all)."""
        return self._engine.gaps.recent()

    def gap_totals(self) -> tuple[int, int]:
        """(gaps refilled, candles refilled) since the session started."""
        return self._engine.gaps.count, self._engine.gaps.minutes

    def feed_log(self) -> tuple[FeedState, ...]:
        """Recent feed state changes, oldest first."""
        return self._board.log()

    def __enter__(self) -> "LiveSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
