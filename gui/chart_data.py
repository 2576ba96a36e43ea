"""What the panels draw, computed off the GUI thread from MarketFrames (no Qt here).

vn.py's "manager" role: turn normalized frames into plain numpy arrays per panel, resampled to the chosen
timeframe and filtered to the chosen exchanges, so widgets only hand arrays to items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from market.series import EXCHANGES, SERIES_COLUMNS, MarketFrames


def _empty() -> np.ndarray:
    return np.empty(0, dtype=np.float64)





@dataclass(frozen=True)
class Candles:
    """One OHLCV row per bar; ``x`` is the bar's open time in seconds (the axes use seconds)."""

    x: np.ndarray = field(default_factory=_empty)
    open: np.ndarray = field(default_factory=_empty)
    high: np.ndarray = field(default_factory=_empty)
    low: np.ndarray = field(default_factory=_empty)
    close: np.ndarray = field(default_factory=_empty)
    volume: np.ndarray = field(default_factory=_empty)  # summed over the chosen exchanges, base asset
    buy_volume: np.ndarray = field(default_factory=_empty)  # taker buys, NaN where unknown

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Series:
    x: np.ndarray = field(default_factory=_empty)  # seconds
    y: np.ndarray = field(default_factory=_empty)


@dataclass(frozen=True)
class Events:
    """Liquidation events aggregated per bar and side (USD notional)."""

    x: np.ndarray = field(default_factory=_empty)
    long_usd: np.ndarray = field(default_factory=_empty)
    short_usd: np.ndarray = field(default_factory=_empty)


@dataclass(frozen=True)
class ChartData:
    symbol: str
    timeframe_ms: int
    price_exchange: str  # whose candles the price chart shows
    exchanges: tuple[str, ...]
    candles: Candles = field(default_factory=Candles)
    oi_base: Mapping[str, Series] = field(default_factory=dict)  # per exchange + "total"
    oi_usd: Mapping[str, Series] = field(default_factory=dict)
    funding: Mapping[str, Series] = field(default_factory=dict)
    liquidations: Events = field(default_factory=Events)
    panel_data: Mapping[str, Any] = field(default_factory=dict)  # a registered panel's own data, by name

    @property
    def last_close(self) -> float | None:
        return float(self.candles.close[-1]) if len(self.candles) else None

    def time_bounds_s(self) -> tuple[float, float] | None:
        if not len(self.candles):
            return None
        return float(self.candles.x[0]), float(self.candles.x[-1]) + self.timeframe_ms / 1000.0


def price_exchange_for(exchanges: Sequence[str], available: Sequence[str]) -> str | None:
    """The venue whose price the chart shows: the first chosen one in the usual order (Binance first)."""
    ordered = [e for e in EXCHANGES if e in exchanges] + [e for e in exchanges if e not in EXCHANGES]
    for e in ordered:
        if e in available:
            return e
    return available[0] if available else None


def resample_candles(df: pd.DataFrame, timeframe_ms: int) -> pd.DataFrame:
    """One exchange's candles resampled to ``timeframe_ms`` bars (open of first, max high, ..., sum volume)."""
    if len(df) == 0:
        return df
    ts = df["ts"].to_numpy()
    bucket = ts - ts % timeframe_ms
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(ts)] - 1
    out = {
        "ts": bucket[starts],
        "open": df["open"].to_numpy()[starts],
        "high": np.maximum.reduceat(df["high"].to_numpy(), starts),
        "low": np.minimum.reduceat(df["low"].to_numpy(), starts),
        "close": df["close"].to_numpy()[ends],
        "volume": np.add.reduceat(df["volume"].to_numpy(), starts),
        "taker_buy_volume": np.add.reduceat(df["taker_buy_volume"].to_numpy(), starts),
    }
    return pd.DataFrame(out)


def _sum_by_bucket(ts: np.ndarray, values: np.ndarray, grid: np.ndarray, timeframe_ms: int) -> np.ndarray:
    """Sum ``values`` into the bars of ``grid`` (sorted open times); rows outside the grid are dropped."""
    out = np.zeros(len(grid))
    if len(ts) == 0 or len(grid) == 0:
        return out
    idx = np.searchsorted(grid, ts - ts % timeframe_ms)
    ok = (idx < len(grid)) & (grid[np.minimum(idx, len(grid) - 1)] == ts - ts % timeframe_ms)
    np.add.at(out, idx[ok], values[ok])
    return out


