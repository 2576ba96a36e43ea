"""No network at all, restarts that resume from the store, and gaps refilled after an outage."""

from __future__ import annotations

import socket
import time

import numpy as np

from market.series import MINUTE_MS, MarketFrames, per_exchange
from market.source import FEED_OFFLINE, FEED_OK
from tests.integration.live.conftest import HOURS, assert_same_rows, served, wait_until

EXCHANGES = ("binance", "okx", "bybit")


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here any more: connections are refused
    return port


def _nowhere(port: int) -> dict:
    return {ex: {"rest": f"http://127.0.0.1:{port}", "ws": f"ws://127.0.0.1:{port}/{ex}/ws"} for ex in EXCHANGES}


def test_offline_start_reports_offline_quickly_and_serves_the_store(fake, make_source, store):
    # a previous session left candles in the store
    cached = served(fake, "candles", "binance", fake.now_ms - 60 * MINUTE_MS, fake.now_ms)
    store.write(MarketFrames.build(candles=cached))
    src = make_source(store=store, urls_override=_nowhere(_closed_port()), timeout_s=3.0)
    t0 = time.monotonic()
    frames = src.history(src.symbol)
    elapsed = time.monotonic() - t0
    assert elapsed < 5, f"history took {elapsed:.1f} s offline"
    assert_same_rows(per_exchange(frames.candles, "binance"), cached, ["close"])
    states = src.feed_states()
    assert len(states) == 18 and all(s.status == FEED_OFFLINE for s in states), [(s.feed, s.status, s.detail) for s in states]
    assert all("no connection" in s.detail for s in states)
    assert src.poll(src.symbol).is_empty()
    t0 = time.monotonic()
    src.close()
    assert time.monotonic() - t0 < 5


def test_dns_failure_counts_as_offline(make_source):
    urls = {ex: {"rest": "http://cascade-test-host.invalid", "ws": "ws://cascade-test-host.invalid/ws"} for ex in EXCHANGES}
    src = make_source(urls_override=urls, exchanges=("binance",), timeout_s=3.0)
    t0 = time.monotonic()
    src.history(src.symbol)
    assert time.monotonic() - t0 < 8
    assert {s.status for s in src.feed_states()} == {FEED_OFFLINE}


def test_restart_resumes_from_the_store_and_fetches_only_what_is_missing(fake, make_source, store):
    first = make_source(store=store, stream_liquidations=False)
    first.history(first.symbol)
    first.close()
    start = fake.now_ms - HOURS * 60 * MINUTE_MS
    fake.advance(20 * MINUTE_MS, push=False)
    before = fake.route_counts()
    second = make_source(store=store, stream_liquidations=False)
    second.history(second.symbol)
    after = fake.route_counts()
    for route in ("binance /fapi/v1/klines", "okx /api/v5/market/history-candles", "bybit /v5/market/kline"):
        # one page for the 20 missing minutes, plus one daily-candle request for the 30-day volume
        assert after[route] - before.get(route, 0) == 2, route
    now = fake.now_ms
    for ex in EXCHANGES:
        got = per_exchange(store.read(second.symbol, start).candles, ex)
        assert_same_rows(got, served(fake, "candles", ex, start, now), ["open", "close", "volume"])


def test_gap_after_an_outage_is_detected_and_refilled(fake, make_source, store):
    src = make_source(store=store, exchanges=("binance", "okx"), stream_liquidations=False)
    src.history(src.symbol)
    last = store.last_ts(src.symbol, "binance", "candles")
    outage = fake.fail("binance", "", 503, times=None)  # every Binance route down
    fake.advance(15 * MINUTE_MS, push=False)
    assert wait_until(lambda: outage.hits >= 3, 5)
    fake.clear_faults()
    now = fake.now_ms
    assert wait_until(lambda: store.last_ts(src.symbol, "binance", "candles") == now - MINUTE_MS, 10)
    gaps = [g for g in src.gaps_refilled() if g.exchange == "binance"]
    # the refill reports the missing stretch (a poll cycle that began before the outage may have
    # fetched its first minute already, hence the range for from_ms)
    assert gaps and last < gaps[-1].from_ms <= last + 2 * MINUTE_MS and gaps[-1].to_ms == now - MINUTE_MS
    c = per_exchange(store.read(src.symbol).candles, "binance")
    assert (np.diff(c["ts"].to_numpy()) == MINUTE_MS).all(), "candles contiguous after the refill"
    start = now - 15 * MINUTE_MS - HOURS * 60 * MINUTE_MS
    assert_same_rows(c, served(fake, "candles", "binance", start, now), ["open", "high", "low", "close", "volume"])
    assert wait_until(lambda: {s.feed: s.status for s in src.feed_states()}["binance:candles"] == FEED_OK, 5)


def test_outage_longer_than_the_history_window_is_refilled_from_the_last_stored_row(fake, make_source, store):
    # The live poll asked only for the last ``history_days`` before now: a venue down for longer than
    # that came back with its newest rows and a hole between them and the last stored row, for good.
    src = make_source(store=store, exchanges=("binance",), stream_liquidations=False)
    src.history(src.symbol)
    last = store.last_ts(src.symbol, "binance", "candles")
    outage = fake.fail("binance", "", 503, times=None)
    assert wait_until(lambda: outage.hits >= 3, 5)
    fake.advance((HOURS + 1) * 60 * MINUTE_MS, push=False)  # down for longer than the history the source keeps
    assert wait_until(lambda: outage.hits >= 6, 5)
    fake.clear_faults()
    now = fake.now_ms
    assert wait_until(lambda: store.last_ts(src.symbol, "binance", "candles") == now - MINUTE_MS, 10)
    c = per_exchange(store.read(src.symbol).candles, "binance")
    c = c[c["ts"] >= last]
    assert (np.diff(c["ts"].to_numpy()) == MINUTE_MS).all(), "candles contiguous across the outage"
    assert_same_rows(c, served(fake, "candles", "binance", last, now), ["open", "high", "low", "close", "volume"])
