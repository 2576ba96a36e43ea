"""The normalized series every source returns.

One shape for all sources (demo simulator, live exchanges, snapshot files), so every panel and every
analytics function works the same on all of them:

- timestamps are UTC milliseconds since the epoch (int64);
- amounts are in the base asset (BTC for BTC/USDT:USDT), notionals in USD (USDT counted as USD);
- one row per exchange per time, sorted by (ts, exchange), de-duplicated.

Conventions that analytics relies on:
- a candle's ``ts`` is its **open** time; it covers ``[ts, ts + timeframe_ms)``;
- an open-interest row's ``ts`` is the **instant** of measurement, so the change of OI during the
  candle opened at ``T`` is ``OI(T + timeframe) - OI(T)``;
- a liquidation's ``side`` is the side of the **position** that was liquidated ("long" means a long
  was force-sold), whatever the exchange's own convention for the forced order's side;
- a ``liquidation_minutes`` row is a venue's liquidations **summed over one minute** (an aggregator's
  history, e.g. Coinalyze), kept apart from single events because it has no price: ``ts`` is the
  minute's start and the row covers ``[ts, ts + 1 min)``, so it is known only once that minute is over.
  Each side is in base or in USD as the source counted it; the other unit is NaN (unknown), never
  converted with a guessed price.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from market.venues import VENUE_NAMES, VENUES

EXCHANGES: tuple[str, ...] = VENUE_NAMES
EXCHANGE_NAMES: Mapping[str, str] = {name: v.label for name, v in VENUES.items()}
DEFAULT_SYMBOL = "BTC/USDT:USDT"
from cascade_vocab.units import MINUTE_MS
from cascade_vocab.names import Series

TIMEFRAMES_MS: Mapping[str, int] = {
    "1m": MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "1d": 1440 * MINUTE_MS,
}

# Column name -> dtype, per series. "exchange" and "side" are plain Python strings (object dtype) so the
# frames behave the same under pandas 2 and 3.
CANDLE_COLUMNS: Mapping[str, str] = {
    "ts": "int64",
    "exchange": "object",
    "open": "float64",
    "high": "float64",
    "low": "float64",
    "close": "float64",
    "volume": "float64",  # base asset
    "taker_buy_volume": "float64",  # base asset; NaN where the venue does not tell
    "quote_volume": "float64",  # USD
}
OI_COLUMNS: Mapping[str, str] = {
    "ts": "int64",
    "exchange": "object",
    "oi_base": "float64",
    "oi_usd": "float64",
}
FUNDING_COLUMNS: Mapping[str, str] = {"ts": "int64", "exchange": "object", "rate": "float64"}
LIQUIDATION_COLUMNS: Mapping[str, str] = {
    "ts": "int64",
    "exchange": "object",
    "side": "object",  # "long" | "short": the liquidated position's side
    "price": "float64",
    "qty_base": "float64",
    "notional_usd": "float64",
}
LONG_SHORT_COLUMNS: Mapping[str, str] = {"ts": "int64", "exchange": "object", "ratio": "float64"}
LIQUIDATION_MINUTE_COLUMNS: Mapping[str, str] = {
    "ts": "int64",  # the minute's start
    "exchange": "object",
    "long_usd": "float64",  # longs liquidated in the minute, USD; NaN where the source counted base
    "short_usd": "float64",
    "long_base": "float64",  # the same in the base asset; NaN where the source counted USD
    "short_base": "float64",
}

SERIES_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "candles": CANDLE_COLUMNS,
    "open_interest": OI_COLUMNS,
    "funding": FUNDING_COLUMNS,
    "liquidations": LIQUIDATION_COLUMNS,
    "long_short": LONG_SHORT_COLUMNS,
    "liquidation_minutes": LIQUIDATION_MINUTE_COLUMNS,
}
# Series that only imports fill (no live venue or simulator produces them).
IMPORTED_ONLY_SERIES: tuple[str, ...] = ("liquidation_minutes",)
# How long after its ``ts`` a row is known: a per-minute sum only once its minute is over (candles: one
# timeframe, handled by ``known_at`` itself).
_KNOWN_AFTER_MS: Mapping[str, int] = {"liquidation_minutes": MINUTE_MS}
# The key that makes a row unique within a series (liquidation events have no id of their own).
SERIES_KEYS: Mapping[str, tuple[str, ...]] = {
    "candles": ("ts", "exchange"),
    "open_interest": ("ts", "exchange"),
    "funding": ("ts", "exchange"),
    "liquidations": ("ts", "exchange", "side", "price", "qty_base"),
    "long_short": ("ts", "exchange"),
    "liquidation_minutes": ("ts", "exchange"),
}


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_frame(series: str) -> pd.DataFrame:
    # Built once per series and copied: building one resolves every column's dtype (milliseconds, with the
    # interpreter lock held), and every poll without news builds six of them; a copy is some 50 µs.
    template = _EMPTY.get(series)
    if template is None:
        cols = SERIES_COLUMNS[series]
        template = _EMPTY[series] = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in cols.items()})
    return template.copy()


def _typed_columns(df: pd.DataFrame, cols: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Each column of the series as a fresh numpy array of its exact dtype, cast as pandas casts.

    A string column is read as Python strings, whatever pandas chose to hold it in (pandas 3 infers its
    own string dtype for object arrays, so a frame built from a poll's arrays never has object columns).
    """
    out: dict[str, np.ndarray] = {}
    for c, t in cols.items():
        col = df[c]
        if t == "object":
            values = col.to_numpy(dtype=object, copy=True)
            if pd.api.types.infer_dtype(values, skipna=False) != "string":
                # As the pandas path casts (from a re-inferred column: None and NaN stay missing).
                values = pd.Series(col.to_numpy()).astype(str).astype(object).to_numpy(dtype=object, copy=True)
            out[c] = values
        elif col.dtype == np.dtype(t):
            out[c] = col.to_numpy(copy=True)
        else:
            out[c] = col.astype(t).to_numpy(copy=True)
    return out


