"""Position maths for the personal overlay: what-if positions, distance to liquidation, and where a
liquidation price sits among the estimated liquidation clusters. Pure: plain numbers and arrays in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from analytics.liqprice import Bracket, LiqResult, bracket_for_notional, brackets_for, liquidation_price
from cascade_vocab.formatting import format_usd

SIDES = {"long": 1, "short": -1}


@dataclass(frozen=True)
class WhatIfPosition:
    """A hypothetical position (no key needed). Isolated: the margin is notional / leverage and the wallet
    is not used. Cross: ``wallet`` is the cross wallet balance (required)."""

    entry: float
    qty: float  # base units (BTC), positive
    leverage: float
    side: str  # long | short
    margin_mode: str = "isolated"  # isolated | cross
    wallet: float | None = None
    exchange: str = "binance"
    symbol: str = "BTCUSDT"
    label: str = ""

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError("side must be long or short")
        if self.margin_mode not in ("isolated", "cross"):
            raise ValueError("margin mode must be isolated or cross")
        for name in ("entry", "qty", "leverage"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number")
        if self.margin_mode == "cross" and (self.wallet is None or not np.isfinite(self.wallet) or self.wallet <= 0):
            raise ValueError("cross margin needs the wallet balance")

    @property
    def notional(self) -> float:
        return self.qty * self.entry

    @property
    def initial_margin(self) -> float:
        return self.notional / self.leverage

    def bracket(self, brackets: tuple[Bracket, ...] | None = None) -> Bracket:
        table = brackets if brackets is not None else brackets_for(self.exchange, self.symbol)
        return bracket_for_notional(self.notional, table)

    def leverage_problem(self, brackets: tuple[Bracket, ...] | None = None) -> str | None:
        """A sentence when the leverage is above what the bracket of this notional allows."""
        b = self.bracket(brackets)
        if self.leverage > b.max_leverage:
            return f"{self.leverage:g}x is above the {b.max_leverage:g}x allowed for a notional of {self.notional:,.0f} USD"
        if self.margin_mode == "cross" and self.wallet is not None and self.wallet < self.initial_margin:
            return f"the wallet ({self.wallet:,.2f}) is below the initial margin ({self.initial_margin:,.2f})"
        return None

    def liquidation(self, brackets: tuple[Bracket, ...] | None = None, other_mm: float = 0.0, other_upnl: float = 0.0) -> LiqResult:
        table = brackets if brackets is not None else brackets_for(self.exchange, self.symbol)
        cross = self.margin_mode == "cross"
        return liquidation_price(
            self.exchange,
            SIDES[self.side],
            self.qty,
            self.entry,
            float(self.wallet) if cross else self.initial_margin,  # type: ignore[arg-type]
            margin_mode=self.margin_mode,
            brackets=table,
            other_mm=other_mm if cross else 0.0,
            other_upnl=other_upnl if cross else 0.0,
        )

    def liquidation_price(self, brackets: tuple[Bracket, ...] | None = None, other_mm: float = 0.0, other_upnl: float = 0.0) -> float:
        return self.liquidation(brackets, other_mm, other_upnl).price


def distance_to_liquidation(position: Any, mark: float) -> tuple[float, float] | None:
    """(percent, dollars) the mark must move against ``position`` to reach its liquidation price.

    ``position`` needs ``side`` and ``liquidation_price`` (a ``market.accounts.Position``, or a what-if
    with the price passed in a small object). Positive = still safe; negative = the mark is already past
    it. Dollars are the price distance (USD per unit). None when there is no liquidation price.
    """
    liq = getattr(position, "liquidation_price", None)
    if callable(liq):
        liq = liq()
    if liq is None or not np.isfinite(liq) or liq <= 0 or not mark > 0:
        return None
    s = SIDES[getattr(position, "side")]
    usd = s * (mark - liq)
    return usd / mark * 100.0, usd



def format_price(price: float) -> str:
    return f"{price:,.0f}" if abs(price) >= 1000 else f"{price:.4g}"


def _clusters(values: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """[lo, hi] index runs where values >= threshold (inclusive)."""
    sig = values >= threshold
    if not sig.any():
        return []
    d = np.diff(np.concatenate([[0], sig.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def cluster_context(
    liq_price: float,
    side: str,
    bin_edges: Sequence[float],
    long_usd: Sequence[float],
    short_usd: Sequence[float],
    min_share: float = 0.25,
) -> str | None:
    """Where a position's liquidation sits relative to the estimated clusters of its own side.

    A long's liquidation is a long liquidation, so it is compared with the long-liquidation notional
    (``long_usd``), a short's with ``short_usd``. A bin is significant when it holds at least
    ``min_share`` of the side's largest bin; a cluster is a run of adjacent significant bins.
    Returns e.g. "your long liquidates at 78,900, inside a $1.1B long-liquidation cluster 78,500–79,200",
    or the nearest cluster ("…, 300 below a $2B long-liquidation cluster 79,200–80,000"), or None when
    the map has nothing significant or the price is off the map.
    """
    if side not in SIDES:
        raise ValueError("side must be long or short")
    edges = np.asarray(bin_edges, dtype=float)
    values = np.nan_to_num(np.asarray(long_usd if side == "long" else short_usd, dtype=float), nan=0.0)
    if len(edges) != len(values) + 1 or len(values) == 0:
        raise ValueError("bin_edges must have one more element than the notional arrays")
    if not np.isfinite(liq_price) or liq_price < edges[0] or liq_price > edges[-1]:
        return None
    top = values.max()
    if top <= 0:
        return None
    runs = _clusters(values, min_share * top)
    i = min(int(np.searchsorted(edges, liq_price, side="right")) - 1, len(values) - 1)
    head = f"your {side} liquidates at {format_price(liq_price)}"

    def describe(lo: int, hi: int) -> str:
        total = float(values[lo : hi + 1].sum())
        return f"a {format_usd(total)} {side}-liquidation cluster {format_price(edges[lo])}–{format_price(edges[hi + 1])}"

    for lo, hi in runs:
        if lo <= i <= hi:
            return f"{head}, inside {describe(lo, hi)}"
    # Not inside: the nearest cluster by price distance to its nearer edge.
    def gap(run: tuple[int, int]) -> float:
        lo, hi = run
        return edges[lo] - liq_price if edges[lo] > liq_price else liq_price - edges[hi + 1]

    lo, hi = min(runs, key=gap)
    where = "below" if edges[lo] > liq_price else "above"
    return f"{head}, {format_price(gap((lo, hi)))} {where} {describe(lo, hi)}"
