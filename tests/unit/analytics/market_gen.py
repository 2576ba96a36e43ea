"""Small synthetic markets for analytics tests (no simulator needed): frames in market.series' shape."""

from __future__ import annotations

import numpy as np
import pandas as pd

MINUTE = 60_000
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def random_market(n: int, exchanges=("binance", "okx", "bybit"), seed: int = 0, tf: int = MINUTE,
                  price: float = 80_000.0, vol: float = 0.002, oi_every: int = 1, t0: int = T0):
    """(candles, open_interest) for ``n`` candles per exchange: a random walk with rising and falling OI."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, vol, n)
    mid = price * np.exp(np.cumsum(steps))
    ts = t0 + np.arange(n, dtype=np.int64) * tf
    candles, ois = [], []
    for k, ex in enumerate(exchanges):
        c = mid * (1 + rng.normal(0, 0.0002, n))
        o = np.r_[price, c[:-1]]
        spread = np.abs(rng.normal(0, vol, n)) * c
        high = np.maximum(o, c) + spread * rng.random(n)
        low = np.minimum(o, c) - spread * rng.random(n)
        v = rng.gamma(2.0, 50.0, n)
        tb = v * rng.uniform(0.2, 0.8, n)
        candles.append(pd.DataFrame({"ts": ts, "exchange": ex, "open": o, "high": high, "low": low, "close": c,
                                     "volume": v, "taker_buy_volume": tb, "quote_volume": v * (high + low + c) / 3}))
        oi_ts = t0 + np.arange(0, n + 1, oi_every, dtype=np.int64) * tf
        oi = 50_000.0 * (1 + k) * np.exp(np.cumsum(rng.normal(0.0002, 0.003, len(oi_ts))))
        ois.append(pd.DataFrame({"ts": oi_ts, "exchange": ex, "oi_base": oi, "oi_usd": oi * price}))
    candles = pd.concat(candles).sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)
    oi = pd.concat(ois).sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)
    return candles, oi
