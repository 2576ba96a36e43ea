"""Reading Binance's public data archive (USDⓈ-M futures) and plain OHLCV CSV files into MarketFrames.

Supported, zipped or not (https://data.binance.vision, ``data/futures/um/{daily,monthly}/...``):

- klines ``BTCUSDT-1m-2026-01-30.csv``: 12 columns ``open_time, open, high, low, close, volume,
  close_time, quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore``, with or without
  the header row newer files carry. Times are taken per value by magnitude (s, ms, µs or ns): newer
  archive files write microseconds.
- metrics ``BTCUSDT-metrics-2026-01-30.csv``: ``create_time`` (text, UTC), ``sum_open_interest`` ->
  ``oi_base``, ``sum_open_interest_value`` -> ``oi_usd``, ``count_long_short_ratio`` (the global
  long/short *account* ratio, what REST ``globalLongShortAccountRatio`` serves) -> ``long_short.ratio``.
  **Alignment**: the archive labels each value one 5-minute bucket *earlier* than REST
  ``openInterestHist`` labels the same value. Cascade dates an OI row at the instant it was known, and
  the live source uses REST's timestamps, so ``METRICS_SHIFT_MS`` (5 min) is added: imported files then
  line up with a live cache, and replay/study never see a value before REST would have published it.
- fundingRate ``BTCUSDT-fundingRate-2026-01.csv``: ``calc_time, funding_interval_hours,
  last_funding_rate``. ``calc_time`` may sit a few ms after the funding instant; it is rounded to the
  nearest whole hour (every funding interval Binance uses is a whole number of hours), so the same
  funding event gets the same key whether it came from the archive or REST. Rates may be written in
  scientific notation and may be negative.
- plain OHLCV CSV (ccxt/freqtrade style): a header naming a time column (``timestamp``, ``open_time``,
  ``open_time_ms``, ``date``, ``datetime``, ``time``, ``ts``: s, ms, µs or ISO 8601) and ``open, high,
  low, close, volume``; optional ``quote_volume`` and ``taker_buy_volume``. They do not say which market
  they are: the caller passes ``exchange`` (required) and ``symbol``.

The timeframe of candles is inferred from the spacing of their open times (the most common step).
A file that cannot be read whole is skipped with a reason; nothing is guessed or repaired.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from market.series import DEFAULT_SYMBOL, SERIES_COLUMNS, MarketFrames, normalize
from market.store_schema import absurd_rows

BINANCE = "binance"
METRICS_SHIFT_MS = 5 * 60_000
HOUR_MS = 3_600_000

KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
    "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)
FUNDING_COLUMNS = ("calc_time", "funding_interval_hours", "last_funding_rate")
TIME_COLUMNS = ("timestamp", "open_time", "open_time_ms", "date", "datetime", "time", "ts")
OHLCV_REQUIRED = ("open", "high", "low", "close", "volume")

_SYM = r"(?P<sym>[A-Z0-9]+(?:_[0-9]{6})?)"
_KLINES_RE = re.compile(rf"^{_SYM}-(?P<tf>\d+[smhdw])-\d{{4}}-\d{{2}}(?:-\d{{2}})?\.csv$")
_METRICS_RE = re.compile(rf"^{_SYM}-metrics-\d{{4}}-\d{{2}}-\d{{2}}\.csv$")
_FUNDING_RE = re.compile(rf"^{_SYM}-fundingRate-\d{{4}}-\d{{2}}\.csv$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": HOUR_MS, "d": 24 * HOUR_MS, "w": 7 * 24 * HOUR_MS}
# Quote assets of Binance's USDⓈ-M contracts; each settles in its quote asset.
_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD")


class ArchiveError(ValueError):
    """One file cannot be imported; the message says why in plain words."""


class ImportProblem(ValueError):
    """The whole import cannot proceed (e.g. the files hold several symbols and none was chosen)."""


@dataclass(frozen=True)
class ParsedFile:
    """One file's rows, in the normalized series shape."""

    name: str
    kind: str  # "klines" | "metrics" | "funding" | "ohlcv"
    symbol: Optional[str]  # None: a plain file that does not say (the import's symbol applies)
    timeframe_ms: Optional[int]  # candles only
    series: Mapping[str, pd.DataFrame]

    def rows(self) -> int:
        return sum(len(df) for df in self.series.values())


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass(frozen=True)
class ImportResult:
    frames: MarketFrames
    files: tuple[ParsedFile, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    def rows(self) -> int:
        return sum(self.frames.row_counts().values())


# ----------------------------------------------------------------------------------------- small helpers

def binance_symbol(name: str) -> str:
    """Binance's contract name -> ccxt's: 'BTCUSDT' -> 'BTC/USDT:USDT', 'BTCUSDT_240628' -> 'BTC/USDT:USDT-240628'."""
    base_name, _, expiry = name.upper().partition("_")
    for quote in _QUOTES:
        if base_name.endswith(quote) and len(base_name) > len(quote):
            sym = f"{base_name[: -len(quote)]}/{quote}:{quote}"
            return f"{sym}-{expiry}" if expiry else sym
    raise ArchiveError(f"unknown Binance contract name {name!r}")


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


def _datetimes_to_ms(when: pd.Series) -> np.ndarray:
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


def _timeframe_label(ms: int) -> str:
    for unit, size in (("w", _UNIT_MS["w"]), ("d", _UNIT_MS["d"]), ("h", HOUR_MS), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _first_line(data: bytes) -> str:
    return next(iter(data[:4096].decode("utf-8-sig", errors="replace").splitlines()), "")  # "" for b"" or a lone BOM


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_numeric_csv(name: str, data: bytes, columns: Sequence[str], *, header: bool) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            io.BytesIO(data), header=None, skiprows=1 if header else 0, encoding="utf-8-sig",
            dtype="float64", engine="c", skip_blank_lines=True,
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"not the expected numeric columns ({str(exc).splitlines()[0][:80]})") from None
    if df.shape[1] != len(columns):
        raise ArchiveError(f"{df.shape[1]} columns, expected {len(columns)}")
    df.columns = list(columns)
    if len(df) == 0:
        raise ArchiveError("no rows")
    return df


def _check_sane(series: Mapping[str, pd.DataFrame]) -> None:
    for name, df in series.items():
        problems = absurd_rows(name, df)
        if problems:
            what, n = problems[0]
            raise ArchiveError(f"{n} row{'s' if n != 1 else ''} with {what}")


# ----------------------------------------------------------------------------------------- one file each

def parse_klines(name: str, data: bytes, interval: str) -> ParsedFile:
    first = _first_line(data)
    header = bool(first) and not _is_number(first.split(",")[0])
    if header and first.split(",")[0].strip().lower() != "open_time":
        raise ArchiveError("header does not start with open_time")
    df = _read_numeric_csv(name, data, KLINE_COLUMNS, header=header)
    ts = timestamps_to_ms(df["open_time"].to_numpy())
    named_tf = int(interval[:-1]) * _UNIT_MS[interval[-1]]
    spaced_tf = infer_timeframe_ms(ts)
    if spaced_tf is not None and spaced_tf != named_tf:
        raise ArchiveError(f"rows are {_timeframe_label(spaced_tf)} apart but the name says {interval}")
    candles = pd.DataFrame(
        {
            "ts": ts, "exchange": BINANCE, "open": df["open"], "high": df["high"], "low": df["low"],
            "close": df["close"], "volume": df["volume"], "taker_buy_volume": df["taker_buy_volume"],
            "quote_volume": df["quote_volume"],
        }
    )
    series = {"candles": normalize("candles", candles)}
    _check_sane(series)
    return ParsedFile(name, "klines", None, named_tf, series)


def parse_metrics(name: str, data: bytes) -> ParsedFile:
    try:
        df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"create_time": str, "symbol": str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"unreadable CSV ({str(exc).splitlines()[0][:80]})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    need = ("create_time", "sum_open_interest", "sum_open_interest_value")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ArchiveError(f"missing metrics columns {', '.join(missing)}")
    if len(df) == 0:
        raise ArchiveError("no rows")
    try:
        try:
            when = pd.to_datetime(df["create_time"], format="%Y-%m-%d %H:%M:%S", utc=True)
        except ValueError:  # another spelling of the same UTC time (e.g. with a 'T' or fractions)
            when = pd.to_datetime(df["create_time"], format="ISO8601", utc=True)
        oi_base = pd.to_numeric(df["sum_open_interest"]).astype("float64")
        oi_usd = pd.to_numeric(df["sum_open_interest_value"]).astype("float64")
        ratio = pd.to_numeric(df["count_long_short_ratio"]).astype("float64") if "count_long_short_ratio" in df else None
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"unreadable values ({str(exc).splitlines()[0][:80]})") from None
    ts = _datetimes_to_ms(when) + METRICS_SHIFT_MS  # see module doc: alignment
    oi = pd.DataFrame({"ts": ts, "exchange": BINANCE, "oi_base": oi_base, "oi_usd": oi_usd})
    series = {"open_interest": normalize("open_interest", oi[oi["oi_base"].notna()])}
    if ratio is not None:
        ls = pd.DataFrame({"ts": ts, "exchange": BINANCE, "ratio": ratio})
        series["long_short"] = normalize("long_short", ls[ls["ratio"].notna()])
    _check_sane(series)
    return ParsedFile(name, "metrics", None, None, series)


