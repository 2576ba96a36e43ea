"""Markets for the study tests, built here from numpy so their properties are known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd

MINUTE = 60_000
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def no_feedback_market(days: float, seed: int, exchanges=("binance", "okx"), vol: float = 0.0005,
                       price: float = 80_000.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(candles, open_interest): a driftless random walk whose OI and taker flow are independent of price.

    Nothing the liquidation map shows can move this price, so the study must find no edge here.
    """
    rng = np.random.default_rng(seed)
    n = int(days * 1440)
    mid = price * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    ts = T0 + np.arange(n, dtype=np.int64) * MINUTE
    candles, ois = [], []
    for k, ex in enumerate(exchanges):
        close = mid * np.exp(rng.normal(0.0, 5e-5, n))
        open_ = np.r_[price, close[:-1]]
        wick = np.abs(rng.normal(0.0, vol / 2, n)) * close
        high = np.maximum(open_, close) + wick * rng.random(n)
        low = np.minimum(open_, close) - wick * rng.random(n)
        volume = rng.gamma(2.0, 40.0, n)
        taker = volume * rng.uniform(0.3, 0.7, n)
        candles.append(pd.DataFrame({"ts": ts, "exchange": ex, "open": open_, "high": high, "low": low, "close": close,
                                     "volume": volume, "taker_buy_volume": taker, "quote_volume": volume * close}))
        oi_ts = T0 + np.arange(n + 1, dtype=np.int64) * MINUTE
        oi = 40_000.0 * (1 + k) * np.exp(np.cumsum(rng.normal(0.0, 0.002, n + 1)))
        ois.append(pd.DataFrame({"ts": oi_ts, "exchange": ex, "oi_base": oi, "oi_usd": oi * price}))
    candles = pd.concat(candles).sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)
    oi = pd.concat(ois).sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)
    return candles, oi
