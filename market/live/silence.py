"""A liquidation stream that says "ok" while nothing arrives: tell it apart from a quiet market.

Venues acknowledge a subscription and then may never push (Binance's retired unrouted ``/ws`` path
does exactly that). Quiet markets have few liquidations too, so silence alone proves nothing; silence
while the price travelled far does: leveraged positions sit all along the way.

How far is far is the venue's own: from the liquidations it reported over the last days, the number of
events per unit of price travel (the sum of the 1-minute candles' high-low ranges over price). A quiet
span whose travel should have brought at least ``min_expected`` events and brought none is silent: for
a Poisson count with mean 5 that happens by chance with probability e^-5 < 1 %. Before the venue has
reported enough events to know its rate, a plain range threshold stands in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from market.series import MINUTE_MS


@dataclass(frozen=True)
class SilencePolicy:
    quiet_ms: int = 30 * MINUTE_MS  # never silent before this long without an event
    min_expected: float = 5.0  # events the venue's own rate predicts for the quiet span's travel
    min_history_events: int = 30  # events needed before the venue's rate is trusted
    min_move: float = 0.006  # without a known rate: the quiet span's high-low range over price


def travel(candles: pd.DataFrame) -> float:
    """Sum of (high - low) / close over the candles: how far price went, in fractions of itself."""
    if len(candles) == 0:
        return 0.0
    c = candles["close"].to_numpy(float)
    r = (candles["high"].to_numpy(float) - candles["low"].to_numpy(float)) / np.where(c > 0, c, np.nan)
    return float(np.nansum(r))


def event_rate(liquidations: pd.DataFrame, candles: pd.DataFrame, policy: SilencePolicy) -> Optional[float]:
    """Events per unit of travel over the span the venue reported events in, or None with too few events.

    Hours the app was closed count as travel without events, so the rate errs low: fewer silent calls."""
    if len(liquidations) < policy.min_history_events or len(candles) == 0:
        return None
    lo, hi = int(liquidations["ts"].min()), int(liquidations["ts"].max())
    t = travel(candles[(candles["ts"] >= lo) & (candles["ts"] <= hi)])
    return len(liquidations) / t if t > 0 else None


def silence(last_event_ms: Optional[int], listening_since_ms: Optional[int], now_ms: int, candles: pd.DataFrame,
            policy: SilencePolicy, rate: Optional[float] = None) -> Optional[str]:
    """Plain words when the stream has been silent through a move that should have liquidated someone, else None.

    ``candles``: the venue's 1m candles (ts, high, low, close) covering at least the quiet span;
    ``rate``: the venue's events per unit of travel (event_rate), None when not known yet.
    """
    if listening_since_ms is None:
        return None
    since = max(last_event_ms or listening_since_ms, listening_since_ms)
    if now_ms - since < policy.quiet_ms or len(candles) == 0:
        return None
    c = candles[(candles["ts"] >= since) & (candles["ts"] + MINUTE_MS <= now_ms)]
    if len(c) == 0:
        return None
    hi, lo = float(np.nanmax(c["high"].to_numpy(float))), float(np.nanmin(c["low"].to_numpy(float)))
    mid = (hi + lo) / 2
    if not (mid > 0):
        return None
    minutes = int((now_ms - since) // MINUTE_MS)
    moved = f"no liquidations for {minutes} min while price moved {100 * (hi - lo) / mid:.1f} %"
    if rate is not None:
        expected = rate * travel(c)
        return f"{moved} (about {expected:.0f} expected)" if expected >= policy.min_expected else None
    return moved if (hi - lo) / mid >= policy.min_move else None
