"""What the panels draw, computed off the GUI thread from MarketFrames (no Qt here).

vn.py's "manager" role: turn normalized frames into plain numpy arrays per panel, resampled to the chosen
timeframe and filtered to the chosen exchanges, so widgets only hand arrays to items.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    lines = []
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
        lines.append((ts, y))
    if total and lines:
        out["total"] = forward_filled_sum(lines)
    return out


def forward_filled_sum(lines: Sequence[tuple[np.ndarray, np.ndarray]]) -> Series:
    """At every time any line has a point: the sum, in the lines' order, of each line's last non-NaN value
    at or before it; times before every line has one are left out (ts in ms, x of the result in seconds).

    What ``pd.concat(lines, axis=1).sort_index().ffill().dropna().sum(axis=1)`` gives, in numpy: the
    pandas join held the interpreter lock for milliseconds per update.
    """
    first = lines[0][0]
    same = all(np.array_equal(ts, first) for ts, _ in lines[1:])  # the usual case: every venue at the same instants
    times = first if same else np.unique(np.concatenate([ts for ts, _ in lines]))
    known = np.ones(len(times), dtype=bool)
    total = np.zeros(0)
    for k, (ts, y) in enumerate(lines):
        valid = ~np.isnan(y)
        if same and valid.all():
            value = y
        else:
            vts, vy = ts[valid], y[valid]
            i = np.searchsorted(vts, times, "right") - 1
            known &= i >= 0
            value = vy[np.maximum(i, 0)] if len(vy) else np.full(len(times), np.nan)
        total = value if k == 0 else total + value
    return Series(times[known] / 1000.0, total[known])


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


def _equal_rows(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """How many leading rows ``a`` and ``b`` (same columns) have equal; floats compared bit for bit."""
    m = min(len(a), len(b))
    if m == 0:
        return 0
    same = np.ones(m, dtype=bool)
    for c in a.columns:
        x, y = a[c].to_numpy()[:m], b[c].to_numpy()[:m]
        if x.dtype.kind == "f" and y.dtype == x.dtype:
            same &= x.view(np.int64) == y.view(np.int64)  # NaN equals NaN, an edit of any bit does not
        else:
            same &= np.asarray(x == y, dtype=bool)
    differ = np.flatnonzero(~same)
    return int(differ[0]) if len(differ) else m


CHART_SERIES = ("candles", "open_interest", "funding", "liquidations")  # what build_chart_data reads


def first_change_ms(old: MarketFrames, new: MarketFrames, names: Sequence[str] = CHART_SERIES) -> int | None:
    """The earliest ``ts`` of a row of series ``names`` that ``new`` adds, drops or changes against
    ``old``; None if none. Rows are sorted by ts: every row of either with a smaller ts is in both, unchanged.
    """
    first: int | None = None
    for name in names:
        o, n = old.series(name), new.series(name)
        if o is n:
            continue
        k = _equal_rows(o, n)
        if k == len(o) == len(n):
            continue
        at = [int(df["ts"].iat[k]) for df in (o, n) if k < len(df)]
        first = min(at) if first is None else min(first, *at)
    return first


def _splice(old: Series, tail: Series | None, cut_s: float) -> Series:
    keep = int(np.searchsorted(old.x, cut_s, "left"))
    if tail is None:
        return Series(old.x[:keep], old.y[:keep])
    start = int(np.searchsorted(tail.x, cut_s, "left"))
    return Series(np.concatenate([old.x[:keep], tail.x[start:]]), np.concatenate([old.y[:keep], tail.y[start:]]))


def _splice_lines(old: Mapping[str, Series], tail: Mapping[str, Series], order: Sequence[str], cut_s: float) -> dict[str, Series]:
    """Per line: ``old`` before ``cut_s``, ``tail`` from it; lines in ``order`` (then "total"), empty ones left out."""
    out: dict[str, Series] = {}
    for name in (*order, "total"):
        if name not in old and name not in tail:
            continue
        line = _splice(old[name], tail.get(name), cut_s) if name in old else _splice(Series(), tail[name], cut_s)
        if len(line.x):
            out[name] = line
    return out


def _oi_lookback_ms(lines: Mapping[str, Series], cut_s: float) -> int | None:
    """The earliest, over the venues, of each one's last finite point before ``cut_s`` (ms): the total
    from ``cut_s`` on forward-fills from those. None: a venue has no such point (the caller rebuilds)."""
    earliest: int | None = None
    for name, line in lines.items():
        if name == "total":
            continue
        before = np.flatnonzero(np.isfinite(line.y[: int(np.searchsorted(line.x, cut_s, "left"))]))
        if not len(before):
            return None
        ms = int(round(float(line.x[before[-1]]) * 1000.0))
        earliest = ms if earliest is None else min(earliest, ms)
    return earliest


class ChartBuilder:
    """``build_chart_data`` for a feed that grows at its end: from the previous frames it finds the first
    changed row, and recomputes only the bars from there (the live candle, the newest minute), the
    rest is the previous result's. A month rebuilt on every tick held the interpreter lock for tens of ms.

    The result equals ``build_chart_data(frames.only(exchanges), exchanges, timeframe_ms)``. Not thread-safe:
    one worker owns it.
    """

    def __init__(self) -> None:
        self._last: tuple[tuple, MarketFrames, ChartData] | None = None
        self.partial_builds = 0  # how many builds recomputed only the newest bars (for tests)

    def build(self, frames: MarketFrames, exchanges: Sequence[str], timeframe_ms: int) -> ChartData:
        chosen = tuple(exchanges)
        key = (frames.symbol, frames.timeframe_ms, chosen, max(int(timeframe_ms), frames.timeframe_ms))
        chart = None
        if self._last is not None and self._last[0] == key:
            _, old_frames, old_chart = self._last
            at = first_change_ms(old_frames, frames)
            chart = old_chart if at is None else self._tail(old_chart, frames, chosen, at)
        if chart is None:
            chart = build_chart_data(frames.only(chosen), chosen, timeframe_ms)
        self._last = (key, frames, chart)
        return chart

    def _tail(self, old: ChartData, frames: MarketFrames, chosen: tuple[str, ...], changed_ms: int) -> ChartData | None:
        """``old`` with its bars from the one holding ``changed_ms`` on recomputed; None: rebuild it all."""
        tf = old.timeframe_ms
        cut = changed_ms - changed_ms % tf
        cut_s = cut / 1000.0
        # The open interest is read from each venue's last known value before the cut on: the total
        # forward-fills every venue, also one that has stopped reporting.
        lookback = [_oi_lookback_ms(lines, cut_s) for lines in (old.oi_base, old.oi_usd) if any(n != "total" for n in lines)]
        if any(ms is None for ms in lookback):
            return None
        oi_from = min([cut, *[ms for ms in lookback if ms is not None]])

        def rows_from(name: str, start_ms: int) -> pd.DataFrame:
            df = frames.series(name)
            return df.iloc[int(np.searchsorted(df["ts"].to_numpy(), start_ms, "left")):]

        def chosen_rows(df: pd.DataFrame) -> pd.DataFrame:
            # A few rows: a set of their venues is quicker than pandas' filter, which is needed only
            # when an unchosen venue is among them.
            return df if set(df["exchange"].to_numpy().tolist()) <= set(chosen) else df[df["exchange"].isin(chosen)]

        tail_frames = MarketFrames(frames.symbol, frames.timeframe_ms, candles=chosen_rows(rows_from("candles", cut)),
                                   open_interest=chosen_rows(rows_from("open_interest", oi_from)),
                                   funding=chosen_rows(rows_from("funding", cut)), liquidations=chosen_rows(rows_from("liquidations", cut)))
        tail = build_chart_data(tail_frames, chosen, tf)
        if tail.price_exchange != old.price_exchange or not tail.price_exchange:
            return None  # the venue whose price is shown could be another one: rebuild
        keep = int(np.searchsorted(old.candles.x, cut_s, "left"))
        oc, tc = old.candles, tail.candles
        candles = Candles(*(np.concatenate([getattr(oc, f)[:keep], getattr(tc, f)]) for f in
                            ("x", "open", "high", "low", "close", "volume", "buy_volume")))
        ol, tl = old.liquidations, tail.liquidations
        events = Events(*(np.concatenate([getattr(ol, f)[:keep], getattr(tl, f)]) for f in ("x", "long_usd", "short_usd")))
        self.partial_builds += 1
        return replace(
            old,
            candles=candles,
            oi_base=_splice_lines(old.oi_base, tail.oi_base, chosen, cut_s),
            oi_usd=_splice_lines(old.oi_usd, tail.oi_usd, chosen, cut_s),
            funding=_splice_lines(old.funding, tail.funding, chosen, cut_s),
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
