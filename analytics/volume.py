"""Traded volume per exchange: totals over a window, share and rank, and "the lowest month since"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np
import pandas as pd

from cascade_vocab.units import DAY_MS, MINUTE_MS


def _usd(candles: pd.DataFrame) -> np.ndarray:
    """Quote volume where the venue gives it, base volume × close otherwise."""
    q = candles["quote_volume"].to_numpy(float) if "quote_volume" in candles else np.full(len(candles), np.nan)
    est = candles["volume"].to_numpy(float) * candles["close"].to_numpy(float)
    return np.where(np.isfinite(q), q, est)


@dataclass(frozen=True)
class VolumeShare:
    start_ms: int
    end_ms: int
    usd: Mapping[str, float]  # per exchange
    share: Mapping[str, float]  # of the total, 0..1
    rank: tuple[str, ...]  # exchanges by volume, largest first
    covered_days: float  # days of the window with data (less than asked when history is short)


def volume_share(candles: pd.DataFrame, at_ms: int, days: float = 30.0, tf_ms: int = MINUTE_MS) -> Optional[VolumeShare]:
    """USD volume per exchange over the candles closed in ``(at_ms - days, at_ms]``; None without any."""
    start = at_ms - int(days * DAY_MS)
    if candles is None or len(candles) == 0:
        return None
    ts = candles["ts"].to_numpy(np.int64)
    sel = (ts >= start) & (ts + tf_ms <= at_ms)
    part = candles[sel]
    if len(part) == 0:
        return None
    usd = pd.Series(_usd(part), index=part.index).groupby(part["exchange"]).sum()
    total = float(usd.sum())
    rank = tuple(str(e) for e in usd.sort_values(ascending=False, kind="stable").index)
    pts = part["ts"].to_numpy(np.int64)
    covered = (int(pts.max()) + tf_ms - int(pts.min())) / DAY_MS
    return VolumeShare(start, at_ms, {str(k): float(v) for k, v in usd.items()},
                       {str(k): (float(v) / total if total > 0 else 0.0) for k, v in usd.items()}, rank, covered)


def monthly_volume(candles: pd.DataFrame) -> pd.DataFrame:
    """USD volume per calendar month (UTC, index 'YYYY-MM') and exchange, plus a 'total' column."""
    if candles is None or len(candles) == 0:
        return pd.DataFrame()
    month = pd.to_datetime(candles["ts"].to_numpy(np.int64), unit="ms", utc=True).strftime("%Y-%m")
    t = pd.DataFrame({"month": month, "exchange": candles["exchange"].to_numpy(), "usd": _usd(candles)})
    table = t.pivot_table(index="month", columns="exchange", values="usd", aggfunc="sum", fill_value=0.0).sort_index()
    table["total"] = table.sum(axis=1)
    return table


def lowest_since(monthly: pd.DataFrame, month: str, column: str = "total") -> Optional[str]:
    """The latest earlier month with volume at or below ``month``'s: "lowest since <that month>".

    None when ``month`` is the lowest of all earlier months in the table (lowest on record), or unknown.
    """
    if monthly is None or month not in monthly.index or column not in monthly.columns:
        return None
    v = monthly.loc[month, column]
    earlier = monthly.loc[monthly.index < month, column]
    lower = earlier[earlier <= v]
    return str(lower.index[-1]) if len(lower) else None
