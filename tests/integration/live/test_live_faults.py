"""Every REST fault the fake exchange can inject: the feed says what happened, and the store ends exact."""

from __future__ import annotations

import pytest

from market.series import MINUTE_MS, per_exchange
from market.source import FEED_FAILED, FEED_OK, FEED_RETRYING
from tests.integration.live.conftest import HOURS, assert_same_rows, served, wait_until

CASES = [
    # (exchange, route, how to break it, reason the status bar shows, series, value column)
    ("binance", "/fapi/v1/klines", lambda fx: fx.fail("binance", "/fapi/v1/klines", 429, retry_after_s=1), "rate limited (HTTP 429)", "candles", "close"),
    ("okx", "history-candles", lambda fx: fx.fail("okx", "history-candles", 418, retry_after_s=1), "(HTTP 418)", "candles", "close"),
    ("bybit", "/v5/market/kline", lambda fx: fx.fail("bybit", "/v5/market/kline", 503, times=2), "exchange unavailable (HTTP 503)", "candles", "close"),
    ("binance", "openInterestHist", lambda fx: fx.garbage("binance", "openInterestHist"), "malformed response", "open_interest", "oi_base"),
    ("okx", "open-interest-history", lambda fx: fx.truncate("okx", "open-interest-history"), "malformed response", "open_interest", "oi_base"),
    ("bybit", "account-ratio", lambda fx: fx.delay("bybit", 2.5, "account-ratio"), "timed out", "long_short", "ratio"),
]


@pytest.mark.parametrize("exchange,route,inject,reason,series,col", CASES, ids=[c[3].split(" (")[0] + "-" + c[0] for c in CASES])
def test_fault_is_retried_reported_and_data_is_exact(fake, make_source, store, exchange, route, inject, reason, series, col):
    fault = inject(fake)
    src = make_source(store=store, exchanges=(exchange,), timeout_s=1.0)
    frames = src.history(src.symbol)
    assert fault.hits >= 1, "the fault was never hit"
    log = [s for s in src.feed_log() if s.feed == f"{exchange}:{series}" and s.status == FEED_RETRYING]
    assert log and reason in log[0].detail, [s.detail for s in log]
    if fault.retry_after_s:
        assert log[0].retry_in_s >= fault.retry_after_s  # never before the venue's Retry-After
    state = {s.feed: s for s in src.feed_states()}[f"{exchange}:{series}"]
    assert state.status == FEED_OK
    now = fake.now_ms
    start = now - HOURS * 60 * MINUTE_MS
    got = per_exchange(store.read(src.symbol).series(series), exchange)
    got = got[got["ts"] < now] if series == "open_interest" else got
    want = served(fake, series, exchange, start, now - 1 if series == "open_interest" else now)
    assert_same_rows(got, want, [col])
    assert len(per_exchange(frames.series(series), exchange)) == len(per_exchange(store.read(src.symbol).series(series), exchange))


def test_persistent_outage_gives_up_for_now_then_recovers_without_loss(fake, make_source, store):
    fault = fake.fail("binance", "/fapi/v1/klines", 503, times=None)
    src = make_source(store=store, exchanges=("binance",))
    src.history(src.symbol)  # returns: the outage does not hang the backfill
    st = {s.feed: s for s in src.feed_states()}
    assert st["binance:candles"].status == FEED_RETRYING
    assert any(s.feed == "binance:candles" and "gave up for now" in s.detail for s in src.feed_log())
    assert st["binance:open_interest"].status == FEED_OK  # other feeds of the venue are unaffected
    assert len(per_exchange(store.read(src.symbol).candles, "binance")) == 0
    fake.clear_faults()
    assert fault.hits >= 6
    now = fake.now_ms
    want = served(fake, "candles", "binance", now - HOURS * 60 * MINUTE_MS, now)
    assert wait_until(lambda: len(per_exchange(store.read(src.symbol).candles, "binance")) >= len(want), 10)
    assert_same_rows(per_exchange(store.read(src.symbol).candles, "binance"), want, ["open", "close", "volume"])
    assert wait_until(lambda: {s.feed: s for s in src.feed_states()}["binance:candles"].status == FEED_OK, 5)


def test_symbol_delisted_before_start_fails_that_venue_only(fake, make_source):
    fake.delist("okx")
    src = make_source(exchanges=("binance", "okx"))
    frames = src.history(src.symbol)
    states = {s.feed: s for s in src.feed_states()}
    for series in ("candles", "open_interest", "funding", "long_short", "liquidations"):
        assert states[f"okx:{series}"].status == FEED_FAILED
        assert "not listed on OKX" in states[f"okx:{series}"].detail
        assert states[f"binance:{series}"].status == FEED_OK
    assert len(per_exchange(frames.candles, "okx")) == 0 and len(per_exchange(frames.candles, "binance")) > 0


def test_symbol_delisted_while_running_keeps_what_is_stored(fake, make_source, store):
    src = make_source(store=store, exchanges=("bybit",))
    src.history(src.symbol)
    kept = store.read(src.symbol).row_counts()
    fake.delist("bybit")
    fake.advance(2 * MINUTE_MS, push=False)
    assert wait_until(lambda: {s.feed: s for s in src.feed_states()}["bybit:candles"].status == FEED_FAILED, 10)
    detail = {s.feed: s for s in src.feed_states()}["bybit:candles"].detail
    assert detail.startswith("failed: symbol not listed")
    assert store.read(src.symbol).row_counts()["candles"] >= kept["candles"]
