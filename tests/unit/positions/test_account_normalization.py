"""ccxt position/balance dicts -> Cascade's frozen Position/Balance (the pieces the fake can't vary)."""

from __future__ import annotations

import dataclasses

import pytest

from market import accounts


def test_empty_position_is_dropped_and_units_are_base():
    assert accounts.normalize_position("okx", {"contracts": 0, "contractSize": 0.01}) is None
    p = accounts.normalize_position(
        "okx",
        {"symbol": "BTC/USDT:USDT", "contracts": 30, "contractSize": 0.01, "side": "short", "entryPrice": 80_000,
         "markPrice": 81_000, "liquidationPrice": 0, "leverage": None, "initialMargin": 1_215, "notional": None,
         "marginMode": "cross", "unrealizedPnl": -300},
    )
    assert p.qty_base == pytest.approx(0.3) and p.side == "short"
    assert p.notional_usd == pytest.approx(24_300) and p.leverage == pytest.approx(20)  # notional / initial margin
    assert p.liquidation_price is None  # 0 means "none" at the exchanges
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.qty_base = 1  # type: ignore[misc]


def test_balance_falls_back_to_unified_fields():
    b = accounts.normalize_balance("binance", {"info": {}, "USDT": {"free": 5.0, "used": 1.0, "total": 6.0}})
    assert (b.wallet, b.available, b.equity) == (6.0, 5.0, None)


def test_connection_result_warning_text():
    assert accounts.ConnectionResult("accepted", "ok", False, False).warning is None
    assert accounts.ConnectionResult("accepted", "ok", None, None).warning is None
    assert "withdraw" in accounts.ConnectionResult("accepted", "ok", False, True).warning
