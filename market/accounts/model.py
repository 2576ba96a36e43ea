"""Normalized results of the private (signed) exchange calls. Frozen: handed across threads as is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConnectionStatus = Literal["accepted", "rejected_key", "wrong_passphrase", "ip_not_whitelisted", "clock_skew", "timeout", "error"]


@dataclass(frozen=True)
class ConnectionResult:
    status: ConnectionStatus
    message: str  # one plain sentence for the user; never contains a secret
    can_trade: bool | None = None  # None: the exchange does not tell
    can_withdraw: bool | None = None

    @property
    def ok(self) -> bool:
        return self.status == "accepted"

    @property
    def warning(self) -> str | None:
        """A recommendation when the key can do more than read."""
        powers = [p for p, yes in (("trade", self.can_trade), ("withdraw", self.can_withdraw)) if yes]
        if not powers:
            return None
        return f"This key can {' and '.join(powers)}. Cascade only reads: create a read-only key instead."


@dataclass(frozen=True)
class Position:
    exchange: str  # binance | okx | bybit
    symbol: str  # unified, e.g. BTC/USDT:USDT
    side: str  # long | short
    qty_base: float  # contracts × contractSize, always positive
    entry_price: float
    mark_price: float | None
    liquidation_price: float | None
    leverage: float | None
    margin_mode: str | None  # cross | isolated
    unrealized_pnl: float | None
    notional_usd: float


@dataclass(frozen=True)
class Balance:
    exchange: str
    currency: str  # USDT
    wallet: float  # wallet balance (cash, without unrealized PnL)
    equity: float | None  # wallet + unrealized PnL where the exchange tells
    available: float | None
