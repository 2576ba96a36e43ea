"""Binance USDⓈ-M futures public endpoints (https://developers.binance.com/docs/derivatives/usds-margined-futures).

Shapes follow Binance's documentation and the fields ccxt's binance.py parsers read.
Binance's own unit: amounts in base asset (BTC), values in USDT.
"""

from __future__ import annotations

import json

import pandas as pd
from aiohttp import web

from market.series import MINUTE_MS, TIMEFRAMES_MS
from tests.fake_exchange.keys import STATE
from tests.fake_exchange.wire import int_param, num, pick, resample_candles, window

VENUE = "binance"
PATH_PREFIXES = ("/fapi", "/futures", "/binance")  # the request paths this venue owns on the shared fake server
SYMBOL_ID = "BTCUSDT"
DAY_MS = 1440 * MINUTE_MS
HISTORY_LIMIT_MS = 30 * DAY_MS  # /futures/data/* serve only the last 30 days
PERIODS = {"5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "30m": 30 * MINUTE_MS, "1h": 60 * MINUTE_MS, "4h": 240 * MINUTE_MS, "1d": DAY_MS}


def urls(http: str, ws: str) -> dict[str, str]:
    """Where a client finds this venue on the fake server (LiveSource(urls_override=...) per venue)."""
    return {"rest": http, "ws": f"{ws}/binance/ws"}


def error_body(status: int) -> str:
    if status in (418, 429):
        return json.dumps({"code": -1003, "msg": "Too many requests; current limit of IP is 2400 requests per minute."})
    return json.dumps({"code": -1001, "msg": "Internal error; unable to process your request. Please try again."})


def _state(request):
    return request.app[STATE]


def _bad_symbol(request) -> web.Response | None:
    st = _state(request)
    sym = request.query.get("symbol")
    if sym is not None and (sym != SYMBOL_ID or VENUE in st.delisted):
        return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
    return None


def symbol_info(status: str = "TRADING") -> dict:
    return {
        "symbol": SYMBOL_ID, "pair": SYMBOL_ID, "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000, "status": status, "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
        "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT", "pricePrecision": 2, "quantityPrecision": 3,
        "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": ["PoW"],
        "settlePlan": 0, "triggerProtect": "0.0500", "liquidationFee": "0.012500", "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"minPrice": "261.10", "maxPrice": "809484", "filterType": "PRICE_FILTER", "tickSize": "0.10"},
            {"stepSize": "0.001", "filterType": "LOT_SIZE", "maxQty": "1000", "minQty": "0.001"},
            {"stepSize": "0.001", "filterType": "MARKET_LOT_SIZE", "maxQty": "120", "minQty": "0.001"},
            {"limit": 200, "filterType": "MAX_NUM_ORDERS"}, {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
            {"notional": "100", "filterType": "MIN_NOTIONAL"},
            {"multiplierDown": "0.9500", "multiplierUp": "1.0500", "multiplierDecimal": "4", "filterType": "PERCENT_PRICE"},
        ],
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"], "permissionSet": ["GRID", "COPY"],
    }


async def exchange_info(request):
    st = _state(request)
    symbols = [] if VENUE in st.delisted else [symbol_info()]
    return web.json_response({"timezone": "UTC", "serverTime": st.now_ms, "futuresType": "U_MARGINED",
                              "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400}],
                              "exchangeFilters": [], "assets": [], "symbols": symbols})


async def klines(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st, q = _state(request), request.query
    tf = TIMEFRAMES_MS[q.get("interval", "1m")]
    limit = min(int_param(q, "limit", 500), 1500)
    df = resample_candles(st.rows("candles", VENUE), tf)
    df = df[df["ts"] + tf <= st.now_ms] if tf > MINUTE_MS else df
    start, end = int_param(q, "startTime"), int_param(q, "endTime")
    df = pick(window(df, start, end), limit, newest=start is None)
    # [open time, open, high, low, close, volume (base), close time, quote volume, trades,
    #  taker buy base volume, taker buy quote volume, ignore]
    rows = [[int(r.ts), num(r.open), num(r.high), num(r.low), num(r.close), num(r.volume), int(r.ts) + tf - 1,
             num(r.quote_volume), 100, num(r.taker_buy_volume), num(round(r.taker_buy_volume * r.close, 2)), "0"]
            for r in df.itertuples()]
    return web.json_response(rows)


def _latest(df: pd.DataFrame):
    return None if len(df) == 0 else df.sort_values("ts").iloc[-1]


async def open_interest(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    r = _latest(st.rows("open_interest", VENUE))
    return web.json_response({"openInterest": num(r.oi_base), "symbol": SYMBOL_ID, "time": st.now_ms})


def _hist_window(request, series: str):
    st, q = _state(request), request.query
    period = PERIODS.get(q.get("period", ""))
    if period is None:
        return None, web.json_response({"code": -1102, "msg": "Mandatory parameter 'period' was not sent, was empty/null, or malformed."}, status=400)
    df = st.rows(series, VENUE)
    df = df[(df["ts"] % period == 0) & (df["ts"] >= st.now_ms - HISTORY_LIMIT_MS)]
    limit = min(int_param(q, "limit", 30), 500)
    start, end = int_param(q, "startTime"), int_param(q, "endTime")
    return pick(window(df, start, end), limit, newest=start is None), None


async def open_interest_hist(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    df, err = _hist_window(request, "open_interest")
    if err is not None:
        return err
    return web.json_response([{"symbol": SYMBOL_ID, "sumOpenInterest": num(r.oi_base), "sumOpenInterestValue": num(r.oi_usd),
                               "CMCCirculatingSupply": "19800000", "timestamp": int(r.ts)} for r in df.itertuples()])


async def long_short(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    df, err = _hist_window(request, "long_short")
    if err is not None:
        return err
    out = []
    for r in df.itertuples():
        long_acc = round(r.ratio / (1 + r.ratio), 4)
        out.append({"symbol": SYMBOL_ID, "longShortRatio": num(r.ratio), "longAccount": num(long_acc),
                    "shortAccount": num(round(1 - long_acc, 4)), "timestamp": int(r.ts)})
    return web.json_response(out)


async def premium_index(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    c = _latest(st.rows("candles", VENUE))
    fu = st.data.funding
    nxt = fu[(fu["exchange"] == VENUE) & (fu["ts"] > st.now_ms)].sort_values("ts").iloc[0]
    return web.json_response({"symbol": SYMBOL_ID, "markPrice": num(c.close), "indexPrice": num(c.close),
                              "estimatedSettlePrice": num(c.close), "lastFundingRate": num(nxt.rate),
                              # times as strings, as in ccxt's recorded answer (Binance's docs example has ints;
                              # both parse): the stricter of the two shapes
                              "interestRate": "0.00010000", "nextFundingTime": str(int(nxt.ts)), "time": str(st.now_ms)})


async def funding_rate(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st, q = _state(request), request.query
    limit = min(int_param(q, "limit", 100), 1000)
    start, end = int_param(q, "startTime"), int_param(q, "endTime")
    df = pick(window(st.rows("funding", VENUE), start, end), limit, newest=start is None)
    return web.json_response([{"symbol": SYMBOL_ID, "fundingTime": str(int(r.ts)), "fundingRate": num(r.rate), "markPrice": "60000.00"}
                              for r in df.itertuples()])


async def ticker_24hr(request):
    if (bad := _bad_symbol(request)) is not None:
        return bad
    st = _state(request)
    df = window(st.rows("candles", VENUE), st.now_ms - DAY_MS, None)
    c = _latest(df)
    return web.json_response({"symbol": SYMBOL_ID, "priceChange": "0", "priceChangePercent": "0", "weightedAvgPrice": num(c.close),
                              "lastPrice": num(c.close), "lastQty": "0.010", "openPrice": num(df["open"].iloc[0]),
                              "highPrice": num(df["high"].max()), "lowPrice": num(df["low"].min()),
                              "volume": num(round(df["volume"].sum(), 3)), "quoteVolume": num(round(df["quote_volume"].sum(), 2)),
                              "openTime": int(df["ts"].iloc[0]), "closeTime": st.now_ms, "firstId": 1, "lastId": 2, "count": 2})


def liquidation_messages(events: pd.DataFrame, edges=None) -> list[tuple[dict, pd.DataFrame]]:
    """forceOrder events, one per message; ``S`` is the forced ORDER's side: SELL closes a long.

    With ``edges.binance_one_per_second`` only the latest event of each second is sent (a snapshot), as
    the real stream does: the others are never reported.
    """
    if edges is not None and edges.binance_one_per_second and len(events):
        events = events.sort_values("ts", kind="stable")
        events = events[~(events["ts"] // 1000).duplicated(keep="last")].reset_index(drop=True)
    out = []
    for i in range(len(events)):
        r = events.iloc[i]
        q = num(r.qty_base)
        msg = {"e": "forceOrder", "E": int(r.ts) + 3, "o": {
            "s": SYMBOL_ID, "S": "SELL" if r.side == "long" else "BUY", "o": "LIMIT", "f": "IOC", "q": q,
            "p": num(r.price), "ap": num(r.price), "X": "FILLED", "l": q, "z": q, "T": int(r.ts)}}
        out.append((msg, events.iloc[i:i + 1]))
    return out


def candle_messages(candles: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """Kline stream events (closed candles, ``x`` true); ``v`` base volume, ``V`` taker buy base volume."""
    out = []
    for i in range(len(candles)):
        r = candles.iloc[i]
        t = int(r.ts)
        k = {"t": t, "T": t + MINUTE_MS - 1, "s": SYMBOL_ID, "i": "1m", "f": 1, "L": 100, "o": num(r.open), "c": num(r.close),
             "h": num(r.high), "l": num(r.low), "v": num(r.volume), "n": 100, "x": True, "q": num(r.quote_volume),
             "V": num(r.taker_buy_volume), "Q": num(round(r.taker_buy_volume * r.close, 2)), "B": "0"}
        out.append(({"e": "kline", "E": t + MINUTE_MS, "s": SYMBOL_ID, "k": k}, candles.iloc[i:i + 1]))
    return out


# Binance routes USDⓈ-M streams by category since 2026-03-06: forceOrder and kline only under
# wss://fstream.binance.com/market/...; the unrouted legacy /ws (and /public) still acknowledge a SUBSCRIBE
# and then send nothing ("Important WebSocket Change Notice"; Tucsky/aggr PR #444, BYTEX-TRADE/bytex #7).
MARKET_ROUTE = "market"
LEGACY_ROUTE = "legacy"


def route_of(path: str) -> str:
    """'/binance/market/ws/0' -> 'market'; '/binance/ws/0' (the retired unrouted path) -> 'legacy'."""
    tail = path[len("/binance"):] if path.startswith("/binance") else path
    for category in ("market", "public", "private"):
        if tail.startswith(f"/{category}/") or tail == f"/{category}":
            return category
    return LEGACY_ROUTE


def _on_ws_message(state, text: str, ws, route: str = MARKET_ROUTE) -> list:
    try:
        msg = json.loads(text)
    except ValueError:
        return [{"error": {"code": 3, "msg": "Invalid JSON"}}]
    if msg.get("method") == "SUBSCRIBE":
        params = [str(p).lower() for p in msg.get("params", [])]
        wants_liq = any("forceorder" in p for p in params)
        wants_kline = any(p == f"{SYMBOL_ID.lower()}@kline_1m" for p in params)
        if route != MARKET_ROUTE:
            if wants_liq or wants_kline:
                state.unrouted_subscriptions[VENUE] += 1  # acknowledged below, never served
            return [{"result": None, "id": msg.get("id")}]
        if wants_liq:
            ws.cascade_subscribed = True
            state.subscribed[VENUE] += 1
        if wants_kline:
            ws.cascade_candles = True
            state.subscribed_candles[VENUE] += 1
        return [{"result": None, "id": msg.get("id")}]
    return []


async def _ws(request):
    from tests.fake_exchange.server import ws_session  # here: server imports this module

    route = route_of(request.path)
    return await ws_session(request, VENUE, lambda state, text, ws: _on_ws_message(state, text, ws, route))


def register(app: web.Application, state) -> None:
    r = app.router
    r.add_get("/fapi/v1/exchangeInfo", exchange_info)
    r.add_get("/fapi/v1/klines", klines)
    r.add_get("/fapi/v1/openInterest", open_interest)
    r.add_get("/futures/data/openInterestHist", open_interest_hist)
    r.add_get("/futures/data/globalLongShortAccountRatio", long_short)
    r.add_get("/fapi/v1/premiumIndex", premium_index)
    r.add_get("/fapi/v1/fundingRate", funding_rate)
    r.add_get("/fapi/v1/ticker/24hr", ticker_24hr)
    r.add_get("/binance/{tail:.*}", _ws)
