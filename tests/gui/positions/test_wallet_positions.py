"""Positions without a key: a Hyperliquid wallet address typed into Settings → Wallet addresses…, its
positions fetched from the fake's public clearinghouseState and drawn at the liquidation price given by
Hyperliquid's published formula. The address lives in QSettings, never in the keyring."""

from __future__ import annotations

import json

import pytest
from PySide6 import QtCore

from analytics.liqprice import hyperliquid_liq_price
from gui.positions import install_positions_ui
from gui.positions.saved import WALLETS_KEY, load_wallets
from market.accounts import hyperliquid_wallet
from tests.fake_exchange.hyperliquid import set_wallet, wallet_state
from tests.fake_exchange.wire import num
from tests.gui.conftest import wait_drawn

ADDRESS = "0x5c902b2eb0e1d9eb9a232014824ae6247df0a480"
LEFT = QtCore.Qt.MouseButton.LeftButton


def _isolated_long(mark: float, entry: float, qty: float, leverage: float, max_leverage: float = 40) -> dict:
    margin = qty * entry / leverage + qty * (mark - entry)  # marginUsed: the isolated margin with its PnL at mark
    liq = hyperliquid_liq_price(1, qty, mark, margin, 1 / (2 * max_leverage))
    return {"coin": "BTC", "cumFunding": {"allTime": "0.0", "sinceChange": "0.0", "sinceOpen": "0.0"},
            "entryPx": num(entry), "leverage": {"rawUsd": num(margin - qty * mark), "type": "isolated", "value": int(leverage)},
            "liquidationPx": num(round(liq, 8)), "marginUsed": num(margin), "maxLeverage": int(max_leverage),
            "positionValue": num(qty * mark), "returnOnEquity": "0.0", "szi": num(qty),
            "unrealizedPnl": num(qty * (mark - entry))}


def test_a_wallet_address_shows_its_positions_with_the_published_liquidation_price(make_window, qtbot, store, keyring_backend, fake):
    win = make_window()
    result = wait_drawn(qtbot, win)
    mark = round(float(result.chart.last_close), 1)
    entry = round(mark * 0.99, 1)
    position = _isolated_long(mark, entry, qty=0.5, leverage=10)
    set_wallet(fake.fx.state, ADDRESS, wallet_state([position], account_value=5_000.0, cross_mm_used=0.0, now_ms=fake.fx.now_ms))
    ctl = install_positions_ui(win, store=store, urls_override=fake.urls, interval_ms=60_000)

    win.actions_by_name["wallets"].trigger()
    dialog = ctl.wallets_dialog
    assert dialog is not None and dialog.exchange.currentData() == "hyperliquid"
    # A malformed address: one plain line in the dialog, nothing saved, nothing fetched.
    qtbot.keyClicks(dialog.address_edit, "0x12345")
    qtbot.mouseClick(dialog.add_button, LEFT)
    assert dialog.message.text().startswith("Not added: a Hyperliquid wallet address is 0x followed by 40")
    assert load_wallets(win.settings) == [] and ctl.wallets == ()

    dialog.address_edit.clear()
    qtbot.keyClicks(dialog.address_edit, ADDRESS)
    qtbot.keyClicks(dialog.label_edit, "whale")
    qtbot.mouseClick(dialog.add_button, LEFT)
    qtbot.waitUntil(lambda: ctl.last_update is not None and bool(ctl.overlay.drawn), timeout=20000)

    [d] = ctl.overlay.drawn
    want = hyperliquid_liq_price(1, 0.5, mark, float(position["marginUsed"]), 1 / 80)
    assert d.position.source == "Hyperliquid · whale" and d.position.side == "long" and d.position.qty == 0.5
    assert d.entry_line.value() == entry and d.liq_line.value() == pytest.approx(want, rel=1e-12)
    assert d.liq_line.value() == pytest.approx(float(position["liquidationPx"]), rel=1e-9)  # what the venue reports
    assert d.map_liq_line.value() == pytest.approx(want, rel=1e-12) and d.entry_line in win.terminal.price.plot.items
    assert "10x isolated" in ctl.overlay.card_text()

    # Public data in the settings; nothing in the keyring.
    saved = json.loads(win.settings.value(WALLETS_KEY))
    assert saved == [{"id": ADDRESS, "label": "whale", "exchange": "hyperliquid"}]
    assert keyring_backend.entries == {}

    # Removing it takes it off the chart.
    dialog.list.setCurrentRow(0)
    qtbot.mouseClick(dialog.remove_button, LEFT)
    assert ctl.overlay.drawn == [] and load_wallets(win.settings) == []


def test_cross_positions_use_the_account_value_and_hold_the_others_maintenance_aside(fake):
    mark, qty = 60_000.0, 2.0
    btc = {"coin": "BTC", "entryPx": "59000", "leverage": {"rawUsd": "0", "type": "cross", "value": 20}, "marginUsed": "6000",
           "maxLeverage": 40, "positionValue": num(qty * mark), "szi": num(-qty), "unrealizedPnl": num(-qty * 1000)}
    other_mm = 300.0  # e.g. an ETH cross position's maintenance margin
    body = wallet_state([btc], account_value=9_000.0, cross_mm_used=qty * mark / 80 + other_mm, now_ms=fake.fx.now_ms)
    set_wallet(fake.fx.state, ADDRESS, body)
    positions, balance = hyperliquid_wallet.fetch(ADDRESS, fake.urls, timeout_s=5)
    [p] = positions
    want = hyperliquid_liq_price(-1, qty, mark, 9_000.0, 1 / 80, other_mm=other_mm)
    assert p.side == "short" and p.margin_mode == "cross" and p.liquidation_price == pytest.approx(want, rel=1e-12)
    # At that price the account's equity meets the maintenance margin of every cross position.
    equity = 9_000.0 - qty * (p.liquidation_price - mark)
    assert equity == pytest.approx(qty * p.liquidation_price / 80 + other_mm, rel=1e-9)
    assert balance.currency == "USDC" and balance.equity == 9_000.0


def test_an_unknown_address_has_no_positions_and_a_bad_one_is_refused_before_any_request(fake):
    before = fake.fx.route_counts().get("hyperliquid /info", 0)
    positions, balance = hyperliquid_wallet.fetch("0x" + "ab" * 20, fake.urls, timeout_s=5)
    assert positions == [] and balance.equity == 0.0
    with pytest.raises(hyperliquid_wallet.AccountError, match="0x followed by 40 hexadecimal digits"):
        hyperliquid_wallet.fetch("not-an-address", fake.urls, timeout_s=5)
    assert fake.fx.route_counts().get("hyperliquid /info", 0) == before + 1
