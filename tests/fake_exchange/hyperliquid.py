"""Hyperliquid's public info endpoint (POST /info, a JSON ``type``) and its WebSocket, in Hyperliquid's shapes.

Shapes and limits from the Hyperliquid API docs (info endpoint, perpetuals) as recorded in ccxt 4.5's
hyperliquid.py comments:
- ``candleSnapshot``: only the most recent 5000 candles of an interval exist; one answer holds at most 5000;
- ``fundingHistory``: ascending, at most 500 rows per answer (page on with a later ``startTime``);
- ``metaAndAssetCtxs``: ``[{"universe": [...]}, [contexts]]`` aligned by index; a snapshot without a time;
- ``clearinghouseState`` ``{"user": "0x…"}``: a wallet's perpetual positions and margin summary; an address
  that never traded answers an empty state, a malformed one HTTP 422;
- no open-interest history, no long/short ratio, no public liquidation channel (nothing to push).
"""

from __future__ import annotations

import json
import re

import pandas as pd
from aiohttp import web

from market.series import MINUTE_MS
from tests.fake_exchange.keys import STATE
from tests.fake_exchange.wire import int_param, num, resample_candles, window

VENUE = "hyperliquid"
PATH_PREFIXES = ("/info", "/hyperliquid")  # the request paths this venue owns on the shared fake server
COIN = "BTC"
CANDLES_SERVED = 5000
FUNDING_ROWS = 500
INTERVALS = {"1m": MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "1h": 60 * MINUTE_MS, "4h": 240 * MINUTE_MS,
             "1d": 1440 * MINUTE_MS}
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
WALLETS = "hyperliquid_wallets"  # FakeState.extra key: address -> clearinghouseState body


def urls(http: str, ws: str) -> dict[str, str]:
    """Where a client finds this venue on the fake server (LiveSource(urls_override=...) per venue)."""
    return {"rest": http, "ws": f"{ws}/hyperliquid/ws"}


def error_body(status: int) -> str:
    return json.dumps({"error": "Too many requests" if status == 429 else "Internal server error"})


def _state(request):
    return request.app[STATE]


def set_wallet(state, address: str, body: dict) -> None:
    """Serve ``body`` as the clearinghouseState of ``address`` (tests build it with ``wallet_state``)."""
    state.extra.setdefault(WALLETS, {})[address.lower()] = body


def wallet_state(positions: list[dict], account_value: float, cross_mm_used: float, now_ms: int) -> dict:
    """A clearinghouseState body in the documented shape; ``positions`` are the ``position`` objects."""
    ntl = sum(float(p["positionValue"]) for p in positions)
    used = sum(float(p["marginUsed"]) for p in positions)
    summary = {"accountValue": num(account_value), "totalMarginUsed": num(used), "totalNtlPos": num(ntl),
               "totalRawUsd": num(account_value - ntl)}
    return {"assetPositions": [{"position": p, "type": "oneWay"} for p in positions],
            "crossMaintenanceMarginUsed": num(cross_mm_used), "crossMarginSummary": summary, "marginSummary": summary,
            "time": int(now_ms), "withdrawable": num(max(account_value - used, 0.0))}


def _empty_wallet(now_ms: int) -> dict:
    zero = {"accountValue": "0.0", "totalMarginUsed": "0.0", "totalNtlPos": "0.0", "totalRawUsd": "0.0"}
    return {"assetPositions": [], "crossMaintenanceMarginUsed": "0.0", "crossMarginSummary": zero, "marginSummary": zero,
            "time": int(now_ms), "withdrawable": "0.0"}


def _universe(st) -> list[dict]:
    btc = {"name": COIN, "szDecimals": 5, "maxLeverage": 40, "onlyIsolated": False, "marginTableId": 56}
    if VENUE in st.delisted:
        btc["isDelisted"] = True
    # A second coin before BTC: the contexts must be matched by index, not taken first.
    return [{"name": "ETH", "szDecimals": 4, "maxLeverage": 25, "onlyIsolated": False, "marginTableId": 55}, btc]


def _contexts(st) -> list[dict]:
    candles = st.rows("candles", VENUE)
    mark = float(candles["close"].iloc[-1]) if len(candles) else 60_000.0
    oi = st.rows("open_interest", VENUE)
    fu = st.data.funding
    fu = fu[(fu["exchange"] == VENUE) & (fu["ts"] > st.now_ms)].sort_values("ts")
    rate = float(fu["rate"].iloc[0]) if len(fu) else 0.0
    btc = {"dayNtlVlm": num(round(float(candles["quote_volume"].tail(1440).sum()), 2)) if len(candles) else "0.0",
           "funding": num(rate), "impactPxs": [num(mark - 1), num(mark + 1)], "markPx": num(mark), "midPx": num(mark),
           "openInterest": num(float(oi["oi_base"].iloc[-1])) if len(oi) else "0.0", "oraclePx": num(mark),
           "premium": "0.0001", "prevDayPx": num(mark)}
    eth = {"dayNtlVlm": "1709813.11535", "funding": "0.00004807", "impactPxs": ["2369.3", "2369.6"], "markPx": "2369.6",
           "midPx": "2369.45", "openInterest": "1815.4712", "oraclePx": "2367.3", "premium": "0.00090821", "prevDayPx": "2381.5"}
    return [eth, btc]


