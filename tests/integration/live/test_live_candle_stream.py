"""Candles streamed over WebSocket (ccxt.pro watch_ohlcv), and the gap check after a reconnection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.series import MINUTE_MS, per_exchange
from market.source import FEED_OK
from tests.integration.live.conftest import HOURS, assert_same_rows, served, wait_until

EXCHANGES = ("binance", "okx", "bybit")


def test_streamed_candles_reach_poll_before_any_rest_poll(fake, make_source, store):
    venues = ("okx", "bybit")
    src = make_source(store=store, exchanges=venues, poll_interval_s=600, stream_liquidations=False)  # REST polls far apart
    src.history(src.symbol)
    assert wait_until(lambda: all(fake.candle_subscriptions(ex) >= 1 for ex in venues), 10)
    assert wait_until(lambda: fake.route_counts().get("okx /api/v5/public/funding-rate", 0) >= 2, 5)  # first poll cycle done
    rest_before = {r: n for r, n in fake.route_counts().items() if "candles" in r or "kline" in r}
    src.poll(src.symbol)
    old = fake.now_ms
    fake.advance(3 * MINUTE_MS)
    parts = []

    def arrived() -> bool:
        parts.append(src.poll(src.symbol).candles)
        got = pd.concat(parts)
        return all(set(range(old, old + 3 * MINUTE_MS, MINUTE_MS)) <= set(per_exchange(got, ex)["ts"]) for ex in venues)

    assert wait_until(arrived, 10)
    assert {r: n for r, n in fake.route_counts().items() if "candles" in r or "kline" in r} == rest_before, "no REST candle request"
    got = pd.concat(parts)
    for ex in venues:
        g = per_exchange(got, ex).drop_duplicates("ts", keep="last")
        g = g[g["ts"] >= old]
        want = served(fake, "candles", ex, old, fake.now_ms)
        assert_same_rows(g, want, ["open", "high", "low", "close", "volume"])  # OKX: base (volCcy), not contracts
        assert g["quote_volume"].isna().all()  # the stream's rows: quote volume comes with the REST poll
    states = {s.feed: s for s in src.feed_states()}
    assert all(states[f"{ex}:candles_stream"].status == FEED_OK for ex in venues)


def test_reconnect_gap_is_refilled_from_rest_at_once(fake, make_source, store):
    src = make_source(store=store, exchanges=("okx",), poll_interval_s=600, stream_liquidations=False)
    src.history(src.symbol)
    assert wait_until(lambda: fake.candle_subscriptions("okx") >= 1, 10)
    last = store.last_ts(src.symbol, "okx", "candles")
    fake.drop_ws("okx", after_messages=0, channel="candles")  # the socket dies; candles closing meanwhile are missed
    fake.advance(10 * MINUTE_MS)
    assert wait_until(lambda: fake.candle_subscriptions("okx") >= 2, 10), "stream did not reconnect"
    fake.advance(MINUTE_MS)  # the first candle on the new connection shows the hole
    now = fake.now_ms
    assert wait_until(lambda: store.last_ts(src.symbol, "okx", "candles") == now - MINUTE_MS, 10), "gap not refilled"
    gap = [g for g in src.gaps_refilled() if g.exchange == "okx"][-1]
    assert gap.from_ms == last + MINUTE_MS and gap.to_ms == now - MINUTE_MS
    c = per_exchange(store.read(src.symbol).candles, "okx")
    assert (np.diff(c["ts"].to_numpy()) == MINUTE_MS).all()
    start = now - 11 * MINUTE_MS - HOURS * 60 * MINUTE_MS
    assert_same_rows(c, served(fake, "candles", "okx", start, now), ["open", "close", "volume", "quote_volume"])
