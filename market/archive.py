"""Importing market history from files: the walk over files and folders, and which format each file is.

Formats, each in its own module (read its doc for the columns and the unit traps):
- ``market.archive_binance``: Binance's public data archive, USDⓈ-M and COIN-M: klines, metrics,
  fundingRate, liquidationSnapshot (named as Binance names them, e.g. ``BTCUSD_PERP-liquidationSnapshot-2024-01-02.csv``);
- ``market.archive_coinalyze``: Coinalyze per-minute liquidation history, its API JSON or a ``t,l,s`` CSV;
- ``market.archive_plain``: plain OHLCV CSVs and plain open-interest CSVs, whose market (and unit) the
  command line states.

Every file is read through ``market.archive_read`` (regular files only, sizes capped, zips streamed) and
its first line is checked before a CSV parser runs. A file that cannot be read whole is skipped with a
reason; nothing is guessed or repaired. The timeframe of candles is inferred from the spacing of their
open times (the most common step).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Optional

import pandas as pd

from market.archive_binance import BINANCE, METRICS_SHIFT_MS, binance_symbol, parse_binance
from market.archive_coinalyze import is_tls_header, parse_coinalyze
from market.archive_coinalyze import parse_csv as parse_coinalyze_csv
from market.archive_common import (
    ArchiveError,
    ImportOptions,
    ImportProblem,
    Kind,
    ParsedFile,
    Skipped,
    check_csv_shape,
    check_sane,
    infer_timeframe_ms,
    plural,
    timeframe_label,
    timestamps_to_ms,
)
from market.archive_plain import base_from_candles, header_of, is_ohlcv, is_open_interest, parse_ohlcv, parse_open_interest
from market.archive_read import (
    checksum_problem,
    check_regular,
    csv_members,
    iter_input_files,
    open_regular,
    read_member,
    read_regular_file,
)
from market.series import DEFAULT_SYMBOL, SERIES_COLUMNS, MarketFrames
from cascade_vocab.units import MINUTE_MS
from cascade_vocab.names import Series

__all__ = [
    "BINANCE", "METRICS_SHIFT_MS", "ArchiveError", "ImportOptions", "ImportProblem", "ImportResult", "Kind",
    "ParsedFile", "Skipped", "binance_symbol", "import_files", "infer_timeframe_ms", "iter_input_files",
    "parse_file", "parse_files", "read_path", "timestamps_to_ms",
]

NOT_MARKET_DATA = (
    "not a Binance archive file, nor an OHLCV CSV with a header naming a time column and open, high, low, close, volume"
)
READABLE_SUFFIXES = (".csv", ".txt", ".json")


@dataclass(frozen=True)
class ImportResult:
    frames: MarketFrames
    files: tuple[ParsedFile, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    def rows(self) -> int:
        return sum(self.frames.row_counts().values())


# ----------------------------------------------------------------------------------------- one file's bytes

def parse_files(name: str, data: bytes, options: ImportOptions = ImportOptions()) -> list[ParsedFile]:
    """Parse one file's bytes (a Coinalyze JSON may hold several markets); ``name`` decides Binance files."""
    base = os.path.basename(name.replace("!", "/"))
    if not data.strip():
        raise ArchiveError("empty file")
    coinalyze = parse_coinalyze(name, base, data, options)
    if coinalyze is not None:
        return coinalyze
    check_csv_shape(data)
    binance = parse_binance(base, name, data)
    if binance is not None:
        return [binance]
    _sep, names = header_of(data)
    if is_tls_header(names):
        return [parse_coinalyze_csv(name, base, data, options)]
    if is_open_interest(names):
        return [parse_open_interest(name, data, options)]
    if is_ohlcv(names):
        return [parse_ohlcv(name, data, options.exchange)]
    raise ArchiveError(NOT_MARKET_DATA)


def parse_file(name: str, data: bytes, *, exchange: Optional[str] = None, options: Optional[ImportOptions] = None) -> ParsedFile:
    """``parse_files`` for a file that holds one market (every format but a multi-market Coinalyze JSON)."""
    opts = options or ImportOptions(exchange=exchange)
    parsed = parse_files(name, data, opts)
    if len(parsed) != 1:
        raise ArchiveError(f"holds {len(parsed)} markets")
    return parsed[0]


# ----------------------------------------------------------------------------------------- files on disk

def read_path(path: Path, *, exchange: Optional[str] = None, options: Optional[ImportOptions] = None) -> tuple[list[ParsedFile], list[Skipped]]:
    """Parse one file on disk (a zip may hold several files): what was read, and what was skipped and why."""
    opts = options or ImportOptions(exchange=exchange)
    name = str(path)
    suffix = path.suffix.lower()
    try:
        check_regular(path)  # before anything opens it: a FIFO or device must never be read
        if suffix == ".zip":
            return _read_zip(path, opts)
        if suffix in READABLE_SUFFIXES:
            return parse_files(name, read_regular_file(path), opts), []
        return [], [Skipped(name, "not a CSV, JSON or ZIP file")]
    except ArchiveError as exc:
        return [], [Skipped(name, str(exc))]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, UnicodeDecodeError) as exc:
        return [], [Skipped(name, f"damaged ZIP file ({str(exc).splitlines()[0][:80] if str(exc) else 'truncated'})")]
    except MemoryError:
        return [], [Skipped(name, "too big for the memory at hand")]
    except OSError as exc:
        return [], [Skipped(name, f"cannot read ({exc.strerror or exc})")]


