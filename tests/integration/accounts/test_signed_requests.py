"""Private clients against the fake exchange over real HTTP on 127.0.0.1: each request must be signed
exactly as the exchange specifies, or the fake answers with the exchange's own error code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from market import accounts
from market.credentials import AccountInfo, ApiSecret
from tests.fake_exchange.private import ApiKey, PrivateFakeServer, PrivateState

KEY = ApiKey("fake-key-0123456789", "fake-secret-abcdefghij", "fake-pass-phrase")
TRADER = ApiKey("trade-key-0123456789", "trade-secret-abcdefgh", "trade-pass", can_trade=True, can_withdraw=True)
GOOD = ApiSecret(KEY.key, KEY.secret, KEY.passphrase)
EXCHANGES = ("binance", "okx", "bybit")


@pytest.fixture(scope="module")
def server():
    state = PrivateState(keys=[KEY, TRADER])
    with PrivateFakeServer(state) as srv:
        yield srv


@pytest.fixture
def fake(server):
    s = server.state
    yield server
    s.ip_whitelisted, s.clock_offset_ms, s.delay_s = True, 0, 0.0
    s.position_qty, s.liquidation, s.margin_mode = 0.5, 72_140.5, "cross"
    s.requests.clear()


def acct(exchange: str) -> AccountInfo:
    return AccountInfo("acct1", "test", exchange)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_correct_signature_gets_positions_and_balance(fake, exchange):
    res = accounts.test_connection(acct(exchange), GOOD, fake.url_overrides(), timeout_s=5)
    assert res.status == "accepted" and res.ok
    assert (res.can_trade, res.can_withdraw) == (False, False) and res.warning is None
    [pos] = accounts.fetch_positions(acct(exchange), GOOD, fake.url_overrides(), timeout_s=5)
    assert pos.exchange == exchange and pos.symbol == "BTC/USDT:USDT" and pos.side == "long"
    assert pos.qty_base == pytest.approx(0.5)  # OKX: 50 contracts × 0.01 BTC
    assert (pos.entry_price, pos.mark_price, pos.liquidation_price) == (80_000, 79_000, 72_140.5)
    assert pos.leverage == pytest.approx(10) and pos.margin_mode == "cross"
    assert pos.unrealized_pnl == pytest.approx(-500) and pos.notional_usd == pytest.approx(39_500)
    bal = accounts.fetch_balance(acct(exchange), GOOD, fake.url_overrides(), timeout_s=5)
    assert (bal.currency, bal.wallet, bal.equity) == ("USDT", 10_000, 9_500)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_short_isolated_position_is_normalized(fake, exchange):
    fake.state.position_qty, fake.state.liquidation, fake.state.margin_mode = -0.25, 87_500.0, "isolated"
    [pos] = accounts.fetch_positions(acct(exchange), GOOD, fake.url_overrides(), timeout_s=5)
    assert (pos.side, pos.margin_mode) == ("short", "isolated")
    assert pos.qty_base == pytest.approx(0.25) and pos.liquidation_price == 87_500.0
    assert pos.unrealized_pnl == pytest.approx(250.0) and pos.notional_usd == pytest.approx(0.25 * 79_000)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_wrong_secret_is_rejected_key(fake, exchange):
    bad = ApiSecret(KEY.key, "not-the-secret-xyz", KEY.passphrase)
    res = accounts.test_connection(acct(exchange), bad, fake.url_overrides(), timeout_s=5)
    assert res.status == "rejected_key"
    assert "secret does not belong" in res.message
    with pytest.raises(accounts.AccountError) as info:
        accounts.fetch_positions(acct(exchange), bad, fake.url_overrides(), timeout_s=5)
    assert info.value.status == "rejected_key"
    assert info.value.__context__ is None and info.value.__cause__ is None


@pytest.mark.parametrize("exchange, code", [("binance", "-2015"), ("okx", "50111"), ("bybit", "10003")])
def test_unknown_key_is_rejected_key(fake, exchange, code):
    res = accounts.test_connection(acct(exchange), ApiSecret("unknown-key-123456", KEY.secret, KEY.passphrase), fake.url_overrides(), timeout_s=5)
    assert res.status == "rejected_key" and f"[code {code}]" in res.message


def test_okx_wrong_passphrase(fake):
    res = accounts.test_connection(acct("okx"), ApiSecret(KEY.key, KEY.secret, "wrong-pass"), fake.url_overrides(), timeout_s=5)
    assert res.status == "wrong_passphrase" and "50105" in res.message


@pytest.mark.parametrize("exchange, code", [("binance", "-1021"), ("okx", "50102"), ("bybit", "10002")])
def test_clock_skew(fake, exchange, code):
    fake.state.clock_offset_ms = 120_000  # the exchange is two minutes ahead of us
    res = accounts.test_connection(acct(exchange), GOOD, fake.url_overrides(), timeout_s=5)
    assert res.status == "clock_skew" and code in res.message and "clock" in res.message


@pytest.mark.parametrize("exchange, status", [("binance", "rejected_key"), ("okx", "ip_not_whitelisted"), ("bybit", "ip_not_whitelisted")])
def test_ip_not_whitelisted(fake, exchange, status):
    fake.state.ip_whitelisted = False
    res = accounts.test_connection(acct(exchange), GOOD, fake.url_overrides(), timeout_s=5)
    # Binance answers -2015 for a wrong key and an IP outside the whitelist alike: the message says both.
    assert res.status == status and "IP" in res.message


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_timeout(fake, exchange):
    fake.state.delay_s = 1.0
    res = accounts.test_connection(acct(exchange), GOOD, fake.url_overrides(), timeout_s=0.3)
    assert res.status == "timeout"
    with pytest.raises(accounts.AccountError) as info:
        accounts.fetch_balance(acct(exchange), GOOD, fake.url_overrides(), timeout_s=0.3)
    assert info.value.status == "timeout"


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_trading_key_gets_a_read_only_recommendation(fake, exchange):
    res = accounts.test_connection(acct(exchange), ApiSecret(TRADER.key, TRADER.secret, TRADER.passphrase), fake.url_overrides(), timeout_s=5)
    assert res.status == "accepted" and res.can_trade is True and res.can_withdraw is True
    assert "read-only key" in res.message and "trade and withdraw" in res.message


def test_binance_live_brackets_feed_the_liquidation_formula(fake):
    from analytics.liqprice import liquidation_price, maintenance_amounts

    table = accounts.fetch_brackets(acct("binance"), GOOD, "BTC/USDT:USDT", fake.url_overrides(), timeout_s=5)
    assert [b.cap for b in table] == [50_000, 250_000, 1_000_000, 10_000_000]
    assert [b.cum for b in table] == pytest.approx(list(maintenance_amounts([b.floor for b in table], [b.mmr for b in table])))
    r = liquidation_price("binance", 1, 4, 65_000, 26_000, brackets=table)
    assert (r.mmr, r.cum) == (0.005, 50)
    with pytest.raises(accounts.AccountError):
        accounts.fetch_brackets(acct("okx"), GOOD, "BTC/USDT:USDT", fake.url_overrides(), timeout_s=5)


def test_binance_restrictions_call_goes_to_the_sapi_path(fake):
    accounts.test_connection(acct("binance"), GOOD, fake.url_overrides(), timeout_s=5)
    assert ("GET", "/sapi/v1/account/apiRestrictions") in fake.state.requests


# --- the fake's verifiers, exercised with hand-signed requests (independent of ccxt) -----------------


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_binance_hand_signed_query_string(fake):
    qs = f"timestamp={int(time.time() * 1000)}&recvWindow=5000"
    sig = hmac.new(KEY.secret.encode(), qs.encode(), hashlib.sha256).hexdigest()
    status, body = _get(f"{fake.base_url}/fapi/v3/positionRisk?{qs}&signature={sig}", {"X-MBX-APIKEY": KEY.key})
    assert status == 200 and body[0]["positionAmt"] == "0.500"
    status, body = _get(f"{fake.base_url}/fapi/v3/positionRisk?{qs}&signature={'0' * 64}", {"X-MBX-APIKEY": KEY.key})
    assert status == 400 and body["code"] == -1022
    status, body = _get(f"{fake.base_url}/fapi/v3/positionRisk?{qs}&signature={sig}", {})
    assert status == 401 and body["code"] == -2014


def test_okx_hand_signed_prehash(fake):
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(timezone.utc).microsecond // 1000:03d}Z"
    path = "/api/v5/account/positions?instType=SWAP"
    sign = base64.b64encode(hmac.new(KEY.secret.encode(), (ts + "GET" + path).encode(), hashlib.sha256).digest()).decode()
    headers = {"OK-ACCESS-KEY": KEY.key, "OK-ACCESS-SIGN": sign, "OK-ACCESS-TIMESTAMP": ts, "OK-ACCESS-PASSPHRASE": KEY.passphrase}
    status, body = _get(fake.base_url + path, headers)
    assert status == 200 and body["code"] == "0" and body["data"][0]["pos"] == "50"
    # the same signature over another path is refused: the request path (with its query) is signed
    status, body = _get(fake.base_url + "/api/v5/account/positions?instType=FUTURES", headers)
    assert status == 401 and body["code"] == "50113"


def test_bybit_hand_signed_v5(fake):
    ts, window, qs = str(int(time.time() * 1000)), "5000", "category=linear&settleCoin=USDT"
    sign = hmac.new(KEY.secret.encode(), f"{ts}{KEY.key}{window}{qs}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-BAPI-API-KEY": KEY.key, "X-BAPI-SIGN": sign, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": window}
    status, body = _get(f"{fake.base_url}/v5/position/list?{qs}", headers)
    assert status == 200 and body["retCode"] == 0 and body["result"]["list"][0]["size"] == "0.5"
    headers["X-BAPI-RECV-WINDOW"] = "6000"  # recv_window is part of the signed string
    status, body = _get(f"{fake.base_url}/v5/position/list?{qs}", headers)
    assert body["retCode"] == 10004


def test_urls_override_forms():
    import asyncio

    import ccxt.async_support as ccxt_async

    from market.accounts.venues import venue

    ex = ccxt_async.binanceusdm()
    accounts.apply_urls_override(ex, venue("binance"), {"binance": "http://127.0.0.1:9"})
    assert ex.urls["api"]["fapiPrivateV3"] == "http://127.0.0.1:9/fapi/v3"
    assert ex.urls["api"]["sapi"] == "http://127.0.0.1:9/sapi/v1"
    accounts.apply_urls_override(ex, venue("binance"), {"fapiPrivate": "http://127.0.0.1:10/fapi/v1"})
    assert ex.urls["api"]["fapiPrivate"] == "http://127.0.0.1:10/fapi/v1"
    assert ex.urls["api"]["fapiPrivateV3"] == "http://127.0.0.1:9/fapi/v3"
    asyncio.run(ex.close())
