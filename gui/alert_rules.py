"""Alert rules over the liquidation map (no Qt): "price within X % of a cluster over $N" and "cluster swept".

A rule fires once per cluster and is re-armed when its condition clears, so a trader is not spammed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from analytics.levels import LiquidationMap

NEAR = "near"
SWEPT = "swept"
SWEPT_LEFT = 0.2  # a cluster is swept when less than this share of it is left and price went through it


@dataclass(frozen=True)
class AlertRule:
    kind: str  # NEAR | SWEPT
    min_usd: float  # clusters at least this large (USD in one price bin)
    within_pct: float = 1.0  # NEAR: distance from the price

    def describe(self) -> str:
        from cascade_vocab.formatting import format_compact

        if self.kind == NEAR:
            return f"Price within {self.within_pct:g}% of a cluster over ${format_compact(self.min_usd)}"
        return f"A cluster over ${format_compact(self.min_usd)} is swept"


@dataclass(frozen=True)
class Alert:
    rule: AlertRule
    at_ms: int
    message: str
    key: tuple


@dataclass
class AlertState:
    """Which (rule, side, bin) alerts are active (fired and not yet cleared)."""

    active: set = field(default_factory=set)


def _price(p: float) -> str:
    return f"{p:,.0f}" if p >= 1000 else f"{p:,.2f}"


def _clusters(m: LiquidationMap, min_usd: float) -> list[tuple[str, int, float, float]]:
    out = []
    for side, values in (("long", m.long_usd), ("short", m.short_usd)):
        for b in np.flatnonzero(values >= min_usd):
            out.append((side, int(b), float(m.prices[b]), float(values[b])))
    return out


def evaluate(rules: list[AlertRule], m: LiquidationMap, previous: Optional[LiquidationMap], state: AlertState) -> list[Alert]:
    """New alerts for map ``m`` (``previous`` = the map of the last evaluation, for sweeps)."""
    from cascade_vocab.formatting import format_compact

    fired: list[Alert] = []
    now_true: set = set()
    for rule in rules:
        if rule.kind == NEAR:
            for side, b, price, usd in _clusters(m, rule.min_usd):
                if abs(price / m.price - 1.0) * 100.0 <= rule.within_pct:
                    key = (rule, side, b)
                    now_true.add(key)
                    if key not in state.active:
                        who = "shorts" if side == "short" else "longs"
                        fired.append(Alert(rule, m.at_ms, f"Price {_price(m.price)} is within {abs(price / m.price - 1) * 100:.1f}% of ${format_compact(usd)} {who} at {_price(price)}", key))
        elif rule.kind == SWEPT and previous is not None and np.array_equal(previous.bin_edges, m.bin_edges):
            for side, b, price, usd in _clusters(previous, rule.min_usd):
                left = (m.long_usd if side == "long" else m.short_usd)[b]
                crossed = (m.price <= price) if side == "long" else (m.price >= price)
                if left < SWEPT_LEFT * usd and crossed:
                    key = (rule, side, b)
                    now_true.add(key)
                    if key not in state.active:
                        who = "longs" if side == "long" else "shorts"
                        fired.append(Alert(rule, m.at_ms, f"Cluster swept: ${format_compact(usd - left)} {who} at {_price(price)}", key))
    state.active = {k for k in state.active if k in now_true} | {a.key for a in fired}
    return fired
