"""Hyperliquid, the fourth venue, live against its fake: POST /info for candles, open interest and funding
through the same backfill/stream/poll engine, its history limits honoured, and what it does not publish
said plainly in the feed states. Recorded answers (ccxt's own recordings) go through ccxt and the adapter."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from market.live import LiveSource
from market.live.venues import VENUES
from market.series import MINUTE_MS, per_exchange
from market.source import FEED_OK, FEED_UNAVAILABLE
from tests.fake_exchange import FakeExchange
from tests.integration.live.conftest import FAST_RETRY, wait_until

SAMPLES = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "live" / "hyperliquid_samples.json").read_text())
HL = "hyperliquid"


def _source(fx: FakeExchange, days: float, **kw) -> LiveSource:
    args = dict(exchanges=(HL,), urls_override=fx.url_overrides(), clock=lambda: fx.now_ms, history_days=days,
                retry=FAST_RETRY, rng=random.Random(1), poll_interval_s=0.2, timeout_s=2.0, rate_limit_ms=5)
    args.update(kw)
    return LiveSource(**args)


@pytest.fixture(scope="module")
def deep_fake():
    # 6000 minutes of market before now: more than the 5000 candles Hyperliquid keeps.
    fx = FakeExchange(history_minutes=6000).start()
    try:
        yield fx
    finally:
        fx.stop()


def test_backfill_reads_only_the_5000_candles_the_venue_keeps(deep_fake):
    fx = deep_fake
    before = fx.route_counts().get("hyperliquid /info", 0)
    src = _source(fx, days=30, stream_liquidations=False, stream_candles=False)
    try:
        frames = src.history(src.symbol)
    finally:
        src.close()
    candles = per_exchange(frames.candles, HL)
    served = per_exchange(fx.state.data.candles, HL)
    served = served[served["ts"] + MINUTE_MS <= fx.now_ms].tail(5000)
    # Only what the venue serves, and it is stored whole: the newest 5000 closed minutes.
    assert len(candles) >= 4999 and int(candles["ts"].min()) >= int(served["ts"].min())
    assert set(served["ts"].tail(4999)) <= set(candles["ts"])
    # A 30-day backfill asks nothing of the 25 days Hyperliquid no longer has: markets and spotMeta, 1-2 candle
    # pages, 2 funding pages (720 hourly rows), the current context twice (OI, funding) = 8 at most; without the
    # cap it would be 9 candle requests, 8 of them empty.
    assert fx.route_counts()["hyperliquid /info"] - before <= 8
    assert candles["quote_volume"].isna().all() and candles["taker_buy_volume"].isna().all()  # not served: unknown


def test_what_hyperliquid_does_not_publish_is_said_in_its_feed_states(deep_fake):
    fx = deep_fake
    subscribed = fx.candle_subscriptions(HL)
    src = _source(fx, days=0.1)
    try:
        src.history(src.symbol)
        assert wait_until(lambda: fx.candle_subscriptions(HL) > subscribed, 10)
        fx.advance(2 * MINUTE_MS)
        assert wait_until(lambda: "recorded by Cascade since" in _state(src, "open_interest").detail, 10)
        liq, ls = _state(src, "liquidations"), _state(src, "long_short")
        assert liq.status == FEED_UNAVAILABLE and "no public liquidation stream" in liq.detail
        assert ls.status == FEED_UNAVAILABLE and "long/short" in ls.detail
        assert fx.subscriptions(HL) == 0  # nothing subscribed that would never speak
        oi = _state(src, "open_interest")
        assert oi.status == FEED_OK and "no history at Hyperliquid" in oi.detail
        assert wait_until(lambda: _state(src, "candles_stream").status == FEED_OK, 10)  # the candle channel works
    finally:
        src.close()


def _state(src: LiveSource, series: str):
    return next(s for s in src.feed_states() if s.feed == f"{HL}:{series}")


def test_open_interest_history_is_what_the_app_recorded(deep_fake):
    fx = deep_fake
    src = _source(fx, days=0.1, stream_liquidations=False, stream_candles=False)
    try:
        first = src.history(src.symbol)
        assert len(per_exchange(first.open_interest, HL)) == 1  # one snapshot: no history endpoint exists
        rows = []
        for _ in range(3):
            fx.advance(MINUTE_MS, push=False)
            assert wait_until(lambda: len(got := src.poll(src.symbol).open_interest) > 0 and rows.append(got) is None, 10)
        ts = sorted({int(t) for df in rows for t in per_exchange(df, HL)["ts"]})
        assert len(ts) >= 3 and ts[-1] <= fx.now_ms  # stamped with the source's clock at each poll
        served = per_exchange(fx.state.data.open_interest, HL)
        last = served[served["ts"] <= fx.now_ms].iloc[-1]
        assert per_exchange(rows[-1], HL)["oi_base"].iloc[-1] == last.oi_base
    finally:
        src.close()


def test_funding_is_hourly_and_paged_within_the_500_row_cap(deep_fake):
    fx = deep_fake
    src = _source(fx, days=6000 / 1440, stream_liquidations=False, stream_candles=False)
    try:
        frames = src.history(src.symbol)
    finally:
        src.close()
    got = per_exchange(frames.funding, HL)
    served = per_exchange(fx.state.data.funding, HL)
    past = served[(served["ts"] <= fx.now_ms) & (served["ts"] >= fx.now_ms - 6000 * MINUTE_MS)]
    assert set(past["ts"]) <= set(got["ts"])
    assert VENUES[HL].funding_period_ms == 60 * MINUTE_MS and VENUES[HL].funding_limit == 500


def test_a_delisted_coin_fails_plainly(deep_fake):
    fx = deep_fake
    fx.delist(HL)
    src = _source(fx, days=0.05, stream_liquidations=False, stream_candles=False)
    try:
        src.history(src.symbol)
        st = _state(src, "candles")
        assert st.status == "failed" and "not listed on Hyperliquid" in st.detail
    finally:
        fx.delist(HL, False)
        src.close()


# ---- recorded answers through ccxt and the adapter -----------------------------------------------------


def _through_ccxt(fx, sample: str, symbol: str, call):
    async def go():
        import ccxt.pro

        adapter = VENUES[HL]
        ex = getattr(ccxt.pro, adapter.ccxt_id)({"options": dict(adapter.ccxt_options)})
        adapter.point_at(ex, fx.base_url, None)
        try:
            await ex.load_markets()
            fx.respond(HL, "/info", SAMPLES[sample]["body"])
            return await call(adapter, ex, ex.market(symbol))
        finally:
            await ex.close()

    return asyncio.run(go())


def test_recorded_candle_snapshot(deep_fake):
    df = _through_ccxt(deep_fake, "candle_snapshot", "ETH/USDC:USDC", lambda a, ex, m: a.candles(ex, m, 0, 1, tf="15m"))
    r = df.iloc[0]
    assert (r.ts, r.open, r.high, r.low, r.close, r.volume) == (1704286800000, 2247.9, 2247.9, 2224.6, 2226.4, 591.6427)


def test_recorded_funding_history(deep_fake):
    df = _through_ccxt(deep_fake, "funding_history", "ETH/USDC:USDC", lambda a, ex, m: a.funding_history(ex, m, 0, 1))
    assert (int(df.iloc[0].ts), df.iloc[0].rate) == (1704290400031, 0.0000125)


def test_recorded_asset_context_gives_open_interest_in_coins_and_usd(deep_fake):
    df = _through_ccxt(deep_fake, "meta_and_asset_ctxs", "ETH/USDC:USDC", lambda a, ex, m: a.oi_now(ex, m))
    r = df.iloc[0]
    assert r.oi_base == 1815.4712 and r.oi_usd == pytest.approx(1815.4712 * 2369.6, rel=1e-12)
    stamped = VENUES[HL].stamp("open_interest", df, 1_700_000_123_456)
    assert int(stamped.iloc[0].ts) == 1_700_000_123_456
    fu = _through_ccxt(deep_fake, "meta_and_asset_ctxs", "ETH/USDC:USDC", lambda a, ex, m: a.funding_now(ex, m))
    assert fu.iloc[0].rate == 0.00004807
    assert int(VENUES[HL].stamp("funding", fu, 1_700_000_123_456).iloc[0].ts) == 1_700_002_800_000  # the next hour


def test_the_fake_answers_in_the_recorded_shapes(deep_fake):
    """The fake's own answers carry every field the recordings have (what the adapter reads among them)."""

    async def go():
        import aiohttp

        async with aiohttp.ClientSession() as s:
            async def post(body):
                async with s.post(f"{deep_fake.base_url}/info", json=body) as r:
                    return await r.json()

            meta, ctxs = await post({"type": "metaAndAssetCtxs"})
            candles = await post({"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": 0,
                                                                    "endTime": deep_fake.now_ms}})
            funding = await post({"type": "fundingHistory", "coin": "BTC", "startTime": 0})
            wallet = await post({"type": "clearinghouseState", "user": "0x" + "0" * 40})
        return meta, ctxs, candles, funding, wallet

    meta, ctxs, candles, funding, wallet = asyncio.run(go())
    rec_meta, rec_ctxs = SAMPLES["meta_and_asset_ctxs"]["body"]
    assert set(rec_meta["universe"][0]) <= set(meta["universe"][1])
    assert set(rec_ctxs[0]) <= set(ctxs[1])
    assert set(SAMPLES["candle_snapshot"]["body"][0]) == set(candles[0]) and len(candles) == 5000
    assert set(SAMPLES["funding_history"]["body"][0]) == set(funding[0]) and len(funding) <= 500
    assert set(SAMPLES["clearinghouse_state"]["body"]) == set(wallet) and wallet["assetPositions"] == []