def _read_zip(path: Path, options: ImportOptions) -> tuple[list[ParsedFile], list[Skipped]]:
    name = str(path)
    problem = checksum_problem(path)
    if problem:
        return [], [Skipped(name, problem)]
    parsed: list[ParsedFile] = []
    skipped: list[Skipped] = []
    with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
        members = csv_members(zf)
        if not members:
            return [], [Skipped(name, "the ZIP holds no CSV file")]
        for info in members:
            member_name = f"{name}!{info.filename}"
            try:
                parsed += parse_files(member_name, read_member(zf, info), options)
            except ArchiveError as exc:
                skipped.append(Skipped(member_name, str(exc)))
            except MemoryError:
                skipped.append(Skipped(member_name, "too big for the memory at hand"))
    return parsed, skipped


# ----------------------------------------------------------------------------------------- the import

def import_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    exchange: Optional[str] = None,
    symbol: Optional[str] = None,
    oi_unit: Optional[str] = None,
    contract_size: Optional[float] = None,
    liq_unit: Optional[str] = None,
) -> ImportResult:
    """Read every file under ``paths`` into one symbol's MarketFrames.

    ``exchange`` and ``symbol`` say what plain files are (Binance archive files say it in their names and
    are always ``binance``; Coinalyze files name their market), ``oi_unit``/``contract_size`` what a plain
    open-interest CSV counts, ``liq_unit`` what a Coinalyze CSV without its symbol in the name counts.
    Files of another symbol than the chosen one, and candle files of another timeframe than the one most
    candles have, are skipped with a reason: a snapshot holds one symbol and one candle timeframe. Raises
    ``ImportProblem`` when several symbols are found and none was chosen. ``ImportResult.frames`` is empty
    when nothing valid was found.
    """
    options = ImportOptions(exchange=exchange, symbol=symbol, oi_unit=oi_unit, contract_size=contract_size, liq_unit=liq_unit)
    parsed: list[ParsedFile] = []
    skipped: list[Skipped] = []
    for path in iter_input_files(paths):
        if path.name.endswith(".CHECKSUM"):
            continue  # used by the zip beside it
        got, bad = read_path(path, options=options)
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
    timeframe = min(candle_rows, key=lambda tf: (-candle_rows[tf], tf)) if candle_rows else MINUTE_MS
    final: list[ParsedFile] = []
    for p in kept:
        if p.timeframe_ms is not None and p.timeframe_ms != timeframe:
            skipped.append(
                Skipped(p.name, f"{timeframe_label(p.timeframe_ms)} candles, but most candles are {timeframe_label(timeframe)} (one timeframe per snapshot)")
            )
        else:
            final.append(p)
    final, priced_skips = _price_usd_open_interest(final, timeframe)
    skipped += priced_skips

    series: dict[str, list[pd.DataFrame]] = {n: [] for n in SERIES_COLUMNS}
    for p in final:
        for n, df in p.series.items():
            series[n].append(df)
    frames = MarketFrames.build(
        symbol, timeframe, **{n: (pd.concat(dfs, ignore_index=True) if dfs else None) for n, dfs in series.items()}
    )
    return ImportResult(frames, tuple(final), tuple(skipped))


def _price_usd_open_interest(files: list[ParsedFile], timeframe_ms: int) -> tuple[list[ParsedFile], list[Skipped]]:
    """Open interest known only in USD, counted in base at the same venue's candle closes (see archive_plain)."""
    pending = [p for p in files if p.needs_price]
    if not pending:
        return files, []
    candle_frames = [p.series["candles"] for p in files if Series.CANDLES in p.series]
    candles = pd.concat(candle_frames, ignore_index=True) if candle_frames else pd.DataFrame(columns=["ts", "exchange", "close"])
    candles = candles.sort_values("ts", kind="stable")
    out: list[ParsedFile] = []
    skipped: list[Skipped] = []
    for p in files:
        if not p.needs_price:
            out.append(p)
            continue
        try:
            oi, stale = base_from_candles(p.series["open_interest"], candles, timeframe_ms)
            if len(oi) == 0:
                raise ArchiveError("no open-interest row has a candle of its venue closed shortly before it to price it")
            series = {"open_interest": oi}
            check_sane(series)
        except ArchiveError as exc:
            skipped.append(Skipped(p.name, str(exc)))
            continue
        notes = p.notes + (f"open interest in USD counted in base at the close of the venue's last candle before each row",)
        if stale:
            notes += (f"{plural(stale, 'row')} without a candle closed within two timeframes before it left out",)
        out.append(replace(p, series=series, notes=notes, needs_price=False))
    return out, skipped
