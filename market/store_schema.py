"""The on-disk layout shared by the local store and snapshot files: tables, keys, and the value checks.

One schema for both, so a snapshot is simply a store that holds one symbol and was written atomically.

Layout (schema version ``SCHEMA_VERSION``):
- ``meta(key, value)``: JSON-encoded values: app="cascade", schema_version, created_at_ms, source_kind,
  symbol, timeframe_ms, exchanges, app_version, model_settings, and positions only when the user chose so.
- one table per series of ``market.series``, keyed by ``(symbol, [timeframe_ms,] ts, exchange[, ...])``:
  the ``SERIES_KEYS`` plus the symbol (and the timeframe for candles). The key leads with ``ts`` before
  ``exchange`` so a time-range read is one index range already in ``(ts, exchange)`` order, the order
  ``market.series.normalize`` produces. All tables are WITHOUT ROWID: the key *is* the storage, no
  second b-tree (a rowid table plus a unique index would double the size of the liquidations).
- ``liquidations`` has one extra column, ``seq``: several events can share ``(ts, exchange)`` and
  ``seq`` (a per-file counter kept in meta ``next_seq``) preserves their arrival order. INSERT OR
  REPLACE gives a re-sent event a new ``seq``, i.e. the later position: the same "later wins, at the
  later position" rule as ``normalize``'s ``keep="last"``, so a save/open round trip is exact.
- ``liquidation_minutes`` (since v3) holds per-minute liquidation sums from aggregators, keyed like the
  other per-venue series; NULL is "not counted in this unit".
- ``series_columns`` (since v4): a snapshot's series once more as typed column arrays, one BLOB per
  column with its CRC-32; object columns as small integer codes with their labels. The live store
  leaves it empty.
- Value checks accept only the venues registered in ``market.venues``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from market.series import SERIES_COLUMNS, SERIES_KEYS, name_ranks, strictly_increasing
from market.venues import VENUE_NAMES
from cascade_vocab.names import Series

APP_ID = "cascade"
SCHEMA_VERSION = 4

# Values outside these bounds are not market data but a unit mix-up (seconds, microseconds) or garbage.
MIN_TS_MS = 1_230_768_000_000  # 2009-01-01
MAX_TS_MS = 4_102_444_800_000  # 2100-01-01

# The SQL key of every series table, in storage order.
TABLE_KEYS: Mapping[str, tuple[str, ...]] = {
    "candles": ("symbol", "timeframe_ms", "ts", "exchange"),
    **{
        name: ("symbol", "ts", "exchange") + tuple(k for k in SERIES_KEYS[name] if k not in ("ts", "exchange"))
        for name in SERIES_COLUMNS
        if name != Series.CANDLES
    },
}
# The extra (non-series) columns that lead every table.
LEAD_COLUMNS: Mapping[str, tuple[str, ...]] = {
    name: ("symbol", "timeframe_ms") if name == Series.CANDLES else ("symbol",) for name in SERIES_COLUMNS
}
# Columns after the series' own: liquidations' arrival order.
TRAIL_COLUMNS: Mapping[str, tuple[str, ...]] = {name: ("seq",) if name == Series.LIQUIDATIONS else () for name in SERIES_COLUMNS}
# ORDER BY of a read: normalize's (ts, exchange) order, arrival order within it.
READ_ORDER: Mapping[str, str] = {name: "ts, exchange, seq" if name == Series.LIQUIDATIONS else "ts, exchange" for name in SERIES_COLUMNS}
SEQ_META_KEY = "next_seq"
# The file change counter (SQLite header) at which a snapshot's columns were written; see snapshot_file.
COLUMNS_STAMP_KEY = "columns_stamp"


def table_columns(series: str) -> tuple[str, ...]:
    """All SQL columns of a series table, in table order (lead columns, the series' columns, trailing ones)."""
    return LEAD_COLUMNS[series] + tuple(SERIES_COLUMNS[series]) + TRAIL_COLUMNS[series]


# ---------------------------------------------------------------------------------------------------------
# Absurd values. A snapshot holding them would draw nonsense or crash analytics, so such a file is rejected
# with the table and the number of offending rows, instead of being "repaired" silently.

def _bad_float(values: np.ndarray, *, positive: bool = False, allow_nan: bool = False) -> np.ndarray:
    v = values.astype("float64")
    finite = np.isfinite(v)
    bad = ~finite if not allow_nan else np.isinf(v)
    with np.errstate(invalid="ignore"):
        bad |= finite & ((v <= 0) if positive else (v < 0))
    return bad


def _value_checks(series: str, df: pd.DataFrame,
                  exchange_codes: tuple[np.ndarray, list[str]] | None = None) -> list[tuple[str, np.ndarray]]:
    """``[(what is wrong, row mask), ...]``: the checks of each row's own values (not order or duplicates)."""
    checks: list[tuple[str, np.ndarray]] = []
    ts = df["ts"].to_numpy()
    checks.append(("timestamps outside 2009-2100", (ts < MIN_TS_MS) | (ts >= MAX_TS_MS)))
    # Judged once per distinct name (a handful), not once per row.
    codes, names = exchange_codes if exchange_codes is not None else _exchange_codes(df)
    empty_name = np.array([len(x) == 0 for x in names], bool)
    empty = empty_name[codes]
    checks.append(("empty exchange names", empty))
    # Only venues Cascade knows: a name is a colour, a toggle and a panel line in the window, so a file
    # holding thousands of made-up names would build thousands of them.
    unknown_name = np.array([x not in VENUE_NAMES for x in names], bool) & ~empty_name
    checks.append(("unknown exchange names", unknown_name[codes]))
    if series == Series.CANDLES:
        o, h, l, c = (df[k].to_numpy("float64") for k in ("open", "high", "low", "close"))
        prices_bad = np.zeros(len(df), bool)
        for arr in (o, h, l, c):
            prices_bad |= _bad_float(arr, positive=True)
        checks.append(("zero, negative or missing prices", prices_bad))
        tol = 1e-9 * np.abs(h)
        with np.errstate(invalid="ignore"):
            checks.append(("high below low, open or close", ~prices_bad & ((h < l - tol) | (h < np.maximum(o, c) - tol) | (l > np.minimum(o, c) + tol))))
        checks.append(("negative or missing volume", _bad_float(df["volume"].to_numpy())))
        checks.append(("negative taker buy volume", _bad_float(df["taker_buy_volume"].to_numpy(), allow_nan=True)))
        checks.append(("negative quote volume", _bad_float(df["quote_volume"].to_numpy(), allow_nan=True)))
    elif series == Series.OPEN_INTEREST:
        checks.append(("negative or missing open interest", _bad_float(df["oi_base"].to_numpy())))
        checks.append(("negative open interest value", _bad_float(df["oi_usd"].to_numpy(), allow_nan=True)))
    elif series == Series.FUNDING:
        r = df["rate"].to_numpy("float64")
        with np.errstate(invalid="ignore"):
            checks.append(("missing or absurd funding rates (|rate| >= 100%)", ~np.isfinite(r) | (np.abs(r) >= 1.0)))
    elif series == Series.LIQUIDATIONS:
        checks.append(("sides other than long/short", ~df["side"].isin(["long", "short"]).to_numpy()))
        checks.append(("zero, negative or missing prices", _bad_float(df["price"].to_numpy(), positive=True)))
        checks.append(("zero, negative or missing quantities", _bad_float(df["qty_base"].to_numpy(), positive=True)))
        checks.append(("negative notionals", _bad_float(df["notional_usd"].to_numpy(), allow_nan=True)))
    elif series == Series.LONG_SHORT:
        checks.append(("negative or missing ratios", _bad_float(df["ratio"].to_numpy())))
    elif series == Series.LIQUIDATION_MINUTES:
        cols = ("long_usd", "short_usd", "long_base", "short_base")
        negative = np.zeros(len(df), bool)
        for c in cols:
            negative |= _bad_float(df[c].to_numpy(), allow_nan=True)
        checks.append(("negative liquidation sums", negative))
        # Each side must be known in at least one unit: a row of NaNs says nothing.
        unknown = np.zeros(len(df), bool)
        for side in ("long", "short"):
            unknown |= np.isnan(df[f"{side}_usd"].to_numpy("float64")) & np.isnan(df[f"{side}_base"].to_numpy("float64"))
        checks.append(("a side known in neither USD nor base", unknown))
    return checks


def _exchange_codes(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Per row the index of its exchange name, and the names as text (None and NaN as 'None', 'nan')."""
    codes, uniques = pd.factorize(df["exchange"].to_numpy(), use_na_sentinel=False)
    return codes, [str(u) for u in uniques]


def _duplicates(series: str, df: pd.DataFrame, exchange_codes: tuple[np.ndarray, list[str]]) -> np.ndarray:
    """Rows repeating an earlier row's key. Rows strictly increasing in (ts, exchange), the order a
    read gives, cannot repeat a key: that O(n) test spares the hashing of every key in the usual case."""
    codes, names = exchange_codes
    ts = df["ts"].to_numpy()
    if len(ts) < 2 or strictly_increasing(ts, name_ranks(codes, names)):
        return np.zeros(len(df), bool)
    return df.duplicated(list(SERIES_KEYS[series])).to_numpy()


def absurd_mask(series: str, df: pd.DataFrame) -> np.ndarray:
    """Rows whose own values are absurd: what a live feed drops before storing (a snapshot would refuse them)."""
    mask = np.zeros(len(df), bool)
    for _what, bad in _value_checks(series, df) if len(df) else ():
        mask |= bad
    return mask


def absurd_rows(series: str, df: pd.DataFrame,
                exchange_codes: tuple[np.ndarray, list[str]] | None = None) -> list[tuple[str, int]]:
    """``[(what is wrong, rows), ...]`` for one normalized series frame; empty when sane.
    ``exchange_codes``: the rows' exchange as codes into distinct names, where the caller has them."""
    if len(df) == 0:
        return []
    ts = df["ts"].to_numpy()
    codes = exchange_codes if exchange_codes is not None else _exchange_codes(df)
    checks = _value_checks(series, df, codes)
    checks[1:1] = [("timestamps out of order", np.diff(ts) < 0), ("duplicate rows", _duplicates(series, df, codes))]
    return [(what, int(np.count_nonzero(bad))) for what, bad in checks if np.count_nonzero(bad)]


def describe_absurd(frames_series: Mapping[str, pd.DataFrame],
                    exchange_codes: Mapping[str, tuple[np.ndarray, list[str]]] | None = None) -> str | None:
    """One plain line naming the first table with absurd values and how many rows, or None when all sane."""
    for name, df in frames_series.items():
        problems = absurd_rows(name, df, (exchange_codes or {}).get(name))
        if problems:
            parts = "; ".join(f"{n} row{'s' if n != 1 else ''} with {what}" for what, n in problems)
            return f"table {name} has absurd values: {parts}"
    return None
