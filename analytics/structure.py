"""Market structure: price change and drawdown over N days, swing highs/lows and sweeps of swing lows.

Works on a reference price: per candle time, the median over exchanges (one venue's wick is not the
market's), taken from candles in market.series' columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from cascade_vocab.units import HOUR_MS, DAY_MS


def reference_ohlc(candles: pd.DataFrame) -> pd.DataFrame:
    """Columns ts, open, high, low, close: the per-time median over exchanges, sorted by ts."""
    if candles is None or len(candles) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in
                             (("ts", "int64"), ("open", float), ("high", float), ("low", float), ("close", float))})
    g = candles.groupby("ts", sort=True)[["open", "high", "low", "close"]].median()
    return g.reset_index()


def resample(ohlc: pd.DataFrame, period_ms: int) -> pd.DataFrame:
    """Coarser bars (e.g. hourly) aligned to multiples of ``period_ms``."""
    if len(ohlc) == 0:
        return ohlc
    key = (ohlc["ts"].to_numpy(np.int64) // period_ms) * period_ms
    g = ohlc.assign(ts=key).groupby("ts", sort=True)
    return pd.DataFrame({"open": g["open"].first(), "high": g["high"].max(), "low": g["low"].min(),
                         "close": g["close"].last()}).reset_index()


def _closed_by(ohlc: pd.DataFrame, at_ms: int, tf_ms: int) -> pd.DataFrame:
    return ohlc[ohlc["ts"].to_numpy(np.int64) + tf_ms <= at_ms]


@dataclass(frozen=True)
class PriceMove:
    price: float  # last close at ``at_ms``
    start_price: Optional[float]  # the price at ``at_ms - days`` (None if the data starts later)
    change_pct: Optional[float]
    high: float  # highest high in the window
    drawdown_pct: float  # price vs that high (<= 0)
    low: float
    window_days: float = 0.0  # the days the high and low were taken over: ``days``, or less if the data is shorter


def price_move(ohlc: pd.DataFrame, at_ms: int, days: float, tf_ms: int) -> Optional[PriceMove]:
    """Change over ``days`` and drawdown from the ``days`` high, from candles closed by ``at_ms``."""
    known = _closed_by(ohlc, at_ms, tf_ms)
    if len(known) == 0:
        return None
    price = float(known["close"].iloc[-1])
    start = at_ms - int(days * DAY_MS)
    ts = known["ts"].to_numpy(np.int64)
    before = known[ts + tf_ms <= start]
    start_price = float(before["close"].iloc[-1]) if len(before) else None
    if start_price is None and ts[0] <= start and "open" in known and np.isfinite(known["open"].iloc[0]):
        # Exactly ``days`` of data: the first candle opens at the start, and its open is the price then.
        start_price = float(known["open"].iloc[0])
    window = known[ts + tf_ms > start]
    high = float(window["high"].max())
    low = float(window["low"].min())
    change = None if start_price is None else (price / start_price - 1.0) * 100.0
    covered = min(float(days), (at_ms - int(ts[0])) / DAY_MS)
    return PriceMove(price, start_price, change, high, (price / high - 1.0) * 100.0, low, covered)


def swing_points(high: np.ndarray, low: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of swing highs and swing lows: a bar whose high (low) is the strict extreme of the ``k``
    bars on each side (so a swing is confirmed ``k`` bars after it)."""
    high = np.asarray(high, float)
    low = np.asarray(low, float)
    n = len(high)
    if n < 2 * k + 1:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    win = np.lib.stride_tricks.sliding_window_view
    hw = win(high, 2 * k + 1)
    lw = win(low, 2 * k + 1)
    mid_h = high[k : n - k]
    mid_l = low[k : n - k]
    # strict: the middle is the extreme and no other bar in the window ties it
    is_h = (mid_h == hw.max(axis=1)) & ((hw == mid_h[:, None]).sum(axis=1) == 1)
    is_l = (mid_l == lw.min(axis=1)) & ((lw == mid_l[:, None]).sum(axis=1) == 1)
    return np.flatnonzero(is_h) + k, np.flatnonzero(is_l) + k


@dataclass(frozen=True)
class Sweep:
    """Price broke below swing lows in ``[low, high]`` and closed back above ``low`` within K bars."""

    swept: bool
    low: Optional[float]  # lowest swept swing low
    high: Optional[float]  # highest swept swing low
    break_ts: Optional[int] = None  # open time of the bar that broke below
    reclaim_ts: Optional[int] = None  # open time of the bar that closed back above
    extreme: Optional[float] = None  # the low of the break


NO_SWEEP = Sweep(False, None, None)


def find_sweep(ohlc: pd.DataFrame, k: int = 3, reclaim_bars: int = 6) -> Sweep:
    """The most recent sweep of swing lows in these bars (e.g. hourly).

    A swing low counts once confirmed (``k`` bars after it). Bar ``j`` breaks every confirmed, not yet
    broken swing low above its low; if a close within the next ``reclaim_bars`` bars (``j`` included)
    gets back to or above the lowest of them, it was a sweep (a spring), not a breakdown.
    """
    if len(ohlc) == 0:
        return NO_SWEEP
    high = ohlc["high"].to_numpy(float)
    low = ohlc["low"].to_numpy(float)
    close = ohlc["close"].to_numpy(float)
    ts = ohlc["ts"].to_numpy(np.int64)
    _sh, sl = swing_points(high, low, k)
    best = NO_SWEEP
    live: list[tuple[int, float]] = []  # (index, level) of confirmed swing lows not yet broken
    nxt = 0
    for j in range(len(low)):  # few hundred hourly bars: a plain loop is clearer than tricks here
        while nxt < len(sl) and sl[nxt] + k < j:
            live.append((int(sl[nxt]), float(low[sl[nxt]])))
            nxt += 1
        broken = [lvl for _i, lvl in live if low[j] < lvl]
        if not broken:
            continue
        live = [(i, lvl) for i, lvl in live if low[j] >= lvl]
        zone_lo, zone_hi = min(broken), max(broken)
        end = min(len(close), j + reclaim_bars)
        back = np.flatnonzero(close[j:end] >= zone_lo)
        if len(back):
            best = Sweep(True, zone_lo, zone_hi, int(ts[j]), int(ts[j + back[0]]), float(low[j:j + back[0] + 1].min()))
    return best


def sweep_in_window(candles: pd.DataFrame, at_ms: int, days: float, tf_ms: int, bar_ms: int = HOUR_MS,
                    k: int = 3, reclaim_bars: int = 6) -> Sweep:
    """``find_sweep`` on ``bar_ms`` bars of the reference price over the ``days`` before ``at_ms`` (known data only)."""
    ref = _closed_by(reference_ohlc(candles), at_ms, tf_ms)
    ref = ref[ref["ts"].to_numpy(np.int64) >= at_ms - int(days * DAY_MS)]
    bars = resample(ref, bar_ms)
    return find_sweep(bars, k, reclaim_bars)
