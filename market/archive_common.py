"""What every importer shares: the per-file result, the errors, time units, and the checks made on a
CSV before pandas sees it. No file format lives here; see ``market.archive`` for the list of formats."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from market.store_schema import absurd_rows

from cascade_vocab.units import HOUR_MS, SECOND_MS, MINUTE_MS, DAY_MS, WEEK_MS
UNIT_MS = {"s": SECOND_MS, "m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS, "w": WEEK_MS}

# A CSV of market data has a handful of columns and short lines (a kline row is ~130 bytes). The first
# line is checked within this many bytes before any parser runs, so a file that is one 200 MB line, or a
# row of a million columns, is refused at once instead of being parsed into gigabytes.
MAX_LINE_BYTES = 4096
MAX_COLUMNS = 64


class ArchiveError(ValueError):
    """One file cannot be imported; the message says why in plain words."""


class ImportProblem(ValueError):
    """The whole import cannot proceed (e.g. the files hold several symbols and none was chosen)."""


class Kind:
    """What a parsed file holds (``ParsedFile.kind``)."""

    KLINES = "klines"
    METRICS = "metrics"
    FUNDING = "funding"
    OHLCV = "ohlcv"
    LIQUIDATIONS = "liquidations"  # single events (Binance liquidationSnapshot)
    LIQUIDATION_MINUTES = "liquidation_minutes"  # per-minute sums (Coinalyze)
    OPEN_INTEREST = "open_interest"  # a plain open-interest CSV


@dataclass(frozen=True)
class ParsedFile:
    """One file's rows, in the normalized series shape.

    ``needs_price``: open-interest rows known only in USD (``oi_usd``), whose base amount the import
    computes from the same venue's candles in the same import (``market.archive``), or drops.
    ``notes``: plain remarks the user should see (duplicates counted once, rows left out and why).
    """

    name: str
    kind: str
    symbol: Optional[str]  # None: a plain file that does not say (the import's symbol applies)
    timeframe_ms: Optional[int]  # candles only
    series: Mapping[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    needs_price: bool = False

    def rows(self) -> int:
        return sum(len(df) for df in self.series.values())


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass(frozen=True)
class ImportOptions:
    """What the command line says about files that do not say it themselves.

    ``exchange``/``symbol``: the market of plain files. ``oi_unit``: what a plain open-interest CSV's
    ``open_interest`` counts (``base``, ``contracts`` or ``usd``); ``contract_size``: one contract, in the
    base asset for a linear contract and in USD for an inverse one. ``liq_unit``: what a Coinalyze ``t,l,s``
    CSV without its symbol in the name counts (``base`` or ``usd``).
    """

    exchange: Optional[str] = None
    symbol: Optional[str] = None
    oi_unit: Optional[str] = None
    contract_size: Optional[float] = None
    liq_unit: Optional[str] = None


OI_UNITS = ("base", "contracts", "usd")
LIQ_UNITS = ("base", "usd")


# ----------------------------------------------------------------------------------------- time units

def timestamps_to_ms(values: np.ndarray) -> np.ndarray:
    """Epoch times in s, ms, µs or ns -> ms, decided per value by magnitude (2009-2100 in each unit)."""
    v = np.asarray(values, dtype="float64")
    if v.size == 0:
        return v.astype("int64")
    if not np.isfinite(v).all():
        raise ArchiveError("missing or non-numeric timestamps")
    a = np.abs(v)
    scale = np.select([a >= 1e17, a >= 1e14, a >= 1e11, a >= 1e8], [1e-6, 1e-3, 1.0, 1e3], default=np.nan)
    if np.isnan(scale).any():
        raise ArchiveError("timestamps are neither seconds, milliseconds nor microseconds since 1970")
    return np.rint(v * scale).astype("int64")


def datetimes_to_ms(when: pd.Series) -> np.ndarray:
    # pandas 3 picks the resolution (s, ms, us, ns) from the text: convert explicitly, never assume ns.
    return when.dt.as_unit("ms").astype("int64").to_numpy()


def infer_timeframe_ms(ts: np.ndarray) -> Optional[int]:
    """The most common positive step between sorted open times (gaps do not fool it); None under 2 times."""
    t = np.unique(np.asarray(ts, dtype="int64"))
    if t.size < 2:
        return None
    steps, counts = np.unique(np.diff(t), return_counts=True)
    best = steps[counts == counts.max()]
    return int(best.min())


def timeframe_label(ms: int) -> str:
    for unit, size in (("w", UNIT_MS["w"]), ("d", UNIT_MS["d"]), ("h", HOUR_MS), ("m", MINUTE_MS), ("s", SECOND_MS)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


# ----------------------------------------------------------------------------------------- CSV text

def first_line(data: bytes) -> str:
    """The first line, read within ``MAX_LINE_BYTES`` ("" for b"" or a lone BOM)."""
    return next(iter(data[:MAX_LINE_BYTES].decode("utf-8-sig", errors="replace").splitlines()), "")


def check_csv_shape(data: bytes) -> None:
    """Refuse a CSV whose first line is longer or wider than market data can be, before any parser runs."""
    head = data[: MAX_LINE_BYTES + 1]
    end = head.find(b"\n")
    if end < 0 and len(data) > MAX_LINE_BYTES:
        raise ArchiveError(f"the first line is longer than {MAX_LINE_BYTES:,} bytes: not a CSV of market data")
    line = head if end < 0 else head[:end]
    fields = max(line.count(sep) for sep in (b",", b";", b"\t")) + 1
    if fields > MAX_COLUMNS:
        raise ArchiveError(f"{fields:,} columns in the first line (market data has at most {MAX_COLUMNS}): not a CSV of market data")


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def first_error_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:80] if text else type(exc).__name__


def read_numeric_csv(data: bytes, columns: Sequence[str], *, header: bool) -> pd.DataFrame:
    """A headerless (or header-skipped) all-numeric CSV with exactly ``columns``."""
    try:
        df = pd.read_csv(
            io.BytesIO(data), header=None, skiprows=1 if header else 0, encoding="utf-8-sig",
            dtype="float64", engine="c", skip_blank_lines=True,
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"not the expected numeric columns ({first_error_line(exc)})") from None
    if df.shape[1] != len(columns):
        raise ArchiveError(f"{df.shape[1]} columns, expected {len(columns)}")
    df.columns = list(columns)
    if len(df) == 0:
        raise ArchiveError("no rows")
    return df


def read_text_csv(data: bytes, *, sep: str = ",") -> pd.DataFrame:
    """A CSV with a header row, every value as text, column names stripped and lower-cased."""
    try:
        df = pd.read_csv(io.BytesIO(data), sep=sep, encoding="utf-8-sig", dtype=str, engine="c")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"unreadable CSV ({first_error_line(exc)})") from None
    df.columns = [str(c).strip().strip('"').lower() for c in df.columns]
    if len(df) == 0:
        raise ArchiveError("no rows")
    return df


def numbers(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """One text column as float64; a value that is not a number refuses the file (never read as 0)."""
    try:
        return pd.to_numeric(df[column].str.strip()).astype("float64").to_numpy()
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"non-numeric {what} ({first_error_line(exc)})") from None


def check_sane(series: Mapping[str, pd.DataFrame]) -> None:
    for name, df in series.items():
        problems = absurd_rows(name, df)
        if problems:
            what, n = problems[0]
            raise ArchiveError(f"{n} row{'s' if n != 1 else ''} with {what}")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
