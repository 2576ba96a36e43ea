"""Liquidations over a recent window: real events where the source has them, the model's estimate otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

import pandas as pd

from cascade_vocab.units import DAY_MS
REAL = "real"
SIMULATED = "simulated"  # the demo's events: exact for its market, never "real"
ESTIMATED = "estimated"


@dataclass(frozen=True)
class LiquidationTotals:
    start_ms: int
    end_ms: int
    long_usd: float
    short_usd: float
    per_exchange: Mapping[str, tuple[float, float, str]]  # exchange -> (long USD, short USD, REAL|SIMULATED|ESTIMATED)

    @property
    def label(self) -> str:
        kinds = {k for _l, _s, k in self.per_exchange.values()}
        return kinds.pop() if len(kinds) == 1 else "mixed"


def _sums(df: pd.DataFrame) -> tuple[float, float]:
    if df is None or len(df) == 0:
        return 0.0, 0.0
    by = df.groupby("side")["notional_usd"].sum()
    return float(by.get("long", 0.0)), float(by.get("short", 0.0))


def recent_liquidations(real: Optional[pd.DataFrame], estimated: Optional[pd.DataFrame], at_ms: int,
                        exchanges: Iterable[str], window_ms: int = DAY_MS,
                        real_exchanges: Optional[Iterable[str]] = None, recorded_kind: str = REAL) -> LiquidationTotals:
    """Totals in ``[at_ms - window_ms, at_ms)`` per exchange.

    An exchange counts as having real events if it is in ``real_exchanges`` (default: those with any
    real row in ``real``); the others use the model's estimated liquidations, labelled so.
    ``recorded_kind``: what the recorded events are (``SIMULATED`` for the demo's).
    """
    start = at_ms - window_ms

    def cut(df):
        if df is None or len(df) == 0:
            return None
        ts = df["ts"]
        return df[(ts >= start) & (ts < at_ms)]

    has_real = set(real_exchanges) if real_exchanges is not None else (
        set(real["exchange"].unique()) if real is not None and len(real) else set())
    r, e = cut(real), cut(estimated)
    per = {}
    tl = ts_ = 0.0
    for ex in exchanges:
        if ex in has_real:
            lo, sh = _sums(None if r is None else r[r["exchange"] == ex])
            kind = recorded_kind
        else:
            lo, sh = _sums(None if e is None else e[e["exchange"] == ex])
            kind = ESTIMATED
        per[ex] = (lo, sh, kind)
        tl += lo
        ts_ += sh
    return LiquidationTotals(start, at_ms, tl, ts_, per)