def parse_funding(name: str, data: bytes) -> ParsedFile:
    first = _first_line(data)
    header = bool(first) and not _is_number(first.split(",")[0])
    if header and first.split(",")[0].strip().lower() != "calc_time":
        raise ArchiveError("header does not start with calc_time")
    df = _read_numeric_csv(name, data, FUNDING_COLUMNS, header=header)
    calc = timestamps_to_ms(df["calc_time"].to_numpy())
    ts = (calc + HOUR_MS // 2) // HOUR_MS * HOUR_MS  # a few ms late (or early) -> the funding instant
    funding = pd.DataFrame({"ts": ts, "exchange": BINANCE, "rate": df["last_funding_rate"]})
    series = {"funding": normalize("funding", funding)}
    _check_sane(series)
    return ParsedFile(name, "funding", None, None, series)


def parse_ohlcv(name: str, data: bytes, exchange: Optional[str]) -> ParsedFile:
    first = _first_line(data)
    sep = "," if "," in first else (";" if ";" in first else ("\t" if "\t" in first else ","))
    names = [c.strip().strip('"').lower() for c in first.split(sep)]
    time_col = next((c for c in TIME_COLUMNS if c in names), None)
    if time_col is None or any(c not in names for c in OHLCV_REQUIRED):
        raise ArchiveError(
            "not a Binance archive file, nor an OHLCV CSV with a header naming a time column and open, high, low, close, volume"
        )
    if not exchange:
        raise ArchiveError("a plain OHLCV file does not say its exchange: pass --exchange (and --symbol)")
    try:
        df = pd.read_csv(io.BytesIO(data), sep=sep, encoding="utf-8-sig", dtype=str, engine="c")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"unreadable CSV ({str(exc).splitlines()[0][:80]})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    if len(df) == 0:
        raise ArchiveError("no rows")
    raw_time = df[time_col].str.strip()
    numeric_time = pd.to_numeric(raw_time, errors="coerce")
    if numeric_time.notna().all():
        ts = timestamps_to_ms(numeric_time.to_numpy())
    else:
        try:
            when = pd.to_datetime(raw_time, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            raise ArchiveError(f"column {time_col} holds neither epoch numbers nor ISO 8601 times") from None
        if when.isna().any():
            raise ArchiveError(f"column {time_col} has empty times")
        ts = _datetimes_to_ms(when)
    try:
        values = {c: pd.to_numeric(df[c]).astype("float64").to_numpy() for c in OHLCV_REQUIRED}
        for opt, aliases in (("quote_volume", ("quote_volume", "quote_asset_volume")), ("taker_buy_volume", ("taker_buy_volume", "taker_buy_base_volume"))):
            col = next((a for a in aliases if a in df.columns), None)
            values[opt] = pd.to_numeric(df[col]).astype("float64").to_numpy() if col else np.full(len(df), np.nan)
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"non-numeric prices or volumes ({str(exc).splitlines()[0][:80]})") from None
    timeframe = infer_timeframe_ms(ts)
    if timeframe is None:
        raise ArchiveError("a single candle: cannot infer the timeframe from the spacing")
    candles = pd.DataFrame({"ts": ts, "exchange": exchange, **values})
    series = {"candles": normalize("candles", candles)}
    _check_sane(series)
    return ParsedFile(name, "ohlcv", None, timeframe, series)


def parse_file(name: str, data: bytes, *, exchange: Optional[str] = None) -> ParsedFile:
    """Parse one CSV's bytes; ``name`` (a file name) decides whether it is a Binance archive file."""
    base = os.path.basename(name.replace("!", "/"))
    if not data.strip():
        raise ArchiveError("empty file")
    m = _KLINES_RE.match(base)
    if m:
        return _with_symbol(parse_klines(name, data, m.group("tf")), m.group("sym"))
    m = _METRICS_RE.match(base)
    if m:
        parsed = parse_metrics(name, data)
        return _with_symbol(parsed, m.group("sym"))
    m = _FUNDING_RE.match(base)
    if m:
        return _with_symbol(parse_funding(name, data), m.group("sym"))
    return parse_ohlcv(name, data, exchange)


def _with_symbol(parsed: ParsedFile, binance_name: str) -> ParsedFile:
    return ParsedFile(parsed.name, parsed.kind, binance_symbol(binance_name), parsed.timeframe_ms, parsed.series)


# ----------------------------------------------------------------------------------------- files on disk

def iter_input_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The given files, and every file under the given directories (sorted, hidden files left out)."""
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        yield Path(root) / f
        else:
            yield p


def _checksum_problem(path: Path) -> Optional[str]:
    """Binance publishes ``X.zip.CHECKSUM`` ("<sha256>  X.zip") beside each zip: verify it when present."""
    sidecar = path.with_name(path.name + ".CHECKSUM")
    if not sidecar.is_file():
        return None
    try:
        expected = sidecar.read_text(errors="replace").split()[0].lower()
    except (OSError, IndexError):
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return None if digest == expected else "does not match its .CHECKSUM file (damaged download?)"


def read_path(path: Path, *, exchange: Optional[str] = None) -> tuple[list[ParsedFile], list[Skipped]]:
    """Parse one file on disk (a zip may hold several CSVs): what was read, and what was skipped and why."""
    name = str(path)
    if not path.exists():
        return [], [Skipped(name, "no such file")]
    suffix = path.suffix.lower()
    try:
        if suffix == ".zip":
            problem = _checksum_problem(path)
            if problem:
                return [], [Skipped(name, problem)]
            parsed, skipped = [], []
            with zipfile.ZipFile(path) as zf:
                members = [i for i in zf.infolist() if not i.is_dir()]
                csvs = [i for i in members if i.filename.lower().endswith(".csv")]
                if not csvs:
                    return [], [Skipped(name, "the ZIP holds no CSV file")]
                for info in csvs:
                    member_name = f"{name}!{info.filename}"
                    try:
                        parsed.append(parse_file(member_name, zf.read(info), exchange=exchange))
                    except ArchiveError as exc:
                        skipped.append(Skipped(member_name, str(exc)))
            return parsed, skipped
        if suffix in (".csv", ".txt"):
            return [parse_file(name, path.read_bytes(), exchange=exchange)], []
        return [], [Skipped(name, "not a CSV or ZIP file")]
    except ArchiveError as exc:
        return [], [Skipped(name, str(exc))]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, UnicodeDecodeError) as exc:
        return [], [Skipped(name, f"damaged ZIP file ({str(exc).splitlines()[0][:80] if str(exc) else 'truncated'})")]
    except OSError as exc:
        return [], [Skipped(name, f"cannot read ({exc.strerror or exc})")]


def import_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    exchange: Optional[str] = None,
    symbol: Optional[str] = None,
) -> ImportResult:
    """Read every file under ``paths`` into one symbol's MarketFrames.

    ``exchange`` and ``symbol`` say what plain OHLCV files are (Binance archive files say it in their
    names and are always ``binance``). Files of another symbol than the chosen one, and candle files of
    another timeframe than the one most candles have, are skipped with a reason: a snapshot holds one
    symbol and one candle timeframe. Raises ``ImportProblem`` when several symbols are found and none
    was chosen. ``ImportResult.frames`` is empty when nothing valid was found.
    """
    parsed: list[ParsedFile] = []
    skipped: list[Skipped] = []
    for path in iter_input_files(paths):
        if path.name.endswith(".CHECKSUM"):
            continue  # used by the zip beside it
        got, bad = read_path(path, exchange=exchange)
        parsed += got
        skipped += bad

    named = sorted({p.symbol for p in parsed if p.symbol})
    if symbol is None:
        if len(named) > 1:
            raise ImportProblem(f"the files hold several symbols ({', '.join(named)}): choose one with --symbol")
        symbol = named[0] if named else DEFAULT_SYMBOL
    kept: list[ParsedFile] = []
    for p in parsed:
        if p.symbol is not None and p.symbol != symbol:
            skipped.append(Skipped(p.name, f"is {p.symbol}, not {symbol}"))
        else:
            kept.append(p)

    candle_rows: Counter[int] = Counter()
    for p in kept:
        if p.timeframe_ms is not None:
            candle_rows[p.timeframe_ms] += len(p.series["candles"])
    timeframe = min(candle_rows, key=lambda tf: (-candle_rows[tf], tf)) if candle_rows else 60_000
    final: list[ParsedFile] = []
    for p in kept:
        if p.timeframe_ms is not None and p.timeframe_ms != timeframe:
            skipped.append(
                Skipped(p.name, f"{_timeframe_label(p.timeframe_ms)} candles, but most candles are {_timeframe_label(timeframe)} (one timeframe per snapshot)")
            )
        else:
            final.append(p)

    series: dict[str, list[pd.DataFrame]] = {n: [] for n in SERIES_COLUMNS}
    for p in final:
        for n, df in p.series.items():
            series[n].append(df)
    frames = MarketFrames.build(
        symbol, timeframe, **{n: (pd.concat(dfs, ignore_index=True) if dfs else None) for n, dfs in series.items()}
    )
    return ImportResult(frames, tuple(final), tuple(skipped))
