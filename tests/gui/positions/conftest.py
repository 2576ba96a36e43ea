"""Fixtures for the positions GUI: an in-memory keyring (a real keyring backend, not discoverable), the
shared FakeExchange with the signed routes on loopback, and account helpers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6 import QtCore

from market.credentials import AccountInfo, ApiSecret, CredentialStore
from tests.fake_exchange import FakeExchange
from tests.fake_exchange.private import ApiKey, PrivateState, extra_routes
from tests.unit.positions.memory_keyring import MemoryKeyring

KEY = ApiKey("gui-key-0123456789ab", "gui-secret-abcdef0123", "gui-pass-42")
TRADING_KEY = ApiKey("gui-trading-key-777777", "gui-trading-secret-888", "gui-trading-pass", can_trade=True, can_withdraw=True)


@dataclass
class PrivateFake:
    fx: FakeExchange
    state: PrivateState

    @property
    def urls(self):
        return self.fx.url_overrides()


@pytest.fixture(scope="module")
def private_fake():
    state = PrivateState(keys=[KEY, TRADING_KEY])
    with FakeExchange(hours=1, extra_routes=[extra_routes(state)]) as fx:
        yield PrivateFake(fx, state)


@pytest.fixture
def fake(private_fake):
    """The module's fake exchange with its account settings reset after each test."""
    s = private_fake.state
    saved = (s.ip_whitelisted, s.clock_offset_ms, s.delay_s, s.entry, s.mark, s.liquidation, s.position_qty, s.leverage, s.margin_mode, s.wallet_usdt)
    yield private_fake
    (s.ip_whitelisted, s.clock_offset_ms, s.delay_s, s.entry, s.mark, s.liquidation, s.position_qty, s.leverage, s.margin_mode, s.wallet_usdt) = saved


@pytest.fixture
def keyring_backend():
    return MemoryKeyring()


@pytest.fixture
def store(keyring_backend):
    return CredentialStore(backend=keyring_backend)


@pytest.fixture
def ini_settings(tmp_path):
    path = tmp_path / "settings" / "positions.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    return QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat), path


def stored_account(store: CredentialStore, exchange: str = "binance", key: ApiKey = KEY, label: str = "main") -> AccountInfo:
    info = AccountInfo.new(label, exchange)
    store.add(info, ApiSecret(key.key, key.secret, key.passphrase if exchange == "okx" else ""))
    return info
