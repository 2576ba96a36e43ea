"""The asyncio side of LiveSource: ccxt exchanges, backfill, polling, liquidation streams.

Everything here runs on the source's own event-loop thread; LiveSource talks to it only through
run_coroutine_threadsafe, a thread-safe queue (new rows for poll) and the FeedBoard (states).
Every fetched page is written to the store as soon as it arrives, so an interrupted backfill resumes
where it stopped and nothing already stored is lost.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

import numpy as np
import pandas as pd

from market.live import ccxt_version
from market.live.feeds import CANDLE_STREAM, FeedBoard, feed_name
from market.live.gap_log import Gap, GapLog
from market.live.history_depth import coarse_spans, fine_from, requests_for
from market.live.silence import SilencePolicy, event_rate, silence
from market.live.retry import FATAL, OFFLINE, Failure, GaveUp, MalformedResponse, RetryPolicy, call_with_retries, classify
from market.live.venues import VENUES, Venue
from market.live.venues.base import DAY_MS, OI_PERIOD_MS
from market.series import MINUTE_MS, MarketFrames, normalize
from market.store_schema import absurd_mask
from market.source import FEED_OK, FEED_SILENT, ProgressFn
from cascade_vocab.units import HOUR_MS
from cascade_vocab.names import Series

HISTORY_SERIES = ("candles", "open_interest", "long_short", "funding")
HISTORY_MARKS_META = "history_until"  # store meta: {"symbol|exchange|series": ms the real history was fetched to}
log = logging.getLogger(__name__)


@dataclass
class EngineConfig:
    symbol: str
    exchanges: tuple[str, ...]
    urls_override: dict
    timeout_s: float
    retry: RetryPolicy
    poll_interval_s: float
    stream_liquidations: bool = True
    history_ms: int = 30 * DAY_MS
    rate_limit_ms: Optional[float] = None
    stream_candles: bool = True
    silence: SilencePolicy = field(default_factory=SilencePolicy)
    ws_keepalive_ms: Optional[int] = None  # ccxt.pro's ping interval (None: each venue's own, e.g. OKX 18 s)


@dataclass
class _VenueState:
    ex: Any = None  # a ccxt.pro exchange (untyped)
    market: Optional[dict] = None
    failure: Optional[Failure] = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seen: dict = field(default_factory=dict)  # liquidation key -> ts, for de-duplication
    http: tuple = (None, None)  # (status, headers) of the venue's last HTTP response
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # set to make the poll loop refill now
    listening_since: Optional[int] = None  # source clock when the liquidation stream last (re)subscribed
    rate: Optional[float] = None  # liquidations per unit of price travel (silence.event_rate)
    rate_at: Optional[int] = None  # when ``rate`` was computed (source clock)


def _parse_each(parse, items: list, market) -> pd.DataFrame:
    """Parse stream items one by one, skipping the malformed ones, so one bad message loses only itself."""
    frames = []
    for item in items:
        try:
            frames.append(parse([item], market))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            continue
    frames = [f for f in frames if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else parse([], market)


def _align_up(ms: int, step: int) -> int:
    return -(-ms // step) * step


class Engine:
    def __init__(self, cfg: EngineConfig, store, board: FeedBoard, out: "queue.Queue[MarketFrames]",
                 clock: Callable[[], int], rng: random.Random, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.cfg = cfg
        self.store = store
        self.board = board
        self.out = out
        self.clock = clock
        self.rng = rng
        self.sleep = sleep
        self.venues: dict[str, _VenueState] = {}
        self.tasks: list[asyncio.Task] = []
        self.gaps = GapLog()
        self.volume_30d: dict[str, Optional[float]] = {ex: None for ex in cfg.exchanges}
        self.leverage_tiers: dict[str, Optional[list]] = {ex: None for ex in cfg.exchanges}
        self.live_started = False
        self.closing = False
        # Where each venue's OI history was last fetched up to: the 'current OI' rows stored by every poll
        # are newer, and must not become the point the history resumes from. Kept in the store's meta too,
        # so a restart during an outage of the history route still refills from there.
        self.history_until: dict[tuple[str, str], int] = self._stored_history_marks()
        self.recorded_since: dict[tuple[str, str], int] = {}  # series without venue history: first stored row
        for name in cfg.exchanges:
            for series, reason in VENUES[name].not_published.items():
                board.unavailable(feed_name(name, series), reason)
        self._coarse_done: set[tuple[str, str]] = set()  # (venue, series) whose older coarse spans are filled
        # The oldest ts this session's backfills asked for: how far back a live refill may reach.
        self.session_from: Optional[int] = None

    def _stored_history_marks(self) -> dict[tuple[str, str], int]:
        try:
            saved = self.store.meta().get(HISTORY_MARKS_META)
        except Exception:  # an unreadable meta row must not stop the backfill: it then trusts the rows
            return {}
        marks: dict[tuple[str, str], int] = {}
        if isinstance(saved, dict):
            for key, ts in saved.items():
                parts = str(key).split("|")
                if len(parts) == 3 and parts[0] == self.cfg.symbol and isinstance(ts, int):
                    marks[(parts[1], parts[2])] = ts
        return marks

    def _mark_history(self, name: str, series: str, end: int) -> None:
        self.history_until[(name, series)] = end
        if series != Series.OPEN_INTEREST:
            return  # only OI has 'current' rows newer than its history
        try:
            saved = self.store.meta().get(HISTORY_MARKS_META)
            saved = dict(saved) if isinstance(saved, dict) else {}
            saved[f"{self.cfg.symbol}|{name}|{series}"] = int(end)
            self.store.set_meta({HISTORY_MARKS_META: saved})
        except Exception as exc:  # the mark is a guard for restarts; losing it costs a refetch, not data
            log.debug("history mark not stored: %s", type(exc).__name__)

    # ---- exchanges -----------------------------------------------------------------------------
    def _vs(self, name: str) -> _VenueState:
        if name not in self.venues:
            self.venues[name] = _VenueState()
        return self.venues[name]

    def _mark_all(self, name: str, failure: Failure, in_s: Optional[float] = None) -> None:
        for s in ("candles", "open_interest", "funding", "long_short", "liquidations") + ((CANDLE_STREAM,) if self.cfg.stream_candles else ()):
            f = feed_name(name, s)
            if failure.kind == FATAL:
                self.board.failed(f, failure.reason)
            elif failure.kind == OFFLINE:
                self.board.offline(f, failure.reason, in_s)
            else:
                self.board.retrying(f, failure.reason, in_s or 0.0)

    async def exchange(self, name: str):
        """The venue's ccxt.pro exchange with markets loaded and the symbol's market; raises GaveUp."""
        vs = self._vs(name)
        if vs.failure is not None and vs.failure.kind == FATAL:
            raise GaveUp(vs.failure)
        if vs.market is not None:
            return vs.ex, vs.market
        venue = VENUES[name]
        if vs.ex is None:
            import ccxt.pro as ccxtpro  # lazy: the window appears before ccxt is imported

            config = {"enableRateLimit": True, "timeout": int(self.cfg.timeout_s * 1000), "options": dict(venue.ccxt_options)}
            if self.cfg.rate_limit_ms is not None:
                config["rateLimit"] = self.cfg.rate_limit_ms
            if self.cfg.ws_keepalive_ms is not None:
                config["streaming"] = {"keepAlive": int(self.cfg.ws_keepalive_ms)}
            vs.ex = getattr(ccxtpro, venue.ccxt_id)(config)
            urls = self.cfg.urls_override.get(name) or {}
            venue.point_at(vs.ex, urls.get("rest"), urls.get("ws"))
            self._record_http(vs)
            self._guard_websocket(vs.ex)
        ex = vs.ex
        await call_with_retries(lambda: ex.load_markets(reload=True), self.cfg.retry, self.rng,
                                headers=lambda: vs.http[1], status=lambda: vs.http[0], sleep=self.sleep, attempts=2,
                                on_retry=lambda f, d: self._mark_all(name, f, d))
        market = ex.markets.get(venue.listing(self.cfg.symbol)) if ex.markets else None
        if market is None or market.get("active") is False:
            vs.failure = Failure(FATAL, f"{self.cfg.symbol} is not listed on {venue.label} (delisted?)")
            raise GaveUp(vs.failure)
        vs.market = market
        return ex, market

    @staticmethod
    def _record_http(vs: _VenueState) -> None:
        """Remember each response's status and headers: ccxt's exceptions carry neither (Retry-After, 429 vs 418)."""
        ex = vs.ex
        original = ex.on_rest_response

        def on_rest_response(code, reason, url, method, headers, body, *rest):
            vs.http = (int(code) if code is not None else None, dict(headers or {}))
            return original(code, reason, url, method, headers, body, *rest)

        ex.on_rest_response = on_rest_response

    @staticmethod
    def _guard_websocket(ex) -> None:
        """An exception in ccxt.pro's message handler ends its receive loop for good while the socket stays
        open: the feed would say 'listening' and hear nothing. Turn it into an error the stream loop retries."""
        make_client = ex.client

        def client(url, *args, **kwargs):
            c = make_client(url, *args, **kwargs)
            if not getattr(c, "cascade_guarded", False):
                inner = c.handle_message

                def handle_message(message):
                    try:
                        inner(message)
                    except Exception as exc:
                        c.reject(MalformedResponse(f"malformed WebSocket message ({type(exc).__name__})"))

                c.handle_message = handle_message
                c.cascade_guarded = True
            return c

        ex.client = client

    async def _fetch(self, name: str, series: str, make, attempts: Optional[int] = None):
        vs = self._vs(name)
        feed = feed_name(name, series)

        async def fresh():
            vs.http = (None, None)  # a timeout or refused connection has no response: don't reuse the last one
            return await make()

        return await call_with_retries(fresh, self.cfg.retry, self.rng, headers=lambda: vs.http[1], status=lambda: vs.http[0],
                                       sleep=self.sleep, attempts=attempts,
                                       on_retry=lambda f, d: (self.board.offline(feed, f.reason, d) if f.kind == OFFLINE
                                                              else self.board.retrying(feed, f.reason, d)))

    # ---- storing ---------------------------------------------------------------------------------
    def _write(self, series: str, df: pd.DataFrame, live: bool, new_from: Optional[int] = None) -> int:
        """Store the rows; live ones also go to poll(), except re-fetched rows older than ``new_from``."""
        if len(df) == 0:
            return 0
        # An exchange that sends absurd values (a zero price, a 1970 timestamp) must not poison the store:
        # a snapshot of that range could never be opened again.
        df = normalize(series, df)
        df = df[~absurd_mask(series, df)]
        if len(df) == 0:
            return 0
        frames = MarketFrames.build(self.cfg.symbol, MINUTE_MS, **{series: df})
        self.store.write(frames)
        if live:
            fresh = frames if new_from is None else frames.slice(new_from, None)
            if not fresh.is_empty():
                self.out.put(fresh)
        return len(df)

    def _price_at(self, name: str, ts: np.ndarray) -> np.ndarray:
        """Close of the 1m candle ending at each instant (OI is measured at an instant; see series.py)."""
        if len(ts) == 0:
            return np.array([], dtype=float)
        c = self.store.read(self.cfg.symbol, int(ts.min()) - 10 * MINUTE_MS, int(ts.max()) + MINUTE_MS, [name]).candles
        if len(c) == 0:
            return np.full(len(ts), np.nan)
        close_t = c["ts"].to_numpy() + MINUTE_MS
        idx = np.searchsorted(close_t, ts, side="right") - 1
        out = np.where(idx >= 0, c["close"].to_numpy()[np.clip(idx, 0, None)], np.nan)
        return out

    def _priced(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """OI rows whose USD value the venue left out: base amount x the candle close at that instant."""
        if len(df) == 0 or not df["oi_usd"].isna().any():
            return df
        px = self._price_at(name, df["ts"].to_numpy())
        if np.isnan(px).any():  # the current OI is newer than the newest stored close: use that close
            last = self.store.read(self.cfg.symbol, int(df["ts"].min()) - 10 * MINUTE_MS, None, [name]).candles
            if len(last):
                px = np.where(np.isnan(px), float(last["close"].iloc[-1]), px)
        return df.assign(oi_usd=np.where(df["oi_usd"].isna(), df["oi_base"].to_numpy() * px, df["oi_usd"].to_numpy()))

    # ---- one venue's history ---------------------------------------------------------------------
    def _plan(self, name: str, series: str, start: int, end: int,
              resume_from: Optional[int] = None) -> tuple[int, int, int]:
        """(first ts to fetch, window length ms, number of requests) for one series of one venue.

        ``resume_from``: a live cycle refills from the newest stored row even when it is older than
        ``start``, back to this bound, so a venue down for longer than the window leaves no hole."""
        v = VENUES[name]
        last = self.store.last_ts(self.cfg.symbol, name, series)
        mark = self.history_until.get((name, series))
        if series == Series.OPEN_INTEREST and mark is not None and last is not None:
            last = min(last, mark)  # a 'current OI' row is not history
        if last is not None and resume_from is not None and last < start:
            back = v.funding_period_ms if series == Series.FUNDING else 0  # funding looks back one period below
            start = max(resume_from, last - back)
        if series == Series.CANDLES:
            step, limit = MINUTE_MS, v.candle_limit
            first = start - start % MINUTE_MS
        elif series == Series.FUNDING:
            step, limit = v.funding_period_ms, v.funding_limit
            first = start
            if last is not None:  # the stored 'current' rate may sit at the next funding time: look back one period
                last = min(last, end) - v.funding_period_ms
        else:
            step = OI_PERIOD_MS
            limit = v.oi_limit if series == Series.OPEN_INTEREST else v.ls_limit
            first = _align_up(start, step)
        depth = v.history_depth_ms(series)
        if depth is not None:  # the venue serves only the latest span: asking further back gets empty pages
            first = max(first, _align_up(end - depth + step, step))
        if last is not None:
            first = max(first, last)  # re-fetch the newest stored row: it may have been a candle still open
        window = step * limit
        n = 0 if first > end else int((end - first) // window) + 1
        return first, window, n

    async def sync_series(self, name: str, series: str, start: int, end: int, live: bool, tick,
                          resume_from: Optional[int] = None) -> None:
        v: Venue = VENUES[name]
        ex, market = await self.exchange(name)
        first, window, n = self._plan(name, series, start, end, resume_from)
        feed = feed_name(name, series)
        last_before = self.store.last_ts(self.cfg.symbol, name, series)
        fetchers = {"candles": v.candles, "open_interest": v.oi_history, "long_short": v.long_short,
                    "funding": v.funding_history}
        fetch = fetchers[series]
        if series in (Series.OPEN_INTEREST, Series.LONG_SHORT):
            await self._backfill_coarse(name, series, ex, market, fetch, start, end, live, tick)
        got_any = False
        newest = None
        cursor = first
        for _ in range(n):
            lo, hi = cursor, min(cursor + window - 1, end)
            df = await self._fetch(name, series, lambda lo=lo, hi=hi: fetch(ex, market, lo, hi))
            if series == Series.OPEN_INTEREST:
                df = self._priced(name, df)
            df = df[(df["ts"] >= lo) & (df["ts"] <= hi)]
            self._write(series, df, live, new_from=None if series == Series.FUNDING else last_before)
            if len(df):
                got_any = True
                newest = int(df["ts"].max())
            cursor += window
            tick(f"{v.label} {series.replace('_', ' ')}")
        self._mark_history(name, series, end)
        if series == Series.OPEN_INTEREST:
            self._note_depth(name, series, start, end)
        if live and series == Series.CANDLES and last_before is not None and newest is not None and newest - last_before > 2 * MINUTE_MS:
            self.gaps.add(Gap(name, series, last_before + MINUTE_MS, newest))
            self.board.ok(feed, newest, detail=f"refilled {int((newest - last_before) // MINUTE_MS) - 1} missing candles")
        elif v.history_depth_ms(series) == 0:
            self.board.ok(feed, self.store.last_ts(self.cfg.symbol, name, series), detail=self._recorded_since(name, series))
        else:
            self.board.ok(feed, newest if got_any else self.store.last_ts(self.cfg.symbol, name, series))

    def _recorded_since(self, name: str, series: str) -> str:
        """For a series the venue keeps no history of: since when Cascade's own recording reaches back."""
        key = (name, series)
        if key not in self.recorded_since:
            rows = self.store.read(self.cfg.symbol, 0, self.clock(), [name]).series(series)
            if len(rows) == 0:
                return f"no history at {VENUES[name].label}: recorded from now on"
            self.recorded_since[key] = int(rows["ts"].min())
        since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.recorded_since[key] / 1000))
        return f"no history at {VENUES[name].label}: recorded by Cascade since {since}"

    async def _backfill_coarse(self, name: str, series: str, ex, market, fetch, start: int, end: int, live: bool, tick) -> None:
        """Spans older than the venue's finest history reach, at the coarser periods it serves (once a session)."""
        v: Venue = VENUES[name]
        tiers = getattr(v, "history_tiers", ())
        key = (name, series)
        if not tiers or key in self._coarse_done:
            return
        limit = v.oi_limit if series == Series.OPEN_INTEREST else v.ls_limit
        for span in coarse_spans(tiers, start, end):
            tier, lo, hi = span
            oldest = self.store.first_ts(self.cfg.symbol, name, series)
            if oldest is not None and oldest < lo + tier.step_ms:
                continue  # the store reaches back past this span: filled by an earlier session (a restart)
            have = self.store.read(self.cfg.symbol, lo, hi + 1, [name]).series(series)["ts"].to_numpy()
            for i in range(requests_for(span, limit)):
                a = lo + i * tier.step_ms * limit
                b = min(a + tier.step_ms * limit - 1, hi)
                if np.any((have >= a) & (have <= b)):
                    tick(f"{v.label} {series.replace('_', ' ')} ({tier.period})")
                    continue  # an earlier session stored rows here (finer ones, while they were the newest)
                df = await self._fetch(name, series, lambda a=a, b=b, p=tier.period: fetch(ex, market, a, b, period=p))
                if series == Series.OPEN_INTEREST:
                    df = self._priced(name, df)
                self._write(series, df[(df["ts"] >= a) & (df["ts"] <= b)], live)
                tick(f"{v.label} {series.replace('_', ' ')} ({tier.period})")
        self._coarse_done.add(key)

    def _coarse_requests(self, name: str, series: str, start: int, end: int) -> int:
        v: Venue = VENUES[name]
        tiers = getattr(v, "history_tiers", ())
        if series not in (Series.OPEN_INTEREST, Series.LONG_SHORT) or not tiers or (name, series) in self._coarse_done:
            return 0
        limit = v.oi_limit if series == Series.OPEN_INTEREST else v.ls_limit
        return sum(requests_for(span, limit) for span in coarse_spans(tiers, start, end))

    def _note_depth(self, name: str, series: str, start: int, end: int) -> None:
        """Since when the venue's history of ``series`` exists here, for the feed's side info."""
        oldest = self.store.first_ts(self.cfg.symbol, name, series)
        if oldest is None:
            return
        oldest = max(oldest, start)
        tiers = getattr(VENUES[name], "history_tiers", ())
        note = ""
        if tiers and fine_from(tiers, end) > oldest:
            since = time.strftime("%d %b %H:%M UTC", time.gmtime(fine_from(tiers, end) / 1000))
            coarser = {"1H": "hourly", "1D": "daily"}.get(tiers[1].period, tiers[1].period) if len(tiers) > 1 else "coarser"
            note = f"{tiers[0].period} rows from {since}, {coarser} before (the venue keeps {tiers[0].entries} rows per period)"
        self.board.history_from(feed_name(name, series), oldest, note)

    async def sync_current(self, name: str, live: bool) -> None:
        v: Venue = VENUES[name]
        ex, market = await self.exchange(name)
        # A failed or odd current-OI answer must not cost this cycle's funding update.
        try:
            oi = v.stamp("open_interest", await self._fetch(name, "open_interest", lambda: v.oi_now(ex, market)), self.clock())
            self._write("open_interest", self._priced(name, oi), live)
        except GaveUp as g:
            if g.failure.kind in (FATAL, OFFLINE):
                raise
        fu = v.stamp("funding", await self._fetch(name, "funding", lambda: v.funding_now(ex, market)), self.clock())
        self._write("funding", fu, live)
        self.board.ok(feed_name(name, "funding"), int(fu["ts"].max()) if len(fu) else None)

    async def extras(self, name: str) -> None:
        """30-day quote volume and public leverage tiers (once; a failure leaves them None)."""
        v: Venue = VENUES[name]
        try:
            ex, market = await self.exchange(name)
            self.volume_30d[name] = await self._fetch(name, "candles", lambda: v.volume_30d(ex, market, self.clock()), attempts=2)
            self.leverage_tiers[name] = await self._fetch(name, "candles", lambda: v.leverage_tiers(ex, market), attempts=2)
        except GaveUp:
            pass

    async def sync_venue(self, name: str, start: int, end: int, live: bool, tick, with_extras: bool = False,
                         resume_from: Optional[int] = None) -> None:
        vs = self._vs(name)
        async with vs.lock:
            try:
                for series in HISTORY_SERIES:
                    if series in VENUES[name].not_published:
                        continue
                    try:
                        await self.sync_series(name, series, start, end, live, tick, resume_from)
                    except GaveUp as g:
                        if g.failure.kind in (FATAL, OFFLINE):
                            raise
                        self.board.retrying(feed_name(name, series), f"{g.failure.reason}; gave up for now",
                                            self.cfg.poll_interval_s)
                try:
                    await self.sync_current(name, live)
                except GaveUp as g:
                    if g.failure.kind in (FATAL, OFFLINE):
                        raise
                if with_extras:
                    await self.extras(name)
            except GaveUp as g:
                if g.failure.kind == FATAL:
                    vs.failure = g.failure
                self._mark_all(name, g.failure)
                if g.failure.kind == OFFLINE:
                    vs.market = None  # reload markets when the network comes back
                raise

    # ---- backfill ----------------------------------------------------------------------------------
    async def backfill(self, start: int, end: int, exchanges: tuple[str, ...], progress: Optional[ProgressFn]) -> None:
        total = 0
        plans = {}
        self.session_from = start if self.session_from is None else min(self.session_from, start)
        # Planning needs no network: it only reads the store.
        for name in exchanges:
            for s in HISTORY_SERIES:
                if s not in VENUES[name].not_published:
                    plans[(name, s)] = self._plan(name, s, start, end)[2] + self._coarse_requests(name, s, start, end)
        total = max(1, sum(plans.values()) + 3 * len(exchanges))
        done = [0]

        def tick(text: str) -> None:
            done[0] += 1
            if progress is not None:
                try:
                    progress(min(1.0, done[0] / total), f"Backfilling {text}")
                except Exception:  # a broken progress display must not stop the backfill
                    pass

        if progress is not None:
            progress(0.0, "Connecting to " + ", ".join(VENUES[n].label for n in exchanges))

        async def one(name: str) -> None:
            try:
                await self.sync_venue(name, start, end, live=False, tick=tick, with_extras=True)
            except GaveUp:
                pass

        await asyncio.gather(*(one(n) for n in exchanges))
        if progress is not None:
            progress(1.0, "Backfill done")

    # ---- live --------------------------------------------------------------------------------------
    def start_live(self) -> None:
        if self.live_started or self.closing:
            return
        self.live_started = True
        for name in self.cfg.exchanges:
            self.tasks.append(asyncio.ensure_future(self._poll_loop(name)))
            if self.cfg.stream_liquidations and Series.LIQUIDATIONS not in VENUES[name].not_published:
                self.tasks.append(asyncio.ensure_future(self._liquidation_loop(name)))
            if self.cfg.stream_candles:
                self.tasks.append(asyncio.ensure_future(self._candle_stream_loop(name)))

    async def _nap(self, name: str, delay: float) -> None:
        """Wait ``delay`` seconds, or less when a candle stream asks for a gap refill."""
        wake = self._vs(name).wake
        sleeper = asyncio.ensure_future(self.sleep(delay))
        waiter = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (sleeper, waiter):
                t.cancel()
            wake.clear()

    async def _poll_loop(self, name: str) -> None:
        attempt = 0
        while not self.closing:
            delay = self.cfg.poll_interval_s
            try:
                now = self.clock()
                await self.sync_venue(name, now - self.cfg.history_ms, now, live=True, tick=lambda t: None,
                                      resume_from=self.session_from)
                self._check_silence(name)
                attempt = 0
            except GaveUp as g:
                if g.failure.kind == FATAL:
                    return
                delay = max(delay, self.cfg.retry.delay(attempt, self.rng))
                attempt += 1
                self._mark_all(name, g.failure, delay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let a bug in one cycle kill the feed
                log.warning("%s: a poll cycle failed; retrying", name, exc_info=True)
                f = classify(exc)
                for s in HISTORY_SERIES:
                    self.board.retrying(feed_name(name, s), f.reason, delay)
            await self._nap(name, delay)

    def _check_silence(self, name: str) -> None:
        """A listening liquidation stream that heard nothing through a wide price move is marked silent."""
        v: Venue = VENUES[name]
        vs = self._vs(name)
        if not self.cfg.stream_liquidations or not getattr(v, "reports_liquidations", True) or vs.listening_since is None:
            return
        feed = feed_name(name, "liquidations")
        st = self.board.get(feed)
        if st.status not in (FEED_OK, FEED_SILENT):
            return  # retrying / failed already say what is wrong
        now = self.clock()
        since = max(st.last_update_ms or vs.listening_since, vs.listening_since)
        if now - since < self.cfg.silence.quiet_ms:
            return
        candles = self.store.read(self.cfg.symbol, since - MINUTE_MS, now, [name]).candles
        reason = silence(st.last_update_ms, vs.listening_since, now, candles, self.cfg.silence, self._event_rate(name, now))
        if reason is not None:
            self.board.silent(feed, reason)

    def _event_rate(self, name: str, now: int) -> Optional[float]:
        """The venue's liquidations per unit of price travel over the last week of stored data (hourly refresh)."""
        vs = self._vs(name)
        if vs.rate_at is None or now - vs.rate_at >= 60 * MINUTE_MS:
            week = self.store.read(self.cfg.symbol, now - 7 * DAY_MS, now, [name])
            vs.rate, vs.rate_at = event_rate(week.liquidations, week.candles, self.cfg.silence), now
        return vs.rate

    def _new_liquidations(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """Rows not seen before (duplicates and replays dropped); keeps the seen-set bounded."""
        vs = self._vs(name)
        if len(df) == 0:
            return df
        keys = list(zip(df["ts"].tolist(), df["side"].tolist(), df["price"].tolist(), df["qty_base"].tolist()))
        keep = []
        for k in keys:
            fresh = k not in vs.seen
            keep.append(fresh)
            if fresh:
                vs.seen[k] = k[0]
        if len(vs.seen) > 50_000:
            cut = max(vs.seen.values()) - HOUR_MS
            vs.seen = {k: t for k, t in vs.seen.items() if t >= cut}
        return df[np.array(keep, dtype=bool)]

    async def _stream_backoff(self, feed: str, exc: Exception, attempt: int) -> bool:
        """After a stream's error: mark the feed and wait out the retry delay; False if it is fatal (stop the stream)."""
        failure = exc.failure if isinstance(exc, GaveUp) else classify(exc)
        if failure.kind == FATAL:
            self.board.failed(feed, failure.reason)
            return False
        delay = self.cfg.retry.delay(attempt, self.rng)
        if failure.kind == OFFLINE:
            self.board.offline(feed, failure.reason, delay)
        else:
            self.board.retrying(feed, failure.reason, delay)
        await self.sleep(delay)
        return True

    def _ccxt_too_old(self, v: Venue, feed: str) -> bool:
        """Mark the stream failed, in plain words, when ccxt is too old to reach the venue's stream route."""
        problem = ccxt_version.problem(venue=v.name, feed=feed.split(":", 1)[1])
        if problem:
            self.board.failed(feed, problem)
        return problem is not None

    async def _liquidation_loop(self, name: str) -> None:
        v: Venue = VENUES[name]
        feed = feed_name(name, "liquidations")
        if self._ccxt_too_old(v, feed):
            return
        attempt = 0
        listening = False
        while not self.closing:
            try:
                ex, market = await self.exchange(name)
                if not listening:
                    self.board.ok(feed, detail="listening")
                    self._vs(name).listening_since = self.clock()
                    listening = True
                await v.watch(ex, market)
                items = list(getattr(ex, "liquidations", None) or [])
                ex.liquidations = None  # read once: ccxt starts a new cache with the next message
                df = normalize("liquidations", _parse_each(v.liquidations, items, market))
                new = self._new_liquidations(name, df)
                if len(new):
                    self._write("liquidations", new, live=True)
                    self.board.ok(feed, int(new["ts"].max()))
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                ex_now = self._vs(name).ex
                if ex_now is not None:
                    ex_now.liquidations = None  # a malformed item must not break every later read
                self._vs(name).listening_since = None
                if not await self._stream_backoff(feed, exc, attempt):
                    return
                attempt += 1
                listening = False

    async def _candle_stream_loop(self, name: str) -> None:
        """Candles as they form (ccxt.pro watch_ohlcv), handed to poll() only.

        The store keeps REST candles alone: streamed ones lack quote and taker volume, and the poll loop
        re-fetches the newest stored minute anyway. On every (re)connection the first streamed candle is
        compared with the newest stored one; a hole between them wakes the poll loop to refill it at once.
        """
        v: Venue = VENUES[name]
        feed = feed_name(name, CANDLE_STREAM)
        if self._ccxt_too_old(v, feed):
            return
        attempt = 0
        fresh_connection = True
        while not self.closing:
            try:
                ex, market = await self.exchange(name)
                rows = await ex.watch_ohlcv(market["symbol"], "1m")
                df = normalize("candles", _parse_each(v.stream_candles, list(rows or []), market))
                if len(df) == 0:
                    continue
                if fresh_connection:
                    last = self.store.last_ts(self.cfg.symbol, name, "candles")
                    if last is not None and int(df["ts"].min()) - last > MINUTE_MS:
                        self._vs(name).wake.set()  # gap after (re)connect: refill from the store's last minute
                    fresh_connection = False
                self.out.put(MarketFrames.build(self.cfg.symbol, MINUTE_MS, candles=df))
                self.board.ok(feed, int(df["ts"].max()))
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not await self._stream_backoff(feed, exc, attempt):
                    return
                attempt += 1
                fresh_connection = True

    # ---- shutdown ----------------------------------------------------------------------------------
    async def close(self) -> None:
        self.closing = True
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            try:
                await t
            except BaseException:
                pass
        self.tasks.clear()
        # ccxt's close waits ~0.25 s per exchange for aiohttp to shut down: close them together
        await asyncio.gather(*(vs.ex.close() for vs in self.venues.values() if vs.ex is not None), return_exceptions=True)
