"""Long/short imbalance: how much is liquidated on a move to a target, and where the big clusters are.

Works on a ``LiquidationMap`` at its bin resolution: a bin counts as "at or before the target" when its
centre is. Shorts at risk on a rise to ``up``: short levels in ``(price, up]``; longs at risk on a fall
to ``down``: long levels in ``[down, price)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from analytics.levels import LiquidationMap

DEFAULT_MOVE = 0.10  # targets at ±10% unless given
CLUSTER_FACTOR = 3.0  # a bin is a "large cluster" at this many times the mean of the side's non-empty bins


@dataclass(frozen=True)
class Cluster:
    side: str  # "long" | "short"
    price: float  # bin centre
    notional_usd: float


@dataclass(frozen=True)
class Imbalance:
    price: float
    up: float
    down: float
    shorts_at_risk_usd: float  # liquidated on a rise to ``up``
    longs_at_risk_usd: float  # liquidated on a fall to ``down``
    ratio: Optional[float]  # shorts / longs; None when no longs are at risk
    cluster_above: Optional[Cluster]  # nearest large short cluster above price
    cluster_below: Optional[Cluster]  # nearest large long cluster below price

    @property
    def up_pct(self) -> float:
        return (self.up / self.price - 1.0) * 100.0

    @property
    def down_pct(self) -> float:
        return (self.down / self.price - 1.0) * 100.0


def shorts_at_risk(m: LiquidationMap, up: float, price: float | None = None) -> float:
    """USD of short levels with price < level <= up (bin centres)."""
    p = m.price if price is None else price
    c = m.prices
    return float(m.short_usd[(c > p) & (c <= up)].sum())


def longs_at_risk(m: LiquidationMap, down: float, price: float | None = None) -> float:
    """USD of long levels with down <= level < price (bin centres)."""
    p = m.price if price is None else price
    c = m.prices
    return float(m.long_usd[(c < p) & (c >= down)].sum())


def large_clusters(m: LiquidationMap, side: str, factor: float = CLUSTER_FACTOR) -> list[Cluster]:
    """Bins of one side holding at least ``factor`` × the mean of that side's non-empty bins, by price."""
    values = m.long_usd if side == "long" else m.short_usd
    nz = values[values > 0]
    if len(nz) == 0:
        return []
    big = np.flatnonzero(values >= factor * nz.mean())
    return [Cluster(side, float(m.prices[b]), float(values[b])) for b in big]


def nearest_clusters(m: LiquidationMap, factor: float = CLUSTER_FACTOR) -> tuple[Optional[Cluster], Optional[Cluster]]:
    """(nearest large short cluster above price, nearest large long cluster below price)."""
    above = [c for c in large_clusters(m, "short", factor) if c.price > m.price]
    below = [c for c in large_clusters(m, "long", factor) if c.price < m.price]
    return (min(above, key=lambda c: c.price) if above else None,
            max(below, key=lambda c: c.price) if below else None)


def default_targets(m: LiquidationMap, move: float = DEFAULT_MOVE, snap: bool = False) -> tuple[float, float]:
    """(up, down) at ``price × (1 ± move)``; with ``snap``, at the largest cluster within that move instead
    (the upper edge of the largest short bin above, the lower edge of the largest long bin below)."""
    p = m.price
    up, down = p * (1.0 + move), p * (1.0 - move)
    if snap:
        c = m.prices
        above = np.flatnonzero((c > p) & (c <= up) & (m.short_usd > 0))
        below = np.flatnonzero((c < p) & (c >= down) & (m.long_usd > 0))
        if len(above):
            b = above[np.argmax(m.short_usd[above])]
            up = float(m.bin_edges[b + 1])
        if len(below):
            b = below[np.argmax(m.long_usd[below])]
            down = float(m.bin_edges[b])
    return up, down


def imbalance(m: LiquidationMap, up: float | None = None, down: float | None = None, move: float = DEFAULT_MOVE,
              snap: bool = False, factor: float = CLUSTER_FACTOR) -> Imbalance:
    """The imbalance at the map's price; missing targets default to ±``move`` (or snapped clusters)."""
    if not math.isfinite(m.price):
        raise ValueError("the map has no price (no candles before its time)")
    du, dd = default_targets(m, move, snap)
    up = du if up is None else float(up)
    down = dd if down is None else float(down)
    shorts = shorts_at_risk(m, up)
    longs = longs_at_risk(m, down)
    above, below = nearest_clusters(m, factor)
    return Imbalance(price=m.price, up=up, down=down, shorts_at_risk_usd=shorts, longs_at_risk_usd=longs,
                     ratio=(shorts / longs) if longs > 0 else None, cluster_above=above, cluster_below=below)
