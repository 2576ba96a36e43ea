"""Helpers shared by the venue route modules: number formatting, windows, resampling."""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.series import MINUTE_MS


def num(x: float) -> str:
    """Shortest decimal string that parses back to exactly ``x`` (exchanges print decimals, never 1e-05)."""
    return np.format_float_positional(float(x), trim="-")


def window(df: pd.DataFrame, lo: int | None = None, hi: int | None = None, lo_open: bool = False, hi_open: bool = False) -> pd.DataFrame:
    """Rows of a ts-sorted frame within the bounds (binary search: the fake serves 30-day backfills)."""
    ts = df["ts"].to_numpy()
    a = 0 if lo is None else int(np.searchsorted(ts, lo, side="right" if lo_open else "left"))
    b = len(ts) if hi is None else int(np.searchsorted(ts, hi, side="left" if hi_open else "right"))
    return df.iloc[a:max(a, b)]


def resample_candles(df: pd.DataFrame, tf_ms: int) -> pd.DataFrame:
    """1m candles -> tf candles (open time = bucket start); only complete buckets are not required."""
    if tf_ms == MINUTE_MS or len(df) == 0:
        return df.reset_index(drop=True)
    b = df.assign(bucket=df["ts"].to_numpy() // tf_ms * tf_ms)
    g = b.groupby("bucket", sort=True)
    out = pd.DataFrame({
        "ts": g["ts"].first().index.to_numpy(),
        "open": g["open"].first().to_numpy(),
        "high": g["high"].max().to_numpy(),
        "low": g["low"].min().to_numpy(),
        "close": g["close"].last().to_numpy(),
        "volume": g["volume"].sum().round(3).to_numpy(),
        "taker_buy_volume": g["taker_buy_volume"].sum().round(3).to_numpy(),
        "quote_volume": g["quote_volume"].sum().round(2).to_numpy(),
    })
    return out


def pick(df: pd.DataFrame, limit: int, newest: bool) -> pd.DataFrame:
    """At most ``limit`` rows: the newest ones (OKX, Bybit) or the oldest ones (Binance with startTime)."""
    df = df.sort_values("ts")
    return df.tail(limit) if newest else df.head(limit)


def int_param(q, name: str, default: int | None = None) -> int | None:
    v = q.get(name)
    if v is None or v == "":
        return default
    return int(float(v))