def name_ranks(codes: np.ndarray, names: Sequence[Any]) -> np.ndarray:
    """Per row an integer that orders rows as their names order, from codes into distinct ``names``
    (few distinct venues, many rows: the strings are compared once, not per row)."""
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(np.asarray(names, dtype=object), kind="stable")] = np.arange(len(names))
    return rank[codes]


def strictly_increasing(ts: np.ndarray, rank: np.ndarray) -> bool:
    """Rows strictly increasing in (ts, rank): sorted, and no key repeated."""
    dts, drank = np.diff(ts), np.diff(rank)
    return bool(np.all((dts > 0) | ((dts == 0) & (drank > 0))))


def _exchange_ranks(ex: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(ex)
    return name_ranks(codes, uniques)


def _key_order(series: str, arrays: dict[str, np.ndarray]) -> np.ndarray | None:
    """Row indices that sort by (ts, exchange) keeping the last of each repeated key (what
    ``drop_duplicates(keep="last")`` then a stable sort gives), or None when the rows already are so.

    Done on integer arrays: pandas' de-duplication and sort of a poll's few rows held the interpreter
    lock for milliseconds (and only series keyed by (ts, exchange) are handled here; None means "as is"
    only for rows strictly increasing in (ts, exchange), which have no repeated key of any kind).
    """
    ts = arrays["ts"]
    if len(ts) < 2:
        return None
    rank = _exchange_ranks(arrays["exchange"])
    if strictly_increasing(ts, rank):
        return None
    if SERIES_KEYS[series] != ("ts", "exchange"):
        raise _NeedsPandas
    order = np.lexsort((rank, ts))  # stable: equal keys keep their input order, the last one wins
    sts, srank = ts[order], rank[order]
    last = np.r_[(sts[1:] != sts[:-1]) | (srank[1:] != srank[:-1]), True]
    return order[last]


class _NeedsPandas(Exception):
    """A case the array path leaves to pandas (repeats of a key wider than (ts, exchange))."""


def _normalize_pandas(series: str, df: pd.DataFrame) -> pd.DataFrame:
    cols = SERIES_COLUMNS[series]
    out = pd.DataFrame({c: df[c].to_numpy() for c in cols})
    for c, t in cols.items():
        if t == "object":
            out[c] = out[c].astype(str).astype(object)
        else:
            out[c] = out[c].astype(t)
    out = out.drop_duplicates(list(SERIES_KEYS[series]), keep="last")
    out = out.sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)
    return out


