"""OKX v5 public endpoints (https://www.okx.com/docs-v5/en/), in OKX's shapes.

OKX's unit trap: swap amounts are in CONTRACTS (BTC-USDT-SWAP: ctVal 0.01 BTC); ``oiCcy``/``volCcy`` are base.
Lists come newest first; ``after`` means "older than", ``before`` "newer than" (both exclusive).
"""

from __future__ import annotations

import json

import pandas as pd
from aiohttp import web

from market.series import MINUTE_MS
from tests.fake_exchange.keys import STATE
from tests.fake_exchange.wire import int_param, num, pick, resample_candles, window

VENUE = "okx"
PATH_PREFIXES = ("/api/v5", "/okx")  # the request paths this venue owns on the shared fake server
INST_ID = "BTC-USDT-SWAP"
CT_VAL = 0.01  # BTC per contract
BARS = {"1m": MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "1H": 60 * MINUTE_MS, "4H": 240 * MINUTE_MS,
        "1Dutc": 1440 * MINUTE_MS}
PERIODS = {"5m": 5 * MINUTE_MS, "1H": 60 * MINUTE_MS, "1D": 1440 * MINUTE_MS}


def urls(http: str, ws: str) -> dict[str, str]:
    """Where a client finds this venue on the fake server (LiveSource(urls_override=...) per venue)."""
    return {"rest": http, "ws": f"{ws}/okx/ws/v5"}


def error_body(status: int) -> str:
    if status == 429:
        return json.dumps({"msg": "Too Many Requests", "code": "50011"})
    return json.dumps({"msg": "System error, please try again later.", "code": "50026"})


def ok(data) -> web.Response:
    return web.json_response({"code": "0", "msg": "", "data": data})


def _state(request):
    return request.app[STATE]


def _bad_inst(request) -> web.Response | None:
    inst = request.query.get("instId")
    if inst is not None and (inst != INST_ID or VENUE in _state(request).delisted):
        return web.json_response({"code": "51001", "msg": "Instrument ID does not exist", "data": []})
    return None


def instrument() -> dict:
    return {"alias": "", "baseCcy": "", "category": "1", "ctMult": "1", "ctType": "linear", "ctVal": num(CT_VAL),
            "ctValCcy": "BTC", "expTime": "", "instFamily": "BTC-USDT", "instId": INST_ID, "instType": "SWAP",
            "lever": "100", "listTime": "1611916828000", "lotSz": "0.01", "maxIcebergSz": "100000000.0000000000000000",
            "maxLmtAmt": "20000000", "maxLmtSz": "100000000", "maxMktAmt": "", "maxMktSz": "12000", "maxStopSz": "12000",
            "maxTriggerSz": "100000000", "maxTwapSz": "100000000", "minSz": "0.01", "optType": "", "quoteCcy": "",
            "settleCcy": "USDT", "state": "live", "ruleType": "normal", "stk": "", "tickSz": "0.1", "uly": "BTC-USDT"}


async def instruments(request):
    st = _state(request)
    inst_type = request.query.get("instType", "SWAP")
    return ok([instrument()] if inst_type == "SWAP" and VENUE not in st.delisted else [])


def _between(request, df: pd.DataFrame, limit_max: int) -> pd.DataFrame:
    q = request.query
    limit = min(int_param(q, "limit", 100), limit_max)
    return pick(window(df, int_param(q, "before"), int_param(q, "after"), lo_open=True, hi_open=True), limit, newest=True)


def _candles(request, limit_max: int):
    if (bad := _bad_inst(request)) is not None:
        return bad
    st = _state(request)
    tf = BARS.get(request.query.get("bar", "1m"))
    if tf is None:
        return web.json_response({"code": "51000", "msg": "Parameter bar error", "data": []})
    df = resample_candles(st.rows("candles", VENUE), tf)
    df = _between(request, df, limit_max).sort_values("ts", ascending=False)
    # [ts, o, h, l, c, vol (contracts), volCcy (base), volCcyQuote (quote), confirm]
    return ok([[str(int(r.ts)), num(r.open), num(r.high), num(r.low), num(r.close), num(round(r.volume / CT_VAL, 4)),
                num(r.volume), num(r.quote_volume), "1"] for r in df.itertuples()])


async def candles(request):
    return _candles(request, 300)