def _candles(st, req: dict) -> web.Response:
    if req.get("coin") != COIN:
        return web.json_response([])
    tf = INTERVALS.get(req.get("interval", ""))
    if tf is None:
        return web.Response(status=422, text="Failed to deserialize the JSON body into the target type")
    df = resample_candles(st.rows("candles", VENUE), tf).tail(CANDLES_SERVED)  # the most recent 5000 only
    df = window(df, int_param(req, "startTime"), int_param(req, "endTime")).head(CANDLES_SERVED)
    return web.json_response([{"T": int(r.ts) + tf - 1, "c": num(r.close), "h": num(r.high), "i": req["interval"],
                               "l": num(r.low), "n": 100, "o": num(r.open), "s": COIN, "t": int(r.ts), "v": num(r.volume)}
                              for r in df.itertuples()])


def _funding(st, body: dict) -> web.Response:
    if body.get("coin") != COIN:
        return web.json_response([])
    df = window(st.rows("funding", VENUE), int_param(body, "startTime"), int_param(body, "endTime")).head(FUNDING_ROWS)
    return web.json_response([{"coin": COIN, "fundingRate": num(r.rate), "premium": "0.0001", "time": int(r.ts)}
                              for r in df.itertuples()])


async def info(request: web.Request) -> web.Response:
    st = _state(request)
    try:
        body = await request.json()
    except ValueError:
        return web.Response(status=422, text="Failed to deserialize the JSON body")
    kind = body.get("type") if isinstance(body, dict) else None
    if kind == "metaAndAssetCtxs":
        return web.json_response([{"universe": _universe(st), "marginTables": []}, _contexts(st)])
    if kind == "meta":
        return web.json_response({"universe": _universe(st), "marginTables": []})
    if kind == "spotMeta":
        return web.json_response({"universe": [], "tokens": [{"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0,
                                                              "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054",
                                                              "isCanonical": True, "evmContract": None, "fullName": None}]})
    if kind == "candleSnapshot":
        return _candles(st, body.get("req") or {})
    if kind == "fundingHistory":
        return _funding(st, body)
    if kind == "clearinghouseState":
        user = str(body.get("user") or "")
        if not ADDRESS.match(user):
            return web.Response(status=422, text="Failed to deserialize the JSON body into the target type")
        return web.json_response(st.extra.get(WALLETS, {}).get(user.lower()) or _empty_wallet(st.now_ms))
    return web.Response(status=422, text="Failed to deserialize the JSON body into the target type")


def liquidation_messages(events: pd.DataFrame, edges=None) -> list[tuple[dict, pd.DataFrame]]:
    return []  # Hyperliquid has no public liquidation channel


def candle_messages(candles: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """``candle`` channel pushes: one candle per message, the REST row shape."""
    out = []
    for i in range(len(candles)):
        r = candles.iloc[i]
        data = {"t": int(r.ts), "T": int(r.ts) + MINUTE_MS - 1, "s": COIN, "i": "1m", "o": num(r.open), "c": num(r.close),
                "h": num(r.high), "l": num(r.low), "v": num(r.volume), "n": 100}
        out.append(({"channel": "candle", "data": data}, candles.iloc[i:i + 1]))
    return out


def _on_ws_message(state, text: str, ws) -> list:
    try:
        msg = json.loads(text)
    except ValueError:
        return [{"channel": "error", "data": f"Invalid message: {text[:40]}"}]
    if msg.get("method") == "ping":
        return [{"channel": "pong"}]
    if msg.get("method") == "subscribe":
        sub = msg.get("subscription") or {}
        if sub.get("type") == "candle" and sub.get("coin") == COIN and sub.get("interval") == "1m":
            ws.cascade_candles = True
            state.subscribed_candles[VENUE] += 1
        return [{"channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": sub}}]
    return []


def register(app: web.Application, state) -> None:
    from tests.fake_exchange.server import ws_route  # here: server imports this module

    app.router.add_post("/info", info)
    app.router.add_get("/hyperliquid/{tail:.*}", ws_route(VENUE, _on_ws_message))
