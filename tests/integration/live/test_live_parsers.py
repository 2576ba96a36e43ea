"""Real response samples (tests/fixtures/live/samples.json, sources noted there) through ccxt and the adapters.

REST samples are served verbatim by the fake exchange and fetched with a real ccxt exchange; WebSocket
samples are pushed on the real socket to a running LiveSource.
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from market.live.venues import VENUES
from market.series import per_exchange
from tests.integration.live.conftest import wait_until

SAMPLES = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "live" / "samples.json").read_text())
SYMBOL = "BTC/USDT:USDT"


def _through_ccxt(fake, venue: str, route: str, sample: str, call):
    """Serve one sample for ``route`` and run ``call(adapter, exchange, market)`` with a real ccxt exchange."""

    async def go():
        import ccxt.pro

        adapter = VENUES[venue]
        ex = getattr(ccxt.pro, adapter.ccxt_id)({"options": dict(adapter.ccxt_options)})
        adapter.point_at(ex, fake.base_url, None)
        try:
            await ex.load_markets()
            fake.respond(venue, route, SAMPLES[sample]["body"])
            return await call(adapter, ex, ex.market(SYMBOL))
        finally:
            await ex.close()

    return asyncio.run(go())


def test_binance_kline_sample(fake):
    df = _through_ccxt(fake, "binance", "/fapi/v1/klines", "binance_klines", lambda a, ex, m: a.candles(ex, m, 0, 1))
    r = df.iloc[0]
    assert r.ts == 1499040000000 and r.open == 0.0163479 and r.close == 0.015771
    assert r.volume == 148976.11427815 and r.quote_volume == 2434.19055334
    assert r.taker_buy_volume == 1756.87402397  # index 9: taker buy BASE volume


def test_binance_open_interest_hist_sample(fake):
    df = _through_ccxt(fake, "binance", "openInterestHist", "binance_open_interest_hist", lambda a, ex, m: a.oi_history(ex, m, 0, 1))
    r = df.iloc[0]
    assert (r.ts, r.oi_base, r.oi_usd) == (1583127900000, 20403.637, 150570784.07809979)  # timestamp came as a string


def test_okx_history_candles_sample(fake):
    df = _through_ccxt(fake, "okx", "history-candles", "okx_history_candles", lambda a, ex, m: a.candles(ex, m, 0, 1))
    r = df.iloc[0]
    assert r.ts == 1597026383085 and r.high == 3.743
    assert r.volume == 22698348.04828491  # volCcy (base), not vol (8422410 contracts)
    assert r.quote_volume == 12698348.04828491
    assert math.isnan(r.taker_buy_volume)


def test_okx_open_interest_history_sample(fake):
    df = _through_ccxt(fake, "okx", "open-interest-history", "okx_open_interest_history", lambda a, ex, m: a.oi_history(ex, m, 0, 1))
    r = df.iloc[0]
    assert r.ts == 1701417600000
    assert r.oi_base == pytest.approx(731377.57500501 * 0.01, rel=1e-12)  # contracts * ctVal 0.01 BTC
    assert r.oi_usd == 9000000.0


def test_bybit_kline_and_open_interest_samples(fake):
    df = _through_ccxt(fake, "bybit", "/v5/market/kline", "bybit_kline", lambda a, ex, m: a.candles(ex, m, 0, 1))
    assert df["ts"].tolist() == [1670608800000, 1670605200000]  # parsed as served; normalize() sorts later
    assert df.iloc[0].volume == 268611.0 and df.iloc[0].quote_volume == 15.74462667
    oi = _through_ccxt(fake, "bybit", "/v5/market/open-interest", "bybit_open_interest", lambda a, ex, m: a.oi_history(ex, m, 0, 1))
    assert oi.iloc[0].oi_base == 461134384.0 and oi.iloc[0].ts == 1669571400000
    assert oi["oi_usd"].isna().all()  # Bybit gives no value; LiveSource prices it from candles


def test_websocket_samples(fake, make_source, store):
    src = make_source(store=store)
    src.history(src.symbol)
    assert wait_until(lambda: all(fake.subscriptions(v) >= 1 for v in ("binance", "okx", "bybit")), 10)
    fake.push_raw("binance", SAMPLES["binance_force_order"]["body"])
    okx = json.loads(json.dumps(SAMPLES["okx_liquidation_orders"]["body"]).replace("IOST-USDT", "BTC-USDT"))
    fake.push_raw("okx", okx)
    bybit = json.loads(json.dumps(SAMPLES["bybit_all_liquidation"]["body"]).replace("ROSEUSDT", "BTCUSDT"))
    fake.push_raw("bybit", bybit)

    def liq(ex):
        return per_exchange(store.read(src.symbol).liquidations, ex)

    assert wait_until(lambda: all(len(liq(ex)) == 1 for ex in ("binance", "okx", "bybit")), 10)
    b, o, y = liq("binance").iloc[0], liq("okx").iloc[0], liq("bybit").iloc[0]
    assert (b.ts, b.side, b.price, b.qty_base, b.notional_usd) == (1568014460893, "long", 9910.0, 0.014, 0.014 * 9910.0)
    assert (o.ts, o.side, o.price) == (1692266434010, "short", 0.007831)  # posSide short (the order side was buy)
    assert o.qty_base == pytest.approx(0.13, rel=1e-12)  # 13 contracts * 0.01
    assert (y.ts, y.side, y.price, y.qty_base) == (1739502302929, "short", 0.04499, 20000.0)  # S=Sell: a short closed
