"""A liquidation stream that says "ok" while nothing arrives: tell it apart from a quiet market.

Venues acknowledge a subscription and then may never push (Binance's retired unrouted ``/ws`` path
does exactly that). Quiet markets have few liquidations too, so silence alone proves nothing; silence
while the price ranged widely does: leveraged positions sit all along the way, and a venue that reports
liquidations at all reports some of them when price sweeps through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from market.series import MINUTE_MS


@dataclass(frozen=True)
class SilencePolicy:
    quiet_ms: int = 30 * MINUTE_MS  # no liquidation for at least this long...
    min_move: float = 0.006  # ...while the 1m candles' high-low range reached this fraction of price


def silence(last_event_ms: Optional[int], listening_since_ms: Optional[int], now_ms: int, candles: pd.DataFrame,
            policy: SilencePolicy) -> Optional[str]:
    """Plain words when the stream has been silent through a move that should have liquidated someone, else None.

    ``candles``: the venue's 1m candles (ts, high, low) covering at least the quiet span.
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
    if not (mid > 0) or (hi - lo) / mid < policy.min_move:
        return None
    minutes = int((now_ms - since) // MINUTE_MS)
    return f"no liquidations for {minutes} min while price moved {100 * (hi - lo) / mid:.1f} %"