async def history_candles(request):
    return _candles(request, 100)


async def open_interest(request):
    if (bad := _bad_inst(request)) is not None:
        return bad
    st = _state(request)
    r = st.rows("open_interest", VENUE).sort_values("ts").iloc[-1]
    return ok([{"instType": "SWAP", "instId": INST_ID, "oi": num(round(r.oi_base / CT_VAL, 4)), "oiCcy": num(r.oi_base),
                "oiUsd": num(r.oi_usd), "ts": str(st.now_ms)}])


# OKX docs (trading-statistics open-interest-history / long-short-account-ratio-contract): "can retrieve
# the latest 1,440 data entries" per period. Configurable on the state (okx_rubik_entries) so a test can
# scale the cap down to a few hours of market.
RUBIK_ENTRIES = 1440


def _rubik(request, series: str):
    st, q = _state(request), request.query
    period = PERIODS.get(q.get("period", "5m"))
    df = st.rows(series, VENUE)
    df = df[df["ts"] % period == 0].tail(getattr(st, "okx_rubik_entries", RUBIK_ENTRIES))
    limit = min(int_param(q, "limit", 100), 100)
    out = pick(window(df, int_param(q, "begin"), int_param(q, "end")), limit, newest=True).sort_values("ts", ascending=False)
    if len(out) == 0:
        with st.lock:
            st.empty_answers[f"{VENUE} {request.path}"] += 1
    return out


def _bad_period(request) -> web.Response | None:
    if request.query.get("period", "5m") not in PERIODS:
        return web.json_response({"code": "51000", "msg": "Parameter period error", "data": []})
    return None


async def open_interest_history(request):
    if (bad := _bad_inst(request) or _bad_period(request)) is not None:
        return bad
    df = _rubik(request, "open_interest")
    # [ts, oi (contracts), oiCcy (base), oiUsd]
    return ok([[str(int(r.ts)), num(round(r.oi_base / CT_VAL, 4)), num(r.oi_base), num(r.oi_usd)] for r in df.itertuples()])


async def long_short_ratio(request):
    if (bad := _bad_inst(request) or _bad_period(request)) is not None:
        return bad
    df = _rubik(request, "long_short")
    return ok([[str(int(r.ts)), num(r.ratio)] for r in df.itertuples()])


async def funding_rate(request):
    if (bad := _bad_inst(request)) is not None:
        return bad
    st = _state(request)
    fu = st.data.funding
    fu = fu[(fu["exchange"] == VENUE) & (fu["ts"] > st.now_ms)].sort_values("ts")
    cur, nxt = fu.iloc[0], fu.iloc[min(1, len(fu) - 1)]
    return ok([{"formulaType": "noRate", "fundingRate": num(cur.rate), "fundingTime": str(int(cur.ts)), "impactValue": "",
                "instId": INST_ID, "instType": "SWAP", "interestRate": "0", "maxFundingRate": "0.00375", "method": "current_period",
                "minFundingRate": "-0.00375", "nextFundingRate": "", "nextFundingTime": str(int(nxt.ts)), "premium": "0.0001",
                "settFundingRate": "0.0001", "settState": "settled", "ts": str(st.now_ms)}])


async def funding_rate_history(request):
    if (bad := _bad_inst(request)) is not None:
        return bad
    st = _state(request)
    df = _between(request, st.rows("funding", VENUE), 100).sort_values("ts", ascending=False)
    return ok([{"fundingRate": num(r.rate), "fundingTime": str(int(r.ts)), "formulaType": "noRate", "instId": INST_ID,
                "instType": "SWAP", "method": "current_period", "realizedRate": num(r.rate)} for r in df.itertuples()])


async def position_tiers(request):
    tiers = [(1, "0", "500", "0.01", "0.004", "100"), (2, "500", "1000", "0.0125", "0.005", "75"),
             (3, "1000", "2000", "0.02", "0.008", "50")]
    return ok([{"baseMaxLoan": "", "imr": imr, "instFamily": "BTC-USDT", "instId": "", "maxLever": lev, "maxSz": mx,
                "minSz": mn, "mmr": mmr, "optMgnFactor": "0", "quoteMaxLoan": "", "tier": str(t), "uly": "BTC-USDT"}
               for t, mn, mx, imr, mmr, lev in tiers])


