"""Positions of a Hyperliquid wallet, read from its public address: no key, nothing secret.

Hyperliquid's clearinghouse state is public per address (POST /info ``{"type": "clearinghouseState",
"user": "0x…"}``, docs: for-developers/api/info-endpoint/perpetuals, "Retrieve user's perpetuals account
summary"). The address is kept in the settings like any other preference, never in the keyring.

Each position's liquidation price is computed with Hyperliquid's published formula
(``analytics.liqprice.hyperliquid_liq_price``) from the state's own numbers, at the mark price:
- isolated: ``marginUsed`` is the position's margin with its PnL at mark (rawUsd + szi × mark);
- cross: the cross account value with the other cross positions' maintenance margin held aside.
The maintenance rate is 1 / (2 × the coin's max leverage), the state's ``maxLeverage``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Mapping, Optional

from analytics.liqprice import hyperliquid_liq_price
from market.accounts.model import Balance, Position
from market.accounts.scrub import AccountError

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
DEFAULT_TIMEOUT_S = 10.0
VENUE = "hyperliquid"


def check_address(text: str) -> str:
    """The address, trimmed; ValueError with one plain sentence when it is not a wallet address."""
    address = (text or "").strip()
    if not ADDRESS.match(address):
        raise ValueError("a Hyperliquid wallet address is 0x followed by 40 hexadecimal digits")
    return address


def _f(x: Any) -> Optional[float]:
    try:
        return None if x is None or x == "" else float(x)
    except (TypeError, ValueError):
        return None


def parse_state(state: Mapping[str, Any]) -> tuple[list[Position], Balance]:
    """A clearinghouseState body -> positions (liquidation prices by the published formula) and the balance."""
    if not isinstance(state, Mapping):
        raise AccountError("error", "hyperliquid: unexpected answer to clearinghouseState")
    cross = state.get("crossMarginSummary") or {}
    cross_value = _f(cross.get("accountValue")) or 0.0
    cross_mm = _f(state.get("crossMaintenanceMarginUsed")) or 0.0
    positions: list[Position] = []
    for entry in state.get("assetPositions") or []:
        p = (entry or {}).get("position") or {}
        szi = _f(p.get("szi")) or 0.0
        if szi == 0:
            continue
        qty = abs(szi)
        side = 1 if szi > 0 else -1
        value = _f(p.get("positionValue")) or 0.0
        mark = value / qty if value else None
        entry_px = _f(p.get("entryPx")) or 0.0
        lev = p.get("leverage") or {}
        mode = "isolated" if lev.get("type") == "isolated" else "cross"
        max_lev = _f(p.get("maxLeverage"))
        liq = None
        if mark and max_lev:
            mmr = 1.0 / (2.0 * max_lev)
            if mode == "isolated":
                margin, others = _f(p.get("marginUsed")) or 0.0, 0.0
            else:
                margin, others = cross_value, max(cross_mm - value * mmr, 0.0)
            liq = hyperliquid_liq_price(side, qty, mark, margin, mmr, 0.0, other_mm=others) or None
        coin = str(p.get("coin") or "")
        positions.append(Position(
            exchange=VENUE, symbol=f"{coin}/USDC:USDC", side="long" if side > 0 else "short", qty_base=qty,
            entry_price=entry_px, mark_price=mark, liquidation_price=liq, leverage=_f(lev.get("value")),
            margin_mode=mode, unrealized_pnl=_f(p.get("unrealizedPnl")), notional_usd=value,
        ))
    summary = state.get("marginSummary") or {}
    equity = _f(summary.get("accountValue"))
    pnl = sum(p.unrealized_pnl or 0.0 for p in positions)
    wallet = (equity - pnl) if equity is not None else 0.0
    return positions, Balance(VENUE, "USDC", wallet, equity, _f(state.get("withdrawable")))


def _point(ex, urls_override: Any) -> None:
    rest = None
    if isinstance(urls_override, Mapping):
        entry = urls_override.get(VENUE)
        rest = entry.get("rest") if isinstance(entry, Mapping) else entry
    elif isinstance(urls_override, str):
        rest = urls_override
    if rest:
        ex.urls["api"]["public"] = str(rest).rstrip("/")
        ex.urls["api"]["private"] = str(rest).rstrip("/")


async def fetch_async(address: str, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[list[Position], Balance]:
    import ccxt
    import ccxt.async_support as ccxt_async

    try:
        address = check_address(address)
    except ValueError as exc:
        raise AccountError("error", f"hyperliquid: {exc}") from None
    ex = ccxt_async.hyperliquid({"enableRateLimit": True, "timeout": int(timeout_s * 1000)})
    _point(ex, urls_override)
    failure: Optional[AccountError] = None
    state = None
    try:
        state = await ex.publicPostInfo({"type": "clearinghouseState", "user": address})
    except (ccxt.RequestTimeout, asyncio.TimeoutError, TimeoutError):
        failure = AccountError("timeout", "hyperliquid: the exchange did not answer in time")
    except ccxt.NetworkError:
        failure = AccountError("error", "hyperliquid: the exchange could not be reached (network error)")
    except Exception as exc:  # ccxt's errors quote the request: say only what kind it was
        failure = AccountError("error", f"hyperliquid: unexpected answer from the exchange ({type(exc).__name__})")
    finally:
        try:
            await ex.close()
        except Exception:
            pass
    if failure is not None:
        raise failure
    return parse_state(state)  # type: ignore[arg-type]


def fetch(address: str, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[list[Position], Balance]:
    """The wallet's open perpetual positions and its USDC balance (blocking). Raises AccountError."""
    return asyncio.run(fetch_async(address, urls_override, timeout_s))
