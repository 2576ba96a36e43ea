"""Open interest per exchange, in base and USD, and its change over windows ("up 30% since October")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np
import pandas as pd

from cascade_vocab.units import HOUR_MS, DAY_MS
WINDOWS_MS: Mapping[str, int] = {"1h": HOUR_MS, "24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}


@dataclass(frozen=True)
class OpenInterest:
    """One exchange's OI as of ``at_ms`` (last measurement at or before it) and its % change per window.

    A change is None where no measurement exists at or before the window's start (never guessed).
    Changes are of the base amount (contracts), so price moves do not count as OI growth.
    """

    exchange: str
    ts: int  # when the value was measured
    base: float
    usd: float
    change_pct: Mapping[str, Optional[float]] = field(default_factory=dict)
    since_ms: Optional[int] = None
    change_since_pct: Optional[float] = None


def _asof(ts: np.ndarray, values: np.ndarray, at: int) -> tuple[Optional[int], float]:
    k = int(np.searchsorted(ts, at, side="right")) - 1
    return (None, float("nan")) if k < 0 else (int(ts[k]), float(values[k]))


def change_pct(before: float, after: float) -> Optional[float]:
    if not (np.isfinite(before) and np.isfinite(after)) or before <= 0:
        return None
    return (after / before - 1.0) * 100.0


def open_interest_at(open_interest: pd.DataFrame, at_ms: int, since_ms: Optional[int] = None,
                     windows: Mapping[str, int] = WINDOWS_MS) -> dict[str, OpenInterest]:
    """Per exchange with a measurement at or before ``at_ms``: its OI and changes (``open_interest`` in
    market.series' OI columns)."""
    out: dict[str, OpenInterest] = {}
    if open_interest is None or len(open_interest) == 0:
        return out
    for name, part in open_interest.groupby("exchange", sort=False):
        part = part.sort_values("ts", kind="stable")
        part = part[np.isfinite(part["oi_base"].to_numpy(dtype=float))]
        ts = part["ts"].to_numpy(np.int64)
        base = part["oi_base"].to_numpy(float)
        usd = part["oi_usd"].to_numpy(float)
        t, now = _asof(ts, base, at_ms)
        if t is None:
            continue
        _t, now_usd = _asof(ts, usd, at_ms)
        changes = {w: change_pct(_asof(ts, base, at_ms - span)[1], now) for w, span in windows.items()}
        since = change_pct(_asof(ts, base, since_ms)[1], now) if since_ms is not None else None
        out[str(name)] = OpenInterest(str(name), t, now, now_usd, changes, since_ms, since)
    return out


def total_open_interest(per_exchange: Mapping[str, OpenInterest]) -> tuple[float, float]:
    """(base, usd) summed over exchanges (NaN USD counts as missing)."""
    base = sum(o.base for o in per_exchange.values())
    usd = sum(o.usd for o in per_exchange.values() if np.isfinite(o.usd))
    return float(base), float(usd)
