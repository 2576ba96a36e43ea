"""The private routes plugged into the shared FakeExchange (public markets from the live-markets fake,
signed routes from tests/fake_exchange/private.py), with LiveSource's url_overrides shape."""

from __future__ import annotations

import pytest

from market import accounts
from market.credentials import AccountInfo, ApiSecret
from tests.fake_exchange.private import ApiKey, PrivateState, extra_routes

fake_exchange = pytest.importorskip("tests.fake_exchange.server", reason="the shared fake exchange is not available")

KEY = ApiKey("shared-key-0123456789", "shared-secret-abcdefg", "shared-pass")


@pytest.fixture(scope="module")
def shared():
    state = PrivateState(keys=[KEY])
    with fake_exchange.FakeExchange(hours=1, extra_routes=[extra_routes(state)]) as fx:
        yield fx, state


@pytest.mark.parametrize("exchange", ["binance", "okx", "bybit"])
def test_positions_and_balance_through_the_shared_server(shared, exchange):
    fx, state = shared
    account = AccountInfo("shared", "shared", exchange)
    secret = ApiSecret(KEY.key, KEY.secret, KEY.passphrase)
    assert accounts.test_connection(account, secret, fx.url_overrides(), timeout_s=5).status == "accepted"
    [pos] = accounts.fetch_positions(account, secret, fx.url_overrides(), timeout_s=5)
    assert pos.symbol == "BTC/USDT:USDT" and pos.qty_base == pytest.approx(0.5) and pos.side == "long"
    assert accounts.fetch_balance(account, secret, fx.url_overrides(), timeout_s=5).wallet == 10_000
    bad = accounts.test_connection(account, ApiSecret(KEY.key, "wrong-secret", KEY.passphrase), fx.url_overrides(), timeout_s=5)
    assert bad.status == "rejected_key"
