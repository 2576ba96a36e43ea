"""What the overlay says about a position: one frozen description per drawn position (no Qt here).

Real positions (``market.accounts.Position``) and what-if positions (``analytics.positions.WhatIfPosition``)
become the same ``OverlayPosition``; the words come from analytics.positions (distance, cluster context).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from analytics.liqprice import canonical_symbol
from analytics.positions import WhatIfPosition, cluster_context, distance_to_liquidation, format_price, format_usd
from market.credentials import AccountInfo
from market.series import EXCHANGE_NAMES

if TYPE_CHECKING:  # importing market.accounts loads asyncio/ssl: not at window start-up
    from market.accounts import Position


@dataclass(frozen=True)
class OverlayPosition:
    key: str  # stable identity across refreshes (account id + symbol + side, or what-if index)
    source: str  # "Binance · main account" or "What-if"
    symbol: str  # canonical, e.g. BTCUSDT
    side: str  # long | short
    qty: float  # base units, positive
    entry: float
    liquidation_price: Optional[float]  # None: the exchange shows none (e.g. fully collateralised)
    leverage: Optional[float]
    margin_mode: Optional[str]
    unrealized_pnl: Optional[float]  # None: computed at the chart's price when drawn
    mark: Optional[float]  # the exchange's mark; None: the chart's last price is used
    what_if: bool
    note: str = ""  # e.g. a what-if whose leverage the bracket does not allow


def base_asset(symbol: str) -> str:
    s = canonical_symbol(symbol)
    for quote in ("USDT", "USDC", "USD"):
        if s.endswith(quote) and len(s) > len(quote):
            return s[: -len(quote)]
    return s


def from_position(account: AccountInfo, p: "Position") -> OverlayPosition:
    venue = EXCHANGE_NAMES.get(account.exchange, account.exchange)
    return OverlayPosition(
        key=f"{account.id}:{canonical_symbol(p.symbol)}:{p.side}",
        source=f"{venue} · {account.label}",
        symbol=canonical_symbol(p.symbol),
        side=p.side,
        qty=abs(p.qty_base),
        entry=p.entry_price,
        liquidation_price=p.liquidation_price if p.liquidation_price and p.liquidation_price > 0 else None,
        leverage=p.leverage,
        margin_mode=p.margin_mode,
        unrealized_pnl=p.unrealized_pnl,
        mark=p.mark_price,
        what_if=False,
    )


def from_what_if(index: int, w: WhatIfPosition) -> OverlayPosition:
    """The liquidation price is analytics' (the exchange's published formula with its brackets)."""
    try:
        liq: Optional[float] = w.liquidation_price()
        note = w.leverage_problem() or ""
    except ValueError as exc:
        liq, note = None, str(exc)
    if liq is not None and not (math.isfinite(liq) and liq > 0):
        liq, note = None, note or "the margin covers the whole position: no liquidation price"
    return OverlayPosition(
        key=f"what-if:{index}",
        source="What-if" + (f" · {w.label}" if w.label else ""),
        symbol=canonical_symbol(w.symbol),
        side=w.side,
        qty=w.qty,
        entry=w.entry,
        liquidation_price=liq,
        leverage=w.leverage,
        margin_mode=w.margin_mode,
        unrealized_pnl=None,
        mark=None,
        what_if=True,
        note=note,
    )


def _qty(q: float) -> str:
    return f"{q:,.4f}".rstrip("0").rstrip(".")


def _signed_usd(v: float) -> str:
    text = format_usd(v) if abs(v) >= 1000 else f"{'-' if v < 0 else ''}${abs(v):,.2f}"
    if v > 0:
        text = "+" + text
    return text.replace("-", "−")


def pnl_at(p: OverlayPosition, price: Optional[float]) -> Optional[float]:
    if p.unrealized_pnl is not None:
        return p.unrealized_pnl
    if price is None or not math.isfinite(price):
        return None
    return (1 if p.side == "long" else -1) * p.qty * (price - p.entry)


def entry_label(p: OverlayPosition) -> str:
    tag = "WHAT-IF " if p.what_if else ""
    lev = f" · {p.leverage:g}x" if p.leverage else ""
    return f"{tag}{p.side.upper()} {_qty(p.qty)} {base_asset(p.symbol)}{lev} @ {format_price(p.entry)}"


def liquidation_label(p: OverlayPosition, price: Optional[float]) -> str:
    if p.liquidation_price is None:
        return "no liquidation price"
    text = f"{'what-if ' if p.what_if else ''}liq {format_price(p.liquidation_price)}"
    dist = distance(p, price)
    if dist is not None:
        text += f" · {dist[0]:.1f}% / {format_usd(dist[1])} away".replace("-", "−")
    return text


def distance(p: OverlayPosition, price: Optional[float]) -> Optional[tuple[float, float]]:
    mark = p.mark if p.mark else price
    if mark is None:
        return None
    return distance_to_liquidation(p, float(mark))


def summary(p: OverlayPosition, price: Optional[float], liq_map=None) -> tuple[str, Optional[str]]:
    """(the position in one line, the cluster sentence or None) for the card on the price chart."""
    parts = [f"{p.source}: {p.side.upper()} {_qty(p.qty)} {base_asset(p.symbol)} @ {format_price(p.entry)}"]
    lev = " ".join(x for x in ((f"{p.leverage:g}x" if p.leverage else ""), p.margin_mode or "") if x)
    if lev:
        parts.append(lev)
    pnl = pnl_at(p, p.mark or price)
    if pnl is not None:
        parts.append(f"uPnL {_signed_usd(pnl)}")
    if p.liquidation_price is not None:
        dist = distance(p, price)
        liq = f"liq {format_price(p.liquidation_price)}"
        if dist is not None:
            liq += f" ({dist[0]:.1f}% / {format_usd(dist[1])} away)".replace("-", "−")
        parts.append(liq)
    else:
        parts.append("no liquidation price")
    line = " · ".join(parts)
    if p.note:
        line += f" — {p.note}"
    context = None
    if liq_map is not None and p.liquidation_price is not None and len(getattr(liq_map, "long_usd", ())):
        try:
            context = cluster_context(p.liquidation_price, p.side, liq_map.bin_edges, liq_map.long_usd, liq_map.short_usd)
        except ValueError:
            context = None
    return line, context
