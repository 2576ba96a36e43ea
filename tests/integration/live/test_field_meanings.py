"""Fields whose meaning is easy to get wrong, each held against a real payload (tests/fixtures/live/real_payloads.json,
every item with the venue doc or ccxt recording it was copied from in its ``src``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import ccxt
import numpy as np
import pytest

from market.accounts.client import normalize_position, parse_bybit_account_info
from market.live.field_units import bybit_rate
from market.series import per_exchange
from market.source import FEED_OK
from tests.integration.live.conftest import wait_until

REAL = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "live" / "real_payloads.json").read_text())


def _binance_with_ada():
    """ccxt's own binanceusdm parser, with just the one market the docs example is about."""
    ex = ccxt.binanceusdm()
    ex.set_markets([{"id": "ADAUSDT", "symbol": "ADA/USDT:USDT", "base": "ADA", "quote": "USDT", "settle": "USDT",
                     "baseId": "ADA", "quoteId": "USDT", "settleId": "USDT", "type": "swap", "spot": False, "margin": False,
                     "swap": True, "future": False, "option": False, "active": True, "contract": True, "linear": True,
                     "inverse": False, "contractSize": 1.0, "precision": {"amount": 0, "price": 0.0001}, "limits": {}, "info": {}}])
    return ex


def test_binance_leverage_comes_from_the_positions_own_initial_margin():
    ex = _binance_with_ada()
    raw = REAL["private"]["binance/positionRisk_v3"]["body"][0]
    pos = normalize_position("binance", ex.parse_position_risk(raw))
    # docs example: notional 12.314277 at mark, positionInitialMargin 0.61571385 -> 20x
    assert pos.leverage == pytest.approx(20.0, abs=0.01)
    # The same position with a resting order: initialMargin grows by openOrderInitialMargin, leverage must not move.
    busy = dict(raw, openOrderInitialMargin="0.30000000", initialMargin="0.91571385")
    assert normalize_position("binance", ex.parse_position_risk(busy)).leverage == pytest.approx(20.0, abs=0.01)


def test_bybit_account_margin_mode_from_account_info():
    body = REAL["private"]["bybit/account-info"]["body"]
    assert parse_bybit_account_info(body) == "cross"  # REGULAR_MARGIN
    iso = copy.deepcopy(body)
    iso["result"]["marginMode"] = "ISOLATED_MARGIN"
    assert parse_bybit_account_info(iso) == "isolated"
    classic = copy.deepcopy(body)
    classic["result"]["unifiedMarginStatus"] = 1  # a classic account: the position's tradeMode decides
    assert parse_bybit_account_info(classic) is None
    assert parse_bybit_account_info({"retCode": 10005, "result": {}}) is None
    # ccxt 4.5 leaves marginMode None for Bybit; a deprecated tradeMode 0 must not override the account's mode.
    unified = {"symbol": "BTC/USDT:USDT", "contracts": 0.5, "contractSize": 1, "side": "long", "entryPrice": 80000,
               "markPrice": 79000, "marginMode": None, "leverage": 10, "info": {"tradeMode": 0}}
    assert normalize_position("bybit", unified, "isolated").margin_mode == "isolated"
    assert normalize_position("bybit", unified, None).margin_mode == "cross"


def _signed_fake():
    from tests.fake_exchange.private import ApiKey, PrivateFakeServer, PrivateState

    key = ApiKey("fake-key-0123456789", "fake-secret-abcdefghij", "fake-pass-phrase")
    return key, PrivateFakeServer(PrivateState(keys=[key]))


def test_bybit_isolated_position_on_a_unified_account_through_ccxt():
    """The fake's signed routes: tradeMode 0 as on a real unified account; only account/info says isolated."""
    from market import accounts
    from market.credentials import AccountInfo, ApiSecret

    key, server = _signed_fake()
    with server as fx:
        fx.state.margin_mode, fx.state.bybit_unified = "isolated", True
        [pos] = accounts.fetch_positions(AccountInfo("a", "t", "bybit"), ApiSecret(key.key, key.secret, key.passphrase),
                                         fx.url_overrides(), timeout_s=5)
        assert pos.margin_mode == "isolated"
        assert ("GET", "/v5/account/info") in fx.state.requests


def test_binance_leverage_with_resting_orders_through_ccxt():
    from market import accounts
    from market.credentials import AccountInfo, ApiSecret

    key, server = _signed_fake()
    with server as fx:
        fx.state.open_order_margin = 2_000.0  # resting orders' initial margin, in initialMargin but not in the position's
        [pos] = accounts.fetch_positions(AccountInfo("a", "t", "binance"), ApiSecret(key.key, key.secret, key.passphrase),
                                         fx.url_overrides(), timeout_s=5)
        assert pos.leverage == pytest.approx(10.0, rel=0.02)


@pytest.mark.parametrize("mm,im,lev,want", [
    ("0.5", "1", "100.00", 0.005),  # Bybit docs example (inverse): percent
    ("0.005", "0.01", "100.00", 0.005),  # fraction, as linear answers read
    ("0.0056", "0.0116", "86.20", 0.0056),
    ("1", "", "50", 0.01),  # no initial margin: a rate of 1 can only be percent
])
def test_bybit_risk_limit_rates_percent_or_fraction(mm, im, lev, want):
    f = lambda x: float("nan") if x == "" else float(x)  # noqa: E731
    assert bybit_rate(f(mm), f(im), f(lev)) == pytest.approx(want)


def test_bybit_real_risk_limit_payload_through_the_adapter(fake, make_source):
    fake.respond("bybit", "/v5/market/risk-limit", REAL["bybit"]["risk-limit"]["body"], times=None)
    src = make_source(exchanges=("bybit",))
    src.history(src.symbol)
    tiers = src.leverage_tiers()["bybit"]
    assert tiers and tiers[0]["mmr"] == pytest.approx(0.005) and tiers[0]["max_leverage"] == pytest.approx(100)


def test_okx_current_oi_without_oiusd_is_priced_and_funding_still_updates(fake, make_source, store):
    body = copy.deepcopy(REAL["okx"]["open-interest_ccxt2022"]["body"])  # ccxt's 2022 recording: no oiUsd
    body["data"][0]["ts"] = str(fake.now_ms)
    fake.respond("okx", "/api/v5/public/open-interest", body, times=None)
    src = make_source(store=store, exchanges=("okx",))
    src.history(src.symbol)
    oi = per_exchange(store.read(src.symbol).open_interest, "okx")
    now_row = oi[oi["ts"] == fake.now_ms].iloc[0]
    assert now_row["oi_base"] == pytest.approx(21254.19)  # 2125419 contracts x ctVal 0.01
    close = per_exchange(store.read(src.symbol).candles, "okx").sort_values("ts")["close"].iloc[-1]
    assert now_row["oi_usd"] == pytest.approx(21254.19 * close)
    assert {s.feed: s for s in src.feed_states()}["okx:funding"].status == FEED_OK


def test_okx_broken_current_oi_never_skips_the_funding_update(fake, make_source, store):
    fake.respond("okx", "/api/v5/public/open-interest", {"code": "0", "msg": "", "data": [{"instId": "BTC-USDT-SWAP"}]}, times=None)
    src = make_source(store=store, exchanges=("okx",))
    src.history(src.symbol)
    fu = per_exchange(store.read(src.symbol).funding, "okx")
    # the current-period rate (funding-rate endpoint) sits at the next funding time, after now
    assert (fu["ts"] > fake.now_ms).any(), "the funding update was skipped"
    assert np.isfinite(fu["rate"]).all()