def normalize(series: str, df: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``df`` with exactly the series' columns and dtypes, sorted and de-duplicated.

    Later rows win over earlier rows with the same key, so merging a fresh fetch over a cached one
    keeps the fresh values. Always a new frame (never ``df`` itself).
    """
    if df is None or len(df) == 0:
        return empty_frame(series)
    cols = SERIES_COLUMNS[series]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{series}: missing columns {missing}")
    arrays = _typed_columns(df, cols)
    try:
        order = _key_order(series, arrays)
    except _NeedsPandas:
        return _normalize_pandas(series, df)
    if order is not None:
        arrays = {c: a[order] for c, a in arrays.items()}
    # The string columns are handed over as object Series: from a bare object array pandas 3 would
    # infer its own string dtype.
    return pd.DataFrame({c: pd.Series(a, dtype=object, copy=False) if cols[c] == "object" else a
                         for c, a in arrays.items()}, copy=False)


@dataclass(frozen=True)
class MarketFrames:
    """All series of one symbol, as plain pandas frames. Treat as immutable: shared across threads."""

    symbol: str = DEFAULT_SYMBOL
    timeframe_ms: int = MINUTE_MS
    candles: pd.DataFrame = field(default_factory=lambda: empty_frame("candles"))
    open_interest: pd.DataFrame = field(default_factory=lambda: empty_frame("open_interest"))
    funding: pd.DataFrame = field(default_factory=lambda: empty_frame("funding"))
    liquidations: pd.DataFrame = field(default_factory=lambda: empty_frame("liquidations"))
    long_short: pd.DataFrame = field(default_factory=lambda: empty_frame("long_short"))
    liquidation_minutes: pd.DataFrame = field(default_factory=lambda: empty_frame("liquidation_minutes"))

    @classmethod
    def build(cls, symbol: str = DEFAULT_SYMBOL, timeframe_ms: int = MINUTE_MS, **series: pd.DataFrame | None) -> "MarketFrames":
        unknown = set(series) - set(SERIES_COLUMNS)
        if unknown:
            raise ValueError(f"unknown series {sorted(unknown)}")
        return cls(symbol, timeframe_ms, **{name: normalize(name, series.get(name)) for name in SERIES_COLUMNS})

    def series(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def is_empty(self) -> bool:
        return all(len(self.series(n)) == 0 for n in SERIES_COLUMNS)

    def exchanges(self) -> tuple[str, ...]:
        seen = set()
        for n in SERIES_COLUMNS:
            seen.update(self.series(n)["exchange"].unique().tolist())
        return tuple(e for e in EXCHANGES if e in seen) + tuple(sorted(seen - set(EXCHANGES)))

    def time_range(self) -> tuple[int, int] | None:
        """First candle open time and last candle close time, or None without candles."""
        if len(self.candles) == 0:
            return None
        return int(self.candles["ts"].iloc[0]), int(self.candles["ts"].iloc[-1]) + self.timeframe_ms

    def _map(self, fn) -> "MarketFrames":
        return replace(self, **{n: fn(n, self.series(n)) for n in SERIES_COLUMNS})

    def slice(self, start_ms: int | None = None, end_ms: int | None = None) -> "MarketFrames":
        """Rows with ``start_ms <= ts < end_ms`` (either bound optional)."""

        def cut(_n: str, df: pd.DataFrame) -> pd.DataFrame:
            ts = df["ts"].to_numpy()
            lo = 0 if start_ms is None else int(np.searchsorted(ts, start_ms, "left"))
            hi = len(ts) if end_ms is None else int(np.searchsorted(ts, end_ms, "left"))
            return df.iloc[lo:hi].reset_index(drop=True)

        return self._map(cut)

    def known_at(self, at_ms: int) -> "MarketFrames":
        """Exactly what an observer knew at instant ``at_ms``: candles closed by then, per-minute sums whose
        minute is over, other rows at or before.

        The replay and the signal study use this to rule out look-ahead.
        """

        def cut(n: str, df: pd.DataFrame) -> pd.DataFrame:
            ts = df["ts"].to_numpy()
            limit = at_ms - (self.timeframe_ms if n == Series.CANDLES else _KNOWN_AFTER_MS.get(n, 0))
            return df.iloc[: int(np.searchsorted(ts, limit, "right"))].reset_index(drop=True)

        return self._map(cut)

    def only(self, exchanges: Iterable[str]) -> "MarketFrames":
        keep = set(exchanges)
        return self._map(lambda _n, df: df[df["exchange"].isin(keep)].reset_index(drop=True))

    def merge(self, newer: "MarketFrames") -> "MarketFrames":
        """This data with ``newer`` laid over it (newer wins on equal keys)."""
        if newer.symbol != self.symbol or newer.timeframe_ms != self.timeframe_ms:
            raise ValueError("cannot merge frames of different symbols or timeframes")

        def lay(n: str, df: pd.DataFrame) -> pd.DataFrame:
            new = newer.series(n)
            if len(new) == 0:
                return df
            # Nothing to lay over: the newer rows alone (a poll's partial candle over an empty release).
            return normalize(n, new if len(df) == 0 else pd.concat([df, new], ignore_index=True))

        return self._map(lay)

    def row_counts(self) -> dict[str, int]:
        return {n: len(self.series(n)) for n in SERIES_COLUMNS}


def per_exchange(df: pd.DataFrame, exchange: str) -> pd.DataFrame:
    """Rows of one exchange, index reset."""
    return df[df["exchange"] == exchange].reset_index(drop=True)


def base_symbol(symbol: str) -> str:
    """'BTC/USDT:USDT' -> 'BTC'."""
    return symbol.split("/")[0]
