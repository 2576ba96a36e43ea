"""Backoff arithmetic and feed-state wording, with an injected RNG and clock (no network)."""

from __future__ import annotations

import random

import pytest

from market.live.feeds import FeedBoard
from market.live.retry import OFFLINE, RETRY, RetryPolicy, classify
from market.series import MINUTE_MS
from market.source import FEED_FAILED, FEED_OFFLINE, FEED_OK, FEED_RETRYING, FEED_STALE


class Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_exponential_backoff_with_equal_jitter_and_cap():
    p = RetryPolicy(base_s=1.0, factor=2.0, max_s=10.0)
    # cap = min(10, 2**attempt); delay = cap/2 + u*cap/2
    assert [p.delay(a, Fixed(0.0)) for a in range(5)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert [p.delay(a, Fixed(1.0)) for a in range(5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    rng = random.Random(42)
    delays = [p.delay(3, rng) for _ in range(200)]
    assert min(delays) >= 4.0 and max(delays) <= 8.0 and len(set(delays)) > 100  # jittered, within bounds


def test_retry_after_is_a_floor():
    p = RetryPolicy(base_s=1.0)
    assert p.delay(0, Fixed(0.0), retry_after_s=30) == 30
    assert p.delay(5, Fixed(1.0), retry_after_s=2) == 32.0


def test_classification_of_failures():
    import aiohttp
    import ccxt

    assert classify(ccxt.RateLimitExceeded("x"), {"Retry-After": "7"}, 429).retry_after_s == 7.0
    assert classify(ccxt.DDoSProtection("x"), {"retry-after": "120"}, 418).reason == "blocked for too many requests (HTTP 418)"
    assert classify(ccxt.BadSymbol("gone")).kind == "fatal"
    refused = ccxt.ExchangeNotAvailable("binanceusdm GET http://127.0.0.1:1/x")
    refused.__cause__ = ConnectionRefusedError(111, "refused")
    assert classify(refused).kind == OFFLINE
    assert classify(ccxt.ExchangeNotAvailable("x"), None, 502).reason == "exchange unavailable (HTTP 502)"
    assert classify(ccxt.RequestTimeout("x")).reason == "timed out"
    assert classify(TypeError("string indices")).reason == "malformed response"
    assert classify(aiohttp.ServerDisconnectedError()).kind == RETRY


def test_feed_board_states_and_stale():
    now = [10 * 60 * MINUTE_MS]
    board = FeedBoard(["okx"], lambda: now[0])
    board.ok("okx:candles", now[0] - MINUTE_MS)
    board.retrying("okx:open_interest", "rate limited (HTTP 429)", 8)
    board.offline("okx:funding", "no connection", 30)
    board.failed("okx:long_short", "symbol not listed")
    st = {s.feed: s for s in board.snapshot()}
    assert st["okx:candles"].status == FEED_OK
    assert (st["okx:open_interest"].status, st["okx:open_interest"].detail) == (FEED_RETRYING, "rate limited (HTTP 429), retrying in 8 s")
    assert st["okx:open_interest"].retry_in_s == 8
    assert (st["okx:funding"].status, st["okx:funding"].detail) == (FEED_OFFLINE, "no connection, retrying in 30 s")
    assert (st["okx:long_short"].status, st["okx:long_short"].detail) == (FEED_FAILED, "failed: symbol not listed")
    now[0] += 5 * MINUTE_MS  # no new candle for 6 minutes
    st = {s.feed: s for s in board.snapshot()}
    assert st["okx:candles"].status == FEED_STALE and st["okx:candles"].detail == "stale since 09:59 UTC"
    board.ok("okx:candles", now[0] - MINUTE_MS)
    assert {s.feed: s for s in board.snapshot()}["okx:candles"].status == FEED_OK
    assert [s.status for s in board.log() if s.feed == "okx:candles"] == [FEED_OK]  # stale is derived, not logged
