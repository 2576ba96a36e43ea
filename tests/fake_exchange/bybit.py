"""Bybit v5 public endpoints (https://bybit-exchange.github.io/docs/v5/intro), in Bybit's shapes.

Linear USDT contracts: amounts in base coin (BTC), turnover in USDT. Lists come newest first.
"""

from __future__ import annotations

import json

import pandas as pd
from aiohttp import web

from market.series import MINUTE_MS
from tests.fake_exchange.keys import STATE
from tests.fake_exchange.wire import int_param, num, pick, resample_candles, window

VENUE = "bybit"
PATH_PREFIXES = ("/v5", "/bybit")  # the request paths this venue owns on the shared fake server
SYMBOL_ID = "BTCUSDT"
INTERVALS = {"1": MINUTE_MS, "5": 5 * MINUTE_MS, "15": 15 * MINUTE_MS, "60": 60 * MINUTE_MS, "240": 240 * MINUTE_MS,
             "D": 1440 * MINUTE_MS}
OI_INTERVALS = {"5min": 5 * MINUTE_MS, "15min": 15 * MINUTE_MS, "30min": 30 * MINUTE_MS, "1h": 60 * MINUTE_MS,
                "4h": 240 * MINUTE_MS, "1d": 1440 * MINUTE_MS}


def urls(http: str, ws: str) -> dict[str, str]:
    """Where a client finds this venue on the fake server (LiveSource(urls_override=...) per venue)."""
    return {"rest": http, "ws": f"{ws}/bybit/v5/public/linear"}


def _envelope(result, now_ms: int, code: int = 0, msg: str = "OK") -> dict:
    return {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now_ms}


def error_body(status: int) -> str:
    if status in (403, 429):
        return json.dumps(_envelope({}, 0, 10006, "Too many visits!"))
    return json.dumps(_envelope({}, 0, 10016, "Server error."))


def _state(request):
    return request.app[STATE]


def ok(request, result) -> web.Response:
    return web.json_response(_envelope(result, _state(request).now_ms))


def _bad_symbol(request) -> web.Response | None:
    sym = request.query.get("symbol")
    if sym is not None and (sym != SYMBOL_ID or VENUE in _state(request).delisted):
        return web.json_response(_envelope({}, _state(request).now_ms, 10001, "params error: symbol invalid"))
    return None


def instrument() -> dict:
    return {"symbol": SYMBOL_ID, "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC", "quoteCoin": "USDT",
            "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "", "priceScale": "2",
            "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
            "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
            "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                              "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
            "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": "USDT", "copyTrading": "both",
            "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": False, "preListingInfo": None,
            "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"}, "displayName": ""}


async def instruments(request):
    st = _state(request)
    cat = request.query.get("category", "linear")
    items = [instrument()] if cat == "linear" and VENUE not in st.delisted else []
    return ok(request, {"category": cat, "list": items, "nextPageCursor": ""})


def _range(request, df: pd.DataFrame, start_key: str, end_key: str, default_limit: int, max_limit: int) -> pd.DataFrame:
    q = request.query
    limit = min(int_param(q, "limit", default_limit), max_limit)
    return pick(window(df, int_param(q, start_key), int_param(q, end_key)), limit, newest=True).sort_values("ts", ascending=False)


