"""Recorded real payloads (tests/fixtures/live/real_payloads.json) through the code Cascade runs live.

Every item there was copied from the venue's official API docs or from a response ccxt's maintainers
recorded in ccxt's source; its ``src`` says which. REST bodies are served verbatim by the fake exchange
and fetched through a real ccxt exchange into the adapters; WebSocket messages are pushed on real
sockets through ccxt.pro's handlers into a running LiveSource. Then the fake's own answers for the same
routes are held against the real shapes, so the fake cannot drift from the venues unnoticed.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path

import aiohttp
import pytest

from market.live.venues import VENUES
from market.series import per_exchange
from tests.integration.live.conftest import wait_until

REAL = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "live" / "real_payloads.json").read_text())
SYMBOL = "BTC/USDT:USDT"


def _body(venue: str, key: str):
    return REAL[venue][key]["body"]


def _call(fake, venue: str, canned: dict[str, object], call):
    """Serve ``canned`` {route part: body} and run ``call(adapter, exchange, market)`` on a real ccxt exchange."""

    async def go():
        import ccxt.pro

        adapter = VENUES[venue]
        ex = getattr(ccxt.pro, adapter.ccxt_id)({"options": dict(adapter.ccxt_options)})
        adapter.point_at(ex, fake.base_url, None)
        try:
            await ex.load_markets()
            for route, body in canned.items():
                fake.respond(venue, route, body)
            return await call(adapter, ex, ex.market(SYMBOL))
        finally:
            await ex.close()

    return asyncio.run(go())


NAN = float("nan")
# (venue, {route part: payload key}, adapter call, {column: value} expected in the row with the given ts)
REST = [
    ("binance", {"/fapi/v1/klines": "klines"}, lambda a, ex, m: a.candles(ex, m, 0, 1),
     {"ts": 1499040000000, "open": 0.0163479, "close": 0.015771, "volume": 148976.11427815, "quote_volume": 2434.19055334,
      "taker_buy_volume": 1756.87402397}),
    ("binance", {"openInterestHist": "openInterestHist"}, lambda a, ex, m: a.oi_history(ex, m, 0, 1),
     {"ts": 1642179900000, "oi_base": 75375.617, "oi_usd": 3248828883.7125144}),
    ("binance", {"/fapi/v1/openInterest": "openInterest", "premiumIndex": "premiumIndex"}, lambda a, ex, m: a.oi_now(ex, m),
     {"ts": 1677356872265, "oi_base": 23581.677, "oi_usd": 23581.677 * 45802.81129892}),
    ("binance", {"premiumIndex": "premiumIndex"}, lambda a, ex, m: a.funding_now(ex, m), {"ts": 1621267200000, "rate": 0.00063521}),
    ("binance", {"fundingRate": "fundingRate"}, lambda a, ex, m: a.funding_history(ex, m, 0, 1), {"ts": 1621267200000, "rate": 0.00063521}),
    ("binance", {"globalLongShortAccountRatio": "globalLongShortAccountRatio"}, lambda a, ex, m: a.long_short(ex, m, 0, 1),
     {"ts": 1726790400000, "ratio": 0.8376}),
    ("okx", {"history-candles": "history-candles"}, lambda a, ex, m: a.candles(ex, m, 0, 1),
     {"ts": 1597026383085, "high": 3.743, "volume": 22698348.04828491, "quote_volume": 12698348.04828491}),
    ("okx", {"open-interest-history": "open-interest-history"}, lambda a, ex, m: a.oi_history(ex, m, 0, 1),
     {"ts": 1701417600000, "oi_base": 7313.7757500501, "oi_usd": 8888888.0}),
    ("okx", {"public/open-interest": "open-interest_docs"}, lambda a, ex, m: a.oi_now(ex, m),
     {"ts": 1597026383085, "oi_base": 50.0, "oi_usd": 50000.0}),
    ("okx", {"public/open-interest": "open-interest_ccxt2022"}, lambda a, ex, m: a.oi_now(ex, m),
     {"ts": 1664005108969, "oi_base": 21254.19, "oi_usd": NAN}),  # no oiUsd: priced from candles by the engine
    ("okx", {"public/funding-rate?": "funding-rate"}, lambda a, ex, m: a.funding_now(ex, m), {"ts": 1634256000000, "rate": 0.00027815}),
    ("okx", {"funding-rate-history": "funding-rate-history"}, lambda a, ex, m: a.funding_history(ex, m, 0, 1),
     {"ts": 1597026383085, "rate": 0.017}),  # realizedRate, not the predicted fundingRate
    ("okx", {"long-short-account-ratio-contract": "long-short-account-ratio-contract"}, lambda a, ex, m: a.long_short(ex, m, 0, 1),
     {"ts": 1729323600000, "ratio": 0.9398602814619824}),
    ("bybit", {"/v5/market/kline": "kline"}, lambda a, ex, m: a.candles(ex, m, 0, 1),
     {"ts": 1670608800000, "close": 17055.5, "volume": 268611.0, "quote_volume": 15.74462667}),
    ("bybit", {"/v5/market/open-interest": "open-interest"}, lambda a, ex, m: a.oi_history(ex, m, 0, 1),
     {"ts": 1669571400000, "oi_base": 461134384.0, "oi_usd": NAN}),  # Bybit gives no value: priced from candles
    ("bybit", {"/v5/market/funding/history": "funding/history"}, lambda a, ex, m: a.funding_history(ex, m, 0, 1),
     {"ts": 1672041600000, "rate": 0.0001}),
    ("bybit", {"account-ratio": "account-ratio"}, lambda a, ex, m: a.long_short(ex, m, 0, 1),
     {"ts": 1695772800000, "ratio": 0.5777 / 0.4223}),  # docs: long ratio / short ratio
]


def _route_for(fake_route: str) -> str:
    # the fake's routes match on a path substring; '?' only marks "this exact endpoint" in the table
    return fake_route.rstrip("?")


@pytest.mark.parametrize("venue,routes,call,want", REST, ids=[f"{r[0]}-{next(iter(r[1].values()))}" for r in REST])
def test_real_rest_payload_through_ccxt_and_the_adapter(fake, venue, routes, call, want):
    canned = {_route_for(route): _body(venue, key) for route, key in routes.items()}
    if routes == {"public/funding-rate?": "funding-rate"}:
        canned = {"/api/v5/public/funding-rate": _body(venue, "funding-rate")}
    df = _call(fake, venue, canned, call)
    row = df[df["ts"] == want["ts"]]
    assert len(row) == 1, df
    for col, value in want.items():
        got = float(row.iloc[0][col])
        assert (math.isnan(got) if math.isnan(value) else got == pytest.approx(value, rel=1e-12)), (col, got, value)


def test_real_bybit_tickers_give_current_oi_and_funding(fake):
    body = _body("bybit", "tickers")
    t = body["result"]["list"][0]
    oi = _call(fake, "bybit", {"/v5/market/tickers": body}, lambda a, ex, m: a.oi_now(ex, m))
    assert (int(oi.iloc[0].ts), oi.iloc[0].oi_base, oi.iloc[0].oi_usd) == (body["time"], float(t["openInterest"]), float(t["openInterestValue"]))
    fu = _call(fake, "bybit", {"/v5/market/tickers": body}, lambda a, ex, m: a.funding_now(ex, m))
    assert (int(fu.iloc[0].ts), fu.iloc[0].rate) == (int(t["nextFundingTime"]), float(t["fundingRate"]))


def test_real_leverage_tiers(fake):
    okx = _call(fake, "okx", {"position-tiers": _body("okx", "position-tiers")}, lambda a, ex, m: a.leverage_tiers(ex, m))
    assert okx == [{"tier": 1, "max_base": pytest.approx(5.0), "mmr": 0.03, "max_leverage": 10.0}]  # 500 contracts x 0.01
    bybit = _call(fake, "bybit", {"risk-limit": _body("bybit", "risk-limit")}, lambda a, ex, m: a.leverage_tiers(ex, m))
    assert bybit == [{"tier": 1, "max_notional_usd": 150.0, "mmr": pytest.approx(0.005), "max_leverage": 100.0}]


def test_real_websocket_messages_through_ccxt_pro(fake, make_source, store):
    src = make_source(store=store)
    src.history(src.symbol)
    assert wait_until(lambda: all(fake.subscriptions(v) >= 1 and fake.candle_subscriptions(v) >= 1 for v in ("binance", "okx", "bybit")))
    src.poll(src.symbol)  # drop the backfill's rows
    for venue, key in (("binance", "forceOrder_ws"), ("okx", "liquidation-orders_ws"), ("bybit", "allLiquidation_ws")):
        fake.push_raw(venue, _body(venue, key))

    def liq(v):
        return per_exchange(store.read(src.symbol).liquidations, v)

    assert wait_until(lambda: all(len(liq(v)) == 1 for v in ("binance", "okx", "bybit")))
    b, o, y = liq("binance").iloc[0], liq("okx").iloc[0], liq("bybit").iloc[0]
    assert (b.ts, b.side, b.price, b.qty_base) == (1698871323059, "short", 34959.70, 1.437)  # S=BUY: a short closed; ap
    assert (o.ts, o.side, o.price) == (1692266434010, "short", 0.007831) and o.qty_base == pytest.approx(0.13)
    assert (y.ts, y.side, y.price, y.qty_base) == (1739502302929, "short", 0.04499, 20000.0)  # S=Sell: a short closed
    # Candle messages: the kline sockets carry them (pushed where the fake marks candle subscribers).
    for venue, key in (("binance", "kline_ws"), ("okx", "candle1m_ws"), ("bybit", "kline_ws")):
        msg = _body(venue, key)

        async def go(v=venue, m=msg) -> None:
            for ws in list(fake.state.sockets[v]):
                if getattr(ws, "cascade_candles", False) and not ws.closed:
                    await ws.send_str(json.dumps(m))

        fake.call(go)
    want = {"binance": (1579482900000, 0.019135, 5.084), "okx": (1626690720000, 31334.0, 241.2718),  # okx: index 6 for swaps
            "bybit": (1672324800000, 16677.0, 2.081)}
    got = {}

    def polled() -> bool:
        c = src.poll(src.symbol).candles
        for v, (ts, _, _) in want.items():
            part = per_exchange(c, v)
            part = part[part["ts"] == ts]  # the live poll hands over the fake market's own candles too
            if len(part):
                got[v] = part.iloc[-1]
        return len(got) == 3

    assert wait_until(polled)
    for v, (ts, close, volume) in want.items():
        assert (got[v].ts, got[v].close, got[v].volume) == (ts, close, volume), v


# ---- the fake against the same shapes --------------------------------------------------------------

NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


def kind(x) -> str:
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int"
    if isinstance(x, float):
        return "float"
    if isinstance(x, str):
        return "numeric string" if NUMERIC.match(x) else ("empty string" if x == "" else "string")
    if x is None:
        return "null"
    return type(x).__name__


def mismatches(real, fake, path: str = "$") -> list[str]:
    """Where ``fake`` lacks something ``real`` has, or has it in another kind (extra fake fields are fine)."""
    if isinstance(real, dict):
        if not isinstance(fake, dict):
            return [f"{path}: object vs {kind(fake)}"]
        out = []
        for k, v in real.items():
            if k not in fake:
                out.append(f"{path}.{k}: missing")
            else:
                out += mismatches(v, fake[k], f"{path}.{k}")
        return out
    if isinstance(real, list):
        if not isinstance(fake, list):
            return [f"{path}: list vs {kind(fake)}"]
        if not real or not fake:
            return []
        return mismatches(real[0], fake[0], f"{path}[0]")
    a, b = kind(real), kind(fake)
    if a == b or {a, b} <= {"numeric string", "empty string"} or {a, b} <= {"string", "empty string"}:
        return []
    return [f"{path}: {a} vs {b}"]


def _get(fake, path: str, params: dict):
    async def go():
        async with aiohttp.ClientSession() as s, s.get(fake.base_url + path, params=params) as r:
            return await r.json(content_type=None)

    return asyncio.run(go())


# (venue, payload key, fake path, query). The real payload's other symbol/category stays what it is.
FAKE_ROUTES = [
    ("binance", "klines", "/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 2}),
    ("binance", "openInterestHist", "/futures/data/openInterestHist", {"symbol": "BTCUSDT", "period": "5m", "limit": 2}),
    ("binance", "openInterest", "/fapi/v1/openInterest", {"symbol": "BTCUSDT"}),
    ("binance", "premiumIndex", "/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"}),
    ("binance", "fundingRate", "/fapi/v1/fundingRate", {"symbol": "BTCUSDT", "limit": 2}),
    ("binance", "globalLongShortAccountRatio", "/futures/data/globalLongShortAccountRatio", {"symbol": "BTCUSDT", "period": "5m", "limit": 2}),
    ("okx", "history-candles", "/api/v5/market/history-candles", {"instId": "BTC-USDT-SWAP", "bar": "1m", "limit": 2}),
    ("okx", "open-interest-history", "/api/v5/rubik/stat/contracts/open-interest-history", {"instId": "BTC-USDT-SWAP", "period": "5m"}),
    ("okx", "open-interest_docs", "/api/v5/public/open-interest", {"instType": "SWAP", "instId": "BTC-USDT-SWAP"}),
    ("okx", "funding-rate", "/api/v5/public/funding-rate", {"instId": "BTC-USDT-SWAP"}),
    ("okx", "funding-rate-history", "/api/v5/public/funding-rate-history", {"instId": "BTC-USDT-SWAP", "limit": 2}),
    ("okx", "long-short-account-ratio-contract", "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
     {"instId": "BTC-USDT-SWAP", "period": "5m"}),
    ("okx", "position-tiers", "/api/v5/public/position-tiers", {"instType": "SWAP", "tdMode": "cross", "instFamily": "BTC-USDT"}),
    ("bybit", "kline", "/v5/market/kline", {"category": "linear", "symbol": "BTCUSDT", "interval": "1", "limit": 2}),
    ("bybit", "open-interest", "/v5/market/open-interest", {"category": "linear", "symbol": "BTCUSDT", "intervalTime": "5min"}),
    ("bybit", "tickers", "/v5/market/tickers", {"category": "linear", "symbol": "BTCUSDT"}),
    ("bybit", "funding/history", "/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT"}),
    ("bybit", "account-ratio", "/v5/market/account-ratio", {"category": "linear", "symbol": "BTCUSDT", "period": "5min"}),
    ("bybit", "risk-limit", "/v5/market/risk-limit", {"category": "linear", "symbol": "BTCUSDT"}),
]


@pytest.mark.parametrize("venue,key,path,params", FAKE_ROUTES, ids=[f"{r[0]}-{r[1]}" for r in FAKE_ROUTES])
def test_the_fakes_answer_has_the_real_shape(fake, venue, key, path, params):
    assert mismatches(_body(venue, key), _get(fake, path, params)) == []


def test_the_fakes_stream_messages_have_the_real_shapes(fake):
    from tests.fake_exchange import binance, bybit, okx

    ev = per_exchange(fake.state.data.liquidations, "binance").head(1)
    c = per_exchange(fake.state.data.candles, "binance").head(1)
    cases = [
        (_body("binance", "forceOrder_ws"), binance.liquidation_messages(ev)[0][0]),
        (_body("binance", "kline_ws"), binance.candle_messages(c)[0][0]),
        (_body("okx", "liquidation-orders_ws"), okx.liquidation_messages(per_exchange(fake.state.data.liquidations, "okx").head(1))[0][0]),
        (_body("okx", "candle1m_ws"), okx.candle_messages(per_exchange(fake.state.data.candles, "okx").head(1))[0][0]),
        (_body("bybit", "allLiquidation_ws"), bybit.liquidation_messages(per_exchange(fake.state.data.liquidations, "bybit").head(1))[0][0]),
        (_body("bybit", "kline_ws"), bybit.candle_messages(per_exchange(fake.state.data.candles, "bybit").head(1))[0][0]),
    ]
    for real, made in cases:
        assert mismatches(real, made) == [], real.get("topic") or real.get("e") or real.get("arg")