def _split_by_exchange(df: pd.DataFrame, exchanges: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    """Rows of each of ``exchanges`` (in that order), from one pass over the exchange column.

    Comparing a month of object strings once per exchange and per panel cost ~30 ms per view; the
    codes of one factorize are compared as integers instead.
    """
    codes, uniques = pd.factorize(df["exchange"].to_numpy())
    index = {u: i for i, u in enumerate(uniques.tolist())}
    return [(ex, df[codes == index[ex]] if ex in index else df.iloc[:0]) for ex in exchanges]


def _series_per_exchange(parts: Sequence[tuple[str, pd.DataFrame]], column: str, timeframe_ms: int, total: bool) -> dict[str, Series]:
    """Per-exchange line of ``column`` (last value per bar), plus their sum where every venue reported."""
    out: dict[str, Series] = {}
    frames = []
    for ex, part in parts:
        if len(part) == 0:
            continue
        ts = part["ts"].to_numpy()
        y = part[column].to_numpy(dtype=np.float64)
        if timeframe_ms > 0:
            bucket = ts - ts % timeframe_ms
            last = np.r_[bucket[1:] != bucket[:-1], True]
            ts, y = ts[last], y[last]
        out[ex] = Series(ts / 1000.0, y)
        frames.append(pd.Series(y, index=ts, name=ex))
    if total and frames:
        joined = pd.concat(frames, axis=1).sort_index().ffill().dropna()
        out["total"] = Series(joined.index.to_numpy() / 1000.0, joined.sum(axis=1).to_numpy())
    return out


def series_per_exchange(df: pd.DataFrame, column: str, exchanges: Sequence[str], timeframe_ms: int) -> dict[str, Series]:
    """One line of ``column`` per chosen exchange with rows, its last value per bar of ``timeframe_ms``."""
    return _series_per_exchange(_split_by_exchange(df, exchanges), column, timeframe_ms, total=False)


def liquidation_events(liquidations: pd.DataFrame, exchanges: Sequence[str], grid: np.ndarray, timeframe_ms: int) -> Events:
    """Liquidation USD per bar of ``grid`` (open times, ms) and side, over the chosen exchanges."""
    liq = liquidations[liquidations["exchange"].isin(tuple(exchanges))]
    lts = liq["ts"].to_numpy()
    notional = liq["notional_usd"].to_numpy(dtype=np.float64)
    is_long = (liq["side"] == "long").to_numpy()
    return Events(
        grid / 1000.0,
        _sum_by_bucket(lts[is_long], notional[is_long], grid, timeframe_ms),
        _sum_by_bucket(lts[~is_long], notional[~is_long], grid, timeframe_ms),
    )


def build_chart_data(frames: MarketFrames, exchanges: Sequence[str], timeframe_ms: int) -> ChartData:
    """Everything the panels draw, for the chosen exchanges and timeframe (≥ the frames' own timeframe)."""
    timeframe_ms = max(int(timeframe_ms), frames.timeframe_ms)
    chosen = tuple(e for e in exchanges)
    candles_all = frames.candles[frames.candles["exchange"].isin(chosen)]
    available = tuple(candles_all["exchange"].unique().tolist())
    price_ex = price_exchange_for(chosen, available) or ""
    ref = resample_candles(candles_all[candles_all["exchange"] == price_ex], timeframe_ms)
    if len(ref):
        grid = ref["ts"].to_numpy()
        vol = _sum_by_bucket(candles_all["ts"].to_numpy(), candles_all["volume"].to_numpy(), grid, timeframe_ms)
        buy = _sum_by_bucket(candles_all["ts"].to_numpy(), np.nan_to_num(candles_all["taker_buy_volume"].to_numpy()), grid, timeframe_ms)
        candles = Candles(grid / 1000.0, ref["open"].to_numpy(), ref["high"].to_numpy(), ref["low"].to_numpy(), ref["close"].to_numpy(), vol, buy)
    else:
        grid = np.empty(0, dtype=np.int64)
        candles = Candles()
    oi_parts = _split_by_exchange(frames.open_interest, chosen)
    events = liquidation_events(frames.liquidations, chosen, grid, timeframe_ms)
    return ChartData(
        symbol=frames.symbol,
        timeframe_ms=timeframe_ms,
        price_exchange=price_ex,
        exchanges=chosen,
        candles=candles,
        oi_base=_series_per_exchange(oi_parts, "oi_base", timeframe_ms, total=True),
        oi_usd=_series_per_exchange(oi_parts, "oi_usd", timeframe_ms, total=True),
        funding=_series_per_exchange(_split_by_exchange(frames.funding, chosen), "rate", 0, total=False),
        liquidations=events,
    )


def bound_history(frames: MarketFrames, keep_ms: int, now_ms: int, slack: float = 0.25) -> MarketFrames:
    """``frames`` without rows older than ``now_ms - keep_ms``, or ``frames`` itself while its oldest row
    is within ``keep_ms * (1 + slack)`` of ``now_ms``.

    A live session appends every poll to what it holds: without a bound, the frames, everything derived
    from them each poll and the items drawing them grow with the hours the terminal has been open (older
    rows stay in the store). The slack makes the cut a step now and then, not a copy on every poll.
    """
    oldest = min((int(df["ts"].iloc[0]) for df in (frames.series(n) for n in SERIES_COLUMNS) if len(df)), default=None)
    if oldest is None or oldest >= now_ms - keep_ms * (1.0 + slack):
        return frames
    return frames.slice(now_ms - keep_ms, None)


def append_frames(base: MarketFrames, newer: MarketFrames) -> MarketFrames:
    """``base.merge(newer)`` but cheap for the live case: only the overlapping tail is re-normalized.

    Polls bring a few rows at or after the end of the history; merging the whole month on every poll
    would cost tens of ms per tick.
    """
    from dataclasses import replace

    from market.series import normalize

    if newer.is_empty():
        return base
    parts = {}
    for name in SERIES_COLUMNS:
        old, new = base.series(name), newer.series(name)
        if len(new) == 0:
            parts[name] = old
            continue
        first = int(new["ts"].iloc[0]) if len(new) else 0
        cut = int(np.searchsorted(old["ts"].to_numpy(), first, "left"))
        tail = normalize(name, pd.concat([old.iloc[cut:], new], ignore_index=True))
        parts[name] = pd.concat([old.iloc[:cut], tail], ignore_index=True) if cut else tail
    return replace(base, **parts)
