"""Per-feed state for the status bar: ok / retrying in N s / stale since T / failed: reason / offline."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import replace
from typing import Callable, Iterable, Optional

from market.series import MINUTE_MS
from market.source import (FEED_FAILED, FEED_OFFLINE, FEED_OK, FEED_RETRYING, FEED_SILENT, FEED_STALE, FEED_UNAVAILABLE,
                           FeedState)
from cascade_vocab.utc import utc_hhmm

LIVE_SERIES = ("candles", "open_interest", "funding", "long_short", "liquidations")
CANDLE_STREAM = "candles_stream"  # the WebSocket candle feed (the REST candle feed is "candles")
# A feed whose newest row is older than this (while ok) is shown as stale. Funding settles every 8 h and
# liquidations come when they come, so only the regular series are watched.
STALE_AFTER_MS = {"candles": 3 * MINUTE_MS, "candles_stream": 3 * MINUTE_MS, "open_interest": 20 * MINUTE_MS,
                  "long_short": 20 * MINUTE_MS}


def feed_name(exchange: str, series: str) -> str:
    return f"{exchange}:{series}"


_hhmm = utc_hhmm


class FeedBoard:
    """Thread-safe: the loop thread writes states, the GUI worker reads them. Keeps a short transition log."""

    def __init__(self, exchanges: Iterable[str], clock: Callable[[], int], extra_feeds: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._states: dict[str, FeedState] = {}
        self._log: deque[FeedState] = deque(maxlen=2000)
        for ex in exchanges:
            for s in tuple(LIVE_SERIES) + tuple(extra_feeds):
                name = feed_name(ex, s)
                self._states[name] = FeedState(name, FEED_RETRYING, "starting")

    def _set(self, feed: str, **kw) -> None:
        with self._lock:
            old = self._states.get(feed) or FeedState(feed, FEED_RETRYING)
            if old.status == FEED_UNAVAILABLE and kw.get("status", FEED_UNAVAILABLE) != FEED_UNAVAILABLE:
                return  # a venue-wide outage must not turn "not published" into "retrying"
            new = replace(old, **kw)
            self._states[feed] = new
            if (new.status, new.detail) != (old.status, old.detail):
                self._log.append(new)

    def ok(self, feed: str, last_ts: Optional[int] = None, detail: str = "") -> None:
        with self._lock:
            old = self._states.get(feed)
            prev = old.last_update_ms if old else None
        newest = prev if last_ts is None else max(last_ts, prev or last_ts)
        self._set(feed, status=FEED_OK, detail=detail, retry_in_s=None, last_update_ms=newest)

    def retrying(self, feed: str, reason: str, in_s: float) -> None:
        self._set(feed, status=FEED_RETRYING, detail=f"{reason}, retrying in {in_s:.0f} s" if in_s >= 1 else f"{reason}, retrying in {in_s:.1f} s", retry_in_s=float(in_s))

    def offline(self, feed: str, reason: str = "no connection", in_s: Optional[float] = None) -> None:
        detail = reason if in_s is None else f"{reason}, retrying in {in_s:.0f} s"
        self._set(feed, status=FEED_OFFLINE, detail=detail, retry_in_s=in_s)

    def silent(self, feed: str, reason: str) -> None:
        """Connected, yet nothing arrived through a move that should have brought events (see silence.py)."""
        self._set(feed, status=FEED_SILENT, detail=reason, retry_in_s=None)

    def history_from(self, feed: str, ts: Optional[int], note: str = "") -> None:
        """Since when the venue's history of this series exists (shown beside the feed), and how it is made up."""
        self._set(feed, history_from_ms=ts, history_note=note)

    def failed(self, feed: str, reason: str) -> None:
        self._set(feed, status=FEED_FAILED, detail=f"failed: {reason}", retry_in_s=None)

    def unavailable(self, feed: str, reason: str) -> None:
        """The venue does not publish this series: said once, and kept (no retry ever changes it)."""
        self._set(feed, status=FEED_UNAVAILABLE, detail=reason, retry_in_s=None)

    def is_unavailable(self, feed: str) -> bool:
        with self._lock:
            st = self._states.get(feed)
        return st is not None and st.status == FEED_UNAVAILABLE

    def get(self, feed: str) -> FeedState:
        with self._lock:
            return self._states[feed]

    def snapshot(self) -> tuple[FeedState, ...]:
        """Every feed, ok ones turned 'stale' when their newest row is too old for their cadence."""
        now = self._clock()
        out = []
        with self._lock:
            states = list(self._states.values())
        for st in states:
            series = st.feed.split(":", 1)[1]
            limit = STALE_AFTER_MS.get(series)
            if st.status == FEED_OK and limit and st.last_update_ms is not None and now - st.last_update_ms > limit:
                st = replace(st, status=FEED_STALE, detail=f"stale since {_hhmm(st.last_update_ms)}")
            out.append(st)
        return tuple(out)

    def log(self) -> tuple[FeedState, ...]:
        """Recent state changes, oldest first (diagnostics and tests)."""
        with self._lock:
            return tuple(self._log)