async def kline(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    tf = INTERVALS.get(request.query.get("interval", "1"))
    df = resample_candles(st.rows("candles", VENUE), tf)
    df = _range(request, df, "start", "end", 200, 1000)
    # [startTime, open, high, low, close, volume (base), turnover (quote)]
    rows = [[str(int(r.ts)), num(r.open), num(r.high), num(r.low), num(r.close), num(r.volume), num(r.quote_volume)]
            for r in df.itertuples()]
    return ok(request, {"category": "linear", "symbol": SYMBOL_ID, "list": rows})


async def open_interest(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    step = OI_INTERVALS.get(request.query.get("intervalTime", "5min"))
    df = st.rows("open_interest", VENUE)
    df = _range(request, df[df["ts"] % step == 0], "startTime", "endTime", 50, 200)
    return ok(request, {"symbol": SYMBOL_ID, "category": "linear", "nextPageCursor": "",
                        "list": [{"openInterest": num(r.oi_base), "timestamp": str(int(r.ts))} for r in df.itertuples()]})


async def funding_history(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    df = _range(request, _state(request).rows("funding", VENUE), "startTime", "endTime", 200, 200)
    return ok(request, {"category": "linear", "list": [{"symbol": SYMBOL_ID, "fundingRate": num(r.rate),
                                                         "fundingRateTimestamp": str(int(r.ts))} for r in df.itertuples()]})


async def account_ratio(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    step = OI_INTERVALS.get(request.query.get("period", "5min"))
    df = st.rows("long_short", VENUE)
    df = _range(request, df[df["ts"] % step == 0], "startTime", "endTime", 50, 500)
    out = []
    for r in df.itertuples():
        # buyRatio/sellRatio are account shares; the fake picks shares whose quotient is the ratio exactly enough
        buy = r.ratio / (1 + r.ratio)
        out.append({"symbol": SYMBOL_ID, "buyRatio": num(buy), "sellRatio": num(1 - buy), "timestamp": str(int(r.ts))})
    return ok(request, {"list": out, "nextPageCursor": ""})


async def tickers(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    c = st.rows("candles", VENUE).sort_values("ts")
    last = c.iloc[-1]
    day = c[c["ts"] >= st.now_ms - 1440 * MINUTE_MS]
    oi = st.rows("open_interest", VENUE).sort_values("ts").iloc[-1]
    fu = st.data.funding
    nxt = fu[(fu["exchange"] == VENUE) & (fu["ts"] > st.now_ms)].sort_values("ts").iloc[0]
    item = {"symbol": SYMBOL_ID, "lastPrice": num(last.close), "indexPrice": num(last.close), "markPrice": num(last.close),
            "prevPrice24h": num(day["open"].iloc[0]), "price24hPcnt": "0", "highPrice24h": num(day["high"].max()),
            "lowPrice24h": num(day["low"].min()), "prevPrice1h": num(last.open), "openInterest": num(oi.oi_base),
            "openInterestValue": num(oi.oi_usd), "turnover24h": num(round(day["quote_volume"].sum(), 2)),
            "volume24h": num(round(day["volume"].sum(), 3)), "fundingRate": num(nxt.rate), "nextFundingTime": str(int(nxt.ts)),
            "predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "", "deliveryTime": "0", "ask1Size": "1",
            "bid1Price": num(last.close), "ask1Price": num(last.close), "bid1Size": "1", "basis": ""}
    return ok(request, {"category": "linear", "list": [item]})


async def risk_limit(request):
    rows = [(1, "2000000", "0.005", "0.01", "100.00"), (2, "2600000", "0.0056", "0.0116", "86.20"),
            (3, "3200000", "0.0062", "0.0132", "75.75")]
    return ok(request, {"category": "linear", "nextPageCursor": "", "list": [
        {"id": i, "symbol": SYMBOL_ID, "riskLimitValue": v, "maintenanceMargin": mm, "initialMargin": im,
         "isLowestRisk": 1 if i == 1 else 0, "maxLeverage": lev, "mmDeduction": ""} for i, v, mm, im, lev in rows]})


def liquidation_messages(events: pd.DataFrame, edges=None) -> list[tuple[dict, pd.DataFrame]]:
    """allLiquidation pushes; ``S`` is the liquidated POSITION's side per Bybit's docs: Buy = a long was closed.

    ``edges.bybit_batch`` events share one message's ``data`` list, as the real 500 ms pushes do.
    """
    n = max(1, int(getattr(edges, "bybit_batch", 1) or 1))
    out = []
    for i in range(0, len(events), n):
        chunk = events.iloc[i:i + n]
        data = [{"T": int(r.ts), "s": SYMBOL_ID, "S": "Buy" if r.side == "long" else "Sell", "v": num(r.qty_base),
                 "p": num(r.price)} for r in chunk.itertuples()]
        msg = {"topic": f"allLiquidation.{SYMBOL_ID}", "type": "snapshot", "ts": int(chunk["ts"].max()) + 5, "data": data}
        out.append((msg, chunk))
    return out


def candle_messages(candles: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """kline.1.BTCUSDT pushes (confirm true once the candle closed); volume base, turnover quote."""
    out = []
    for i in range(len(candles)):
        r = candles.iloc[i]
        t = int(r.ts)
        item = {"start": t, "end": t + MINUTE_MS - 1, "interval": "1", "open": num(r.open), "close": num(r.close),
                "high": num(r.high), "low": num(r.low), "volume": num(r.volume), "turnover": num(r.quote_volume),
                "confirm": True, "timestamp": t + MINUTE_MS - 1}
        out.append(({"topic": f"kline.1.{SYMBOL_ID}", "data": [item], "ts": t + MINUTE_MS - 1, "type": "snapshot"},
                    candles.iloc[i:i + 1]))
    return out


def _on_ws_message(state, text: str, ws) -> list:
    try:
        msg = json.loads(text)
    except ValueError:
        return [{"success": False, "ret_msg": "invalid json", "op": ""}]
    op = msg.get("op")
    if op == "ping":
        return [{"success": True, "ret_msg": "pong", "conn_id": "c1", "req_id": msg.get("req_id"), "op": "ping"}]
    if op == "subscribe":
        if any(str(a).startswith("allLiquidation.") for a in msg.get("args", [])):
            ws.cascade_subscribed = True
            state.subscribed[VENUE] += 1
        if f"kline.1.{SYMBOL_ID}" in msg.get("args", []):
            ws.cascade_candles = True
            state.subscribed_candles[VENUE] += 1
        return [{"success": True, "ret_msg": "", "conn_id": "c1", "req_id": msg.get("req_id"), "op": "subscribe"}]
    return []


def register(app: web.Application, state) -> None:
    from tests.fake_exchange.server import ws_route  # here: server imports this module

    r = app.router
    r.add_get("/v5/market/instruments-info", instruments)
    r.add_get("/v5/market/kline", kline)
    r.add_get("/v5/market/open-interest", open_interest)
    r.add_get("/v5/market/funding/history", funding_history)
    r.add_get("/v5/market/account-ratio", account_ratio)
    r.add_get("/v5/market/tickers", tickers)
    r.add_get("/v5/market/risk-limit", risk_limit)
    r.add_get("/bybit/{tail:.*}", ws_route(VENUE, _on_ws_message))
