"""Signed (private) endpoints of the fake exchange: Binance USDⓈ-M, OKX v5 and Bybit v5.

Each route checks the request exactly as the real exchange does (key header, signature over the exact
bytes the exchange specifies, timestamp window, passphrase, IP whitelist) and answers positions and
balances ONLY to a correct signature. Failures return the exchange's own error codes and HTTP statuses:

- Binance: HMAC-SHA256 hex of the query string (without ``signature``), header ``X-MBX-APIKEY``;
  -2014 key format, -2015 unknown key / IP not whitelisted, -1022 bad signature, -1021 timestamp.
- OKX: base64 HMAC-SHA256 of ``timestamp + METHOD + requestPath(+query) + body``; headers
  OK-ACCESS-KEY/SIGN/TIMESTAMP/PASSPHRASE; 50111 key, 50105 passphrase, 50113 sign, 50102 timestamp
  expired, 50110 IP not whitelisted.
- Bybit v5: HMAC-SHA256 hex of ``timestamp + api_key + recv_window + queryString``; X-BAPI-* headers;
  10003 key, 10004 sign, 10002 timestamp/recv_window, 10010 IP mismatch.

Use it two ways:
- plugged into the shared FakeExchange: ``FakeExchange(extra_routes=[extra_routes(state)])``;
  ``add_private_routes(app, state)`` registers the routes on any other aiohttp app;
- ``PrivateFakeServer(state)`` runs a standalone server (private routes plus the minimal public market
  metadata ccxt needs to load markets) on 127.0.0.1 in a background thread.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass(frozen=True)
class ApiKey:
    key: str
    secret: str
    passphrase: str = ""  # OKX only
    can_trade: bool = False
    can_withdraw: bool = False


@dataclass
class PrivateState:
    """What the fake exchange knows: registered keys and the account they open. Mutable on purpose:
    a test flips ``ip_whitelisted`` or ``clock_offset_ms`` between requests."""

    keys: list[ApiKey] = field(default_factory=list)
    ip_whitelisted: bool = True
    clock_offset_ms: int = 0  # the server's clock minus real time (simulates a skewed client)
    delay_s: float = 0.0  # every private answer waits this long (timeout tests)
    wallet_usdt: float = 10_000.0
    # One BTC position shared by all three venues, in base units; sign = side.
    position_qty: float = 0.5
    entry: float = 80_000.0
    mark: float = 79_000.0
    liquidation: float = 72_140.5
    leverage: float = 10.0
    margin_mode: str = "cross"
    open_order_margin: float = 0.0  # initial margin of resting orders (Binance adds it to initialMargin)
    bybit_unified: bool = True  # a unified trading account: tradeMode deprecated (always 0), mode in account/info
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every signed call
    # Exchanges echo what they received in error bodies: when set, every OKX error repeats the passphrase
    # sent, JSON-escaped (and once more with every symbol as \uXXXX, as some gateways write it).
    echo_passphrase: bool = False

    def find(self, key: str) -> ApiKey | None:
        return next((k for k in self.keys if k.key == key), None)

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms


def _private_route(state: PrivateState, check, reply):
    """One signed endpoint: the configured latency, the request logged, ``check(state, request)`` (a
    Response is the exchange's error answer, else the caller's ApiKey), then ``reply(key, request)`` as JSON."""
    async def handler(request: web.Request) -> web.Response:
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        state.requests.append((request.method, request.path))
        checked = await check(state, request)
        if isinstance(checked, web.Response):
            return checked
        return web.json_response(reply(checked, request))

    return handler


# ---------------------------------------------------------------------------------------------- Binance


def _binance_error(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


async def _binance_check(state: PrivateState, request: web.Request) -> web.Response | ApiKey:
    key = request.headers.get("X-MBX-APIKEY", "")
    if not key or len(key) < 8:
        return _binance_error(401, -2014, "API-key format invalid.")
    found = state.find(key)
    if found is None:
        return _binance_error(401, -2015, "Invalid API-key, IP, or permissions for action.")
    if not state.ip_whitelisted:
        return _binance_error(401, -2015, f"Invalid API-key, IP, or permissions for action, request ip: {request.remote}")
    qs = request.query_string
    payload, sep, signature = qs.rpartition("&signature=")
    if not sep:
        return _binance_error(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    expected = hmac.new(found.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return _binance_error(400, -1022, "Signature for this request is not valid.")
    params = dict(parse_qsl(payload))
    ts = int(params.get("timestamp", "0"))
    window = int(params.get("recvWindow", "5000"))
    now = state.now_ms()
    if ts > now + 1000 or now - ts > window:
        return _binance_error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    return found


def _binance_route(state: PrivateState, answer):
    return _private_route(state, _binance_check, lambda key, _request: answer(state, key))


def _binance_positions(state: PrivateState, _key: ApiKey):
    q = state.position_qty
    notional = q * state.mark
    return [
        {
            "symbol": "BTCUSDT",
            "positionSide": "BOTH",
            "positionAmt": f"{q:.3f}",
            "entryPrice": str(state.entry),
            "breakEvenPrice": str(state.entry),
            "markPrice": str(state.mark),
            "unRealizedProfit": str(q * (state.mark - state.entry)),
            "liquidationPrice": str(state.liquidation),
            "isolatedMargin": "0" if state.margin_mode == "cross" else str(abs(notional) / state.leverage),
            "notional": str(notional),
            "marginAsset": "USDT",
            "isolatedWallet": "0" if state.margin_mode == "cross" else str(abs(notional) / state.leverage),
            "initialMargin": str(abs(notional) / state.leverage + state.open_order_margin),
            "maintMargin": str(abs(notional) * 0.004),
            "positionInitialMargin": str(abs(notional) / state.leverage),
            "openOrderInitialMargin": str(state.open_order_margin),
            "adl": 1,
            "bidNotional": "0",
            "askNotional": "0",
            "updateTime": state.now_ms(),
        }
    ]


def _binance_account(state: PrivateState, _key: ApiKey):
    upnl = state.position_qty * (state.mark - state.entry)
    im = abs(state.position_qty * state.mark) / state.leverage
    w = state.wallet_usdt
    asset = {
        "asset": "USDT",
        "walletBalance": str(w),
        "unrealizedProfit": str(upnl),
        "marginBalance": str(w + upnl),
        "maintMargin": str(abs(state.position_qty * state.mark) * 0.004),
        "initialMargin": str(im),
        "positionInitialMargin": str(im),
        "openOrderInitialMargin": "0",
        "crossWalletBalance": str(w),
        "crossUnPnl": str(upnl),
        "availableBalance": str(w + upnl - im),
        "maxWithdrawAmount": str(w + upnl - im),
        "updateTime": state.now_ms(),
    }
    return {
        "totalInitialMargin": str(im),
        "totalMaintMargin": asset["maintMargin"],
        "totalWalletBalance": str(w),
        "totalUnrealizedProfit": str(upnl),
        "totalMarginBalance": str(w + upnl),
        "totalPositionInitialMargin": str(im),
        "totalOpenOrderInitialMargin": "0",
        "totalCrossWalletBalance": str(w),
        "totalCrossUnPnl": str(upnl),
        "availableBalance": asset["availableBalance"],
        "maxWithdrawAmount": asset["maxWithdrawAmount"],
        "assets": [asset],
        "positions": [],
    }


def _binance_brackets(_state: PrivateState, _key: ApiKey):
    rows = [
        (1, 125, 50_000, 0, 0.004, 0.0),
        (2, 100, 250_000, 50_000, 0.005, 50.0),
        (3, 50, 1_000_000, 250_000, 0.01, 1_300.0),
        (4, 20, 10_000_000, 1_000_000, 0.025, 16_300.0),
    ]
    return [
        {
            "symbol": "BTCUSDT",
            "notionalCoef": 1.0,
            "brackets": [
                {"bracket": b, "initialLeverage": lev, "notionalCap": cap, "notionalFloor": floor, "maintMarginRatio": mmr, "cum": cum}
                for b, lev, cap, floor, mmr, cum in rows
            ],
        }
    ]


def _binance_restrictions(_state: PrivateState, key: ApiKey):
    return {
        "ipRestrict": False,
        "createTime": 1_700_000_000_000,
        "enableReading": True,
        "enableWithdrawals": key.can_withdraw,
        "enableInternalTransfer": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFutures": key.can_trade,
        "enableMargin": False,
        "enableSpotAndMarginTrading": key.can_trade,
        "enablePortfolioMarginTrading": False,
    }


# -------------------------------------------------------------------------------------------------- OKX


def _okx_error(status: int, code: str, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg, "data": []}, status=status)


def _parse_okx_ts(text: str) -> int | None:
    try:
        return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)
    except ValueError:
        return None


def _u_escaped(text: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "".join(f"\\u{u:04X}" for u in _utf16(c)) for c in text)


def _utf16(c: str) -> list[int]:
    b = c.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2)]


async def _okx_check(state: PrivateState, request: web.Request) -> web.Response | ApiKey:
    checked = await _okx_check_signed(state, request)
    if isinstance(checked, web.Response) and state.echo_passphrase:
        sent = request.headers.get("OK-ACCESS-PASSPHRASE", "")
        body = json.loads(checked.text)
        body["msg"] = f"{body['msg']} (OK-ACCESS-PASSPHRASE received: {sent})"
        text = json.dumps(body)[:-1] + ', "echo": "' + _u_escaped(sent) + '"}'
        return web.Response(text=text, status=checked.status, content_type="application/json")
    return checked


async def _okx_check_signed(state: PrivateState, request: web.Request) -> web.Response | ApiKey:
    h = request.headers
    ts_text = h.get("OK-ACCESS-TIMESTAMP", "")
    ts = _parse_okx_ts(ts_text)
    if ts is None:
        return _okx_error(401, "50112", "Invalid OK-ACCESS-TIMESTAMP")
    if abs(state.now_ms() - ts) > 30_000:
        return _okx_error(401, "50102", "Timestamp request expired")
    found = state.find(h.get("OK-ACCESS-KEY", ""))
    if found is None:
        return _okx_error(401, "50111", "Invalid OK-ACCESS-KEY")
    if h.get("OK-ACCESS-PASSPHRASE", "") != found.passphrase:
        return _okx_error(401, "50105", "Invalid OK-ACCESS-PASSPHRASE")
    if not state.ip_whitelisted:
        return _okx_error(401, "50110", f"Your IP {request.remote} is not included in your API key's IP whitelist.")
    body = await request.text()
    prehash = ts_text + request.method.upper() + request.path_qs + body
    expected = base64.b64encode(hmac.new(found.secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, h.get("OK-ACCESS-SIGN", "")):
        return _okx_error(401, "50113", "Invalid Sign")
    return found


def _okx_route(state: PrivateState, answer):
    return _private_route(state, _okx_check, lambda key, _request: {"code": "0", "msg": "", "data": answer(state, key)})


OKX_CT_VAL = 0.01  # BTC-USDT-SWAP: one contract is 0.01 BTC


def _okx_positions(state: PrivateState, _key: ApiKey):
    contracts = state.position_qty / OKX_CT_VAL
    notional = abs(state.position_qty) * state.mark
    now = str(state.now_ms())
    return [
        {
            "instType": "SWAP",
            "instId": "BTC-USDT-SWAP",
            "mgnMode": state.margin_mode,
            "posSide": "net",
            "pos": f"{contracts:g}",
            "ccy": "USDT",
            "posCcy": "",
            "avgPx": str(state.entry),
            "markPx": str(state.mark),
            "last": str(state.mark),
            "liqPx": str(state.liquidation),
            "lever": f"{state.leverage:g}",
            "upl": str(state.position_qty * (state.mark - state.entry)),
            "uplRatio": "0",
            "notionalUsd": str(notional),
            "imr": str(notional / state.leverage),
            "mmr": str(notional * 0.004),
            "margin": "" if state.margin_mode == "cross" else str(notional / state.leverage),
            "mgnRatio": "10",
            "adl": "1",
            "availPos": "",
            "posId": "1",
            "tradeId": "1",
            "cTime": now,
            "uTime": now,
        }
    ]


def _okx_balance(state: PrivateState, _key: ApiKey):
    upnl = state.position_qty * (state.mark - state.entry)
    im = abs(state.position_qty * state.mark) / state.leverage
    w = state.wallet_usdt
    return [
        {
            "totalEq": str(w + upnl),
            "uTime": str(state.now_ms()),
            "details": [
                {
                    "ccy": "USDT",
                    "eq": str(w + upnl),
                    "cashBal": str(w),
                    "availBal": str(w - im),
                    "availEq": str(w + upnl - im),
                    "frozenBal": str(im),
                    "upl": str(upnl),
                    "eqUsd": str(w + upnl),
                    "uTime": str(state.now_ms()),
                }
            ],
        }
    ]


def _okx_config(_state: PrivateState, key: ApiKey):
    perm = ["read_only"] + (["trade"] if key.can_trade else []) + (["withdraw"] if key.can_withdraw else [])
    return [{"uid": "1", "acctLv": "2", "posMode": "net_mode", "perm": ",".join(perm), "ip": ""}]


# ------------------------------------------------------------------------------------------------ Bybit


def _bybit_error(state: PrivateState, code: int, msg: str) -> web.Response:
    return web.json_response({"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": state.now_ms()})


async def _bybit_check(state: PrivateState, request: web.Request) -> web.Response | ApiKey:
    body = await request.text()
    h = request.headers
    key = h.get("X-BAPI-API-KEY", "")
    found = state.find(key)
    if found is None:
        return _bybit_error(state, 10003, "API key is invalid.")
    try:
        ts = int(h.get("X-BAPI-TIMESTAMP", ""))
        window = int(h.get("X-BAPI-RECV-WINDOW", "5000"))
    except ValueError:
        return _bybit_error(state, 10002, "invalid request, please check your timestamp or recv_window param")
    now = state.now_ms()
    if ts > now + 1000 or now - ts > window:
        return _bybit_error(
            state, 10002, f"invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],server_timestamp[{now}],recv_window[{window}]"
        )
    if not state.ip_whitelisted:
        return _bybit_error(state, 10010, "Unmatched IP, please check your API key's bound IP addresses.")
    payload = request.query_string if request.method == "GET" else body
    prehash = f"{ts}{key}{window}{payload}"
    expected = hmac.new(found.secret.encode(), prehash.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, h.get("X-BAPI-SIGN", "")):
        return _bybit_error(state, 10004, f"error sign! origin_string[{prehash}]")
    return found


def _bybit_route(state: PrivateState, answer):
    return _private_route(state, _bybit_check, lambda key, request: {
        "retCode": 0, "retMsg": "OK", "result": answer(state, key, request), "retExtInfo": {}, "time": state.now_ms()})


def _bybit_positions(state: PrivateState, _key: ApiKey, request: web.Request):
    q = state.position_qty
    return {
        "category": "linear",
        "nextPageCursor": "",
        "list": [
            {
                "positionIdx": 0,
                "riskId": 1,
                "riskLimitValue": "2000000",
                "symbol": "BTCUSDT",
                "side": "Buy" if q > 0 else "Sell",
                "size": f"{abs(q):g}",
                "avgPrice": str(state.entry),
                "positionValue": str(abs(q) * state.entry),
                # Bybit docs (v5/position): tradeMode is deprecated for unified accounts and always 0 there.
                "tradeMode": 0 if state.bybit_unified or state.margin_mode == "cross" else 1,
                "positionStatus": "Normal",
                "autoAddMargin": 0,
                "leverage": f"{state.leverage:g}",
                "markPrice": str(state.mark),
                "liqPrice": str(state.liquidation),
                "bustPrice": "",
                "positionIM": str(abs(q) * state.entry / state.leverage),
                "positionMM": str(abs(q) * state.entry * 0.005),
                "positionBalance": "",
                "takeProfit": "",
                "stopLoss": "",
                "trailingStop": "",
                "unrealisedPnl": str(q * (state.mark - state.entry)),
                "curRealisedPnl": "0",
                "cumRealisedPnl": "0",
                "adlRankIndicator": 2,
                "isReduceOnly": False,
                "createdTime": str(state.now_ms()),
                "updatedTime": str(state.now_ms()),
                "seq": 1,
            }
        ],
    }


def _bybit_balance(state: PrivateState, _key: ApiKey, _request: web.Request):
    upnl = state.position_qty * (state.mark - state.entry)
    im = abs(state.position_qty) * state.entry / state.leverage
    w = state.wallet_usdt
    return {
        "list": [
            {
                "accountType": "UNIFIED",
                "totalEquity": str(w + upnl),
                "totalWalletBalance": str(w),
                "totalMarginBalance": str(w + upnl),
                "totalAvailableBalance": str(w + upnl - im),
                "totalPerpUPL": str(upnl),
                "totalInitialMargin": str(im),
                "totalMaintenanceMargin": str(abs(state.position_qty) * state.entry * 0.005),
                "coin": [
                    {
                        "coin": "USDT",
                        "equity": str(w + upnl),
                        "usdValue": str(w + upnl),
                        "walletBalance": str(w),
                        "unrealisedPnl": str(upnl),
                        "locked": "0",
                        "totalPositionIM": str(im),
                        "totalPositionMM": str(abs(state.position_qty) * state.entry * 0.005),
                        "totalOrderIM": "0",
                        "availableToWithdraw": str(w + upnl - im),
                        "borrowAmount": "0",
                        "cumRealisedPnl": "0",
                    }
                ],
            }
        ]
    }


def _bybit_query_api(_state: PrivateState, key: ApiKey, _request: web.Request):
    return {
        "id": "1",
        "note": "cascade",
        "apiKey": key.key,
        "readOnly": 0 if key.can_trade else 1,
        "permissions": {
            "ContractTrade": ["Order", "Position"] if key.can_trade else [],
            "Spot": ["SpotTrade"] if key.can_trade else [],
            "Wallet": ["AccountTransfer", "Withdraw"] if key.can_withdraw else [],
            "Options": [],
            "Derivatives": [],
            "Exchange": [],
            "NFT": [],
        },
        "ips": ["*"],
        "type": 1,
        "unified": 0,
        "uta": 1,
    }


# ------------------------------------------------------------------------------------- public metadata


async def _binance_exchange_info(_request):
    return web.json_response(
        {
            "timezone": "UTC",
            "serverTime": int(time.time() * 1000),
            "futuresType": "U_MARGINED",
            "rateLimits": [],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [
                {
                    "symbol": "BTCUSDT",
                    "pair": "BTCUSDT",
                    "contractType": "PERPETUAL",
                    "deliveryDate": 4133404800000,
                    "onboardDate": 1569398400000,
                    "status": "TRADING",
                    "maintMarginPercent": "2.5000",
                    "requiredMarginPercent": "5.0000",
                    "baseAsset": "BTC",
                    "quoteAsset": "USDT",
                    "marginAsset": "USDT",
                    "pricePrecision": 2,
                    "quantityPrecision": 3,
                    "baseAssetPrecision": 8,
                    "quotePrecision": 8,
                    "underlyingType": "COIN",
                    "underlyingSubType": ["PoW"],
                    "settlePlan": 0,
                    "triggerProtect": "0.0500",
                    "liquidationFee": "0.012500",
                    "marketTakeBound": "0.05",
                    "filters": [
                        {"filterType": "PRICE_FILTER", "minPrice": "556.80", "maxPrice": "4529764", "tickSize": "0.10"},
                        {"filterType": "LOT_SIZE", "stepSize": "0.001", "maxQty": "1000", "minQty": "0.001"},
                        {"filterType": "MARKET_LOT_SIZE", "stepSize": "0.001", "maxQty": "120", "minQty": "0.001"},
                        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                        {"filterType": "MIN_NOTIONAL", "notional": "100"},
                        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
                    ],
                    "orderTypes": ["LIMIT", "MARKET"],
                    "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
                }
            ],
        }
    )


async def _okx_instruments(_request):
    return web.json_response(
        {
            "code": "0",
            "msg": "",
            "data": [
                {
                    "instType": "SWAP",
                    "instId": "BTC-USDT-SWAP",
                    "uly": "BTC-USDT",
                    "instFamily": "BTC-USDT",
                    "baseCcy": "",
                    "quoteCcy": "",
                    "settleCcy": "USDT",
                    "ctValCcy": "BTC",
                    "ctVal": str(OKX_CT_VAL),
                    "ctMult": "1",
                    "ctType": "linear",
                    "lever": "100",
                    "lotSz": "0.01",
                    "minSz": "0.01",
                    "tickSz": "0.1",
                    "state": "live",
                    "listTime": "1573557408000",
                    "expTime": "",
                    "alias": "",
                    "category": "1",
                    "optType": "",
                    "stk": "",
                    "maxLmtSz": "100000000",
                    "maxMktSz": "5000",
                }
            ],
        }
    )


async def _bybit_instruments(request):
    linear = request.query.get("category") == "linear"
    rows = (
        [
            {
                "symbol": "BTCUSDT",
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "settleCoin": "USDT",
                "launchTime": "1585526400000",
                "deliveryTime": "0",
                "deliveryFeeRate": "",
                "priceScale": "2",
                "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
                "priceFilter": {"minPrice": "0.10", "maxPrice": "199999.80", "tickSize": "0.10"},
                "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001", "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
                "unifiedMarginTrade": True,
                "fundingInterval": 480,
                "copyTrading": "both",
            }
        ]
        if linear
        else []
    )
    return web.json_response({"retCode": 0, "retMsg": "OK", "result": {"category": request.query.get("category", ""), "list": rows, "nextPageCursor": ""}, "retExtInfo": {}, "time": int(time.time() * 1000)})


# -------------------------------------------------------------------------------------------- assembly


def _bybit_account_info(state: PrivateState, _key: ApiKey, request: web.Request):
    # Shape of Bybit's docs example (https://bybit-exchange.github.io/docs/v5/account/account-info).
    mode = {"cross": "REGULAR_MARGIN", "isolated": "ISOLATED_MARGIN"}.get(state.margin_mode, "REGULAR_MARGIN")
    return {"marginMode": mode, "updatedTime": str(state.now_ms()), "unifiedMarginStatus": 4 if state.bybit_unified else 1,
            "dcpStatus": "OFF", "timeWindow": 10, "smpGroup": 0, "isMasterTrader": False, "spotHedgingStatus": "OFF"}


def private_routes(state: PrivateState) -> list[web.RouteDef]:
    """The signed routes only (for plugging into the shared FakeExchange)."""
    return [
        web.get("/fapi/v3/positionRisk", _binance_route(state, _binance_positions)),
        web.get("/fapi/v2/positionRisk", _binance_route(state, _binance_positions)),
        web.get("/fapi/v3/account", _binance_route(state, _binance_account)),
        web.get("/fapi/v2/account", _binance_route(state, _binance_account)),
        web.get("/fapi/v1/leverageBracket", _binance_route(state, _binance_brackets)),
        web.get("/sapi/v1/account/apiRestrictions", _binance_route(state, _binance_restrictions)),
        web.get("/api/v5/account/positions", _okx_route(state, _okx_positions)),
        web.get("/api/v5/account/balance", _okx_route(state, _okx_balance)),
        web.get("/api/v5/account/config", _okx_route(state, _okx_config)),
        web.get("/v5/position/list", _bybit_route(state, _bybit_positions)),
        web.get("/v5/account/wallet-balance", _bybit_route(state, _bybit_balance)),
        web.get("/v5/user/query-api", _bybit_route(state, _bybit_query_api)),
        web.get("/v5/account/info", _bybit_route(state, _bybit_account_info)),
    ]


def public_market_routes() -> list[web.RouteDef]:
    """Just enough public market metadata for ccxt's load_markets (standalone use only)."""
    return [
        web.get("/fapi/v1/exchangeInfo", _binance_exchange_info),
        web.get("/api/v5/public/instruments", _okx_instruments),
        web.get("/v5/market/instruments-info", _bybit_instruments),
    ]


def add_private_routes(app: web.Application, state: PrivateState, with_markets: bool = False) -> None:
    app.add_routes(private_routes(state) + (public_market_routes() if with_markets else []))


def extra_routes(state: PrivateState):
    """The hook for the shared server: ``FakeExchange(extra_routes=[extra_routes(private_state)])``.
    Its public routes already serve the market metadata ccxt loads, so only the signed routes are added."""

    def add(app: web.Application, _fake_state) -> None:
        add_private_routes(app, state, with_markets=False)

    return add


class PrivateFakeServer:
    """Standalone loopback server with the private routes and market metadata, in a daemon thread."""

    def __init__(self, state: PrivateState) -> None:
        self.state = state
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-private-exchange", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            app = web.Application()
            add_private_routes(app, self.state, with_markets=True)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def start(self) -> "PrivateFakeServer":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake private exchange did not start")
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_overrides(self) -> str:
        """What ``market.accounts`` takes as ``urls_override``: one base URL for every REST host."""
        return self.base_url

    def stop(self) -> None:
        async def cleanup() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> "PrivateFakeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def dumps(obj) -> str:  # small helper for tests that build bodies by hand
    return json.dumps(obj, separators=(",", ":"))