def _detail(r, pos: str) -> dict:
    return {"bkLoss": "0", "bkPx": num(r.price), "ccy": "", "posSide": pos, "side": "sell" if r.side == "long" else "buy",
            "sz": num(round(r.qty_base / CT_VAL, 4)), "ts": str(int(r.ts))}


def _other_swap(r) -> dict:
    """An ETH-USDT-SWAP liquidation riding in the same push (the channel carries every SWAP instrument)."""
    return {"details": [{"bkLoss": "0", "bkPx": "3150.5", "ccy": "", "posSide": "long", "side": "sell", "sz": "7",
                         "ts": str(int(r.ts) - 1)}], "instFamily": "ETH-USDT", "instId": "ETH-USDT-SWAP", "instType": "SWAP",
            "uly": "ETH-USDT"}


def liquidation_messages(events: pd.DataFrame, edges=None) -> list[tuple[dict, pd.DataFrame]]:
    """liquidation-orders pushes, one event per message.

    Even events use long/short position mode (posSide says the liquidated side), odd ones net mode
    (posSide "net": the forced order's side tells it, sell = a long was closed).
    ``edges.okx_out_of_order``: three events per message, their details newest first, the messages of a
    push in reverse order; ``edges.okx_every_instrument``: another swap's item in every message.
    """
    shuffled = bool(getattr(edges, "okx_out_of_order", False))
    others = bool(getattr(edges, "okx_every_instrument", False))
    n = 3 if shuffled else 1
    out = []
    for i in range(0, len(events), n):
        chunk = events.iloc[i:i + n]
        details = [_detail(r, r.side if (i + j) % 2 == 0 else "net") for j, r in enumerate(chunk.itertuples())]
        if shuffled:
            details.reverse()
        item = {"details": details, "instFamily": "BTC-USDT", "instId": INST_ID, "instType": "SWAP", "uly": "BTC-USDT"}
        data = [_other_swap(chunk.iloc[0]), item] if others else [item]
        out.append(({"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": data}, chunk))
    if shuffled:
        out.reverse()
    return out


def candle_messages(candles: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """candle1m pushes (business endpoint): the REST candle row shape, confirm "1" once closed."""
    out = []
    for i in range(len(candles)):
        r = candles.iloc[i]
        row = [str(int(r.ts)), num(r.open), num(r.high), num(r.low), num(r.close), num(round(r.volume / CT_VAL, 4)),
               num(r.volume), num(r.quote_volume), "1"]
        out.append(({"arg": {"channel": "candle1m", "instId": INST_ID}, "data": [row]}, candles.iloc[i:i + 1]))
    return out


def _on_ws_message(state, text: str, ws) -> list:
    if text == "ping":
        return ["pong"]
    try:
        msg = json.loads(text)
    except ValueError:
        return [{"event": "error", "code": "60012", "msg": "Invalid request"}]
    replies = []
    if msg.get("op") == "subscribe":
        for arg in msg.get("args", []):
            if arg.get("channel") == "liquidation-orders":
                ws.cascade_subscribed = True
                state.subscribed[VENUE] += 1
            if arg.get("channel") == "candle1m" and arg.get("instId") == INST_ID:
                ws.cascade_candles = True
                state.subscribed_candles[VENUE] += 1
            replies.append({"event": "subscribe", "arg": arg, "connId": "a4d3ae55"})
    return replies


def register(app: web.Application, state) -> None:
    from tests.fake_exchange.server import ws_route  # here: server imports this module

    r = app.router
    r.add_get("/api/v5/public/instruments", instruments)
    r.add_get("/api/v5/market/candles", candles)
    r.add_get("/api/v5/market/history-candles", history_candles)
    r.add_get("/api/v5/public/open-interest", open_interest)
    r.add_get("/api/v5/rubik/stat/contracts/open-interest-history", open_interest_history)
    r.add_get("/api/v5/rubik/stat/contracts/long-short-account-ratio-contract", long_short_ratio)
    r.add_get("/api/v5/public/funding-rate", funding_rate)
    r.add_get("/api/v5/public/funding-rate-history", funding_rate_history)
    r.add_get("/api/v5/public/position-tiers", position_tiers)
    r.add_get("/okx/{tail:.*}", ws_route(VENUE, _on_ws_message))
