"""`cascade import FILES_OR_DIRS... --out FILE.cascade [--exchange X] [--symbol S] [--oi-unit U
[--contract-size N]] [--liq-unit U]`.

Reads Binance archive files (USDⓈ-M and COIN-M klines, metrics, fundingRate, liquidationSnapshot; zipped
or not), Coinalyze liquidation history (JSON or t,l,s CSV), plain OHLCV and open-interest CSVs into one
snapshot file (``market.archive``). Files that cannot be read are named on stderr, one line each, and
skipped; the rest are imported; remarks on imported files (duplicates counted once, unit conversions)
follow the summary on stdout, one line each. Nothing valid at all -> exit 2. Every name is printed
through ``printable``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics.report import utc_minute
from commands.argtypes import positive_float
from commands.errors import CommandError, printable
from market.archive import ArchiveError, ImportProblem, binance_symbol, import_files
from market.series import EXCHANGES, SERIES_COLUMNS, MarketFrames
from market.snapshot_file import SnapshotError, check_output_path, save_snapshot
from cascade_vocab.units import MINUTE_MS, HOUR_MS, DAY_MS
from cascade_vocab.names import Series


def _timeframe(ms: int) -> str:
    for unit, size in (("d", DAY_MS), ("h", HOUR_MS), ("m", MINUTE_MS)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms / 1000:g}s"


def describe_frames(frames: MarketFrames) -> str:
    """One line: rows per series, time range (UTC), exchanges, symbol."""
    counts = frames.row_counts()
    parts = []
    for name in SERIES_COLUMNS:
        if counts[name]:
            extra = f" ({_timeframe(frames.timeframe_ms)})" if name == Series.CANDLES else ""
            parts.append(f"{name} {counts[name]:,}{extra}")
    starts = [int(frames.series(n)["ts"].iloc[0]) for n in SERIES_COLUMNS if counts[n]]
    ends = [int(frames.series(n)["ts"].iloc[-1]) for n in SERIES_COLUMNS if counts[n]]
    rng = frames.time_range()
    if rng:
        ends.append(rng[1])
    span = f"{utc_minute(min(starts))} to {utc_minute(max(ends))} UTC" if starts else "no rows"
    return f"{', '.join(parts) or 'no rows'}; {span}; {', '.join(frames.exchanges()) or '-'}; {frames.symbol}"


HELP = "import Binance archive, Coinalyze, OHLCV or open-interest files into a snapshot"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="FILES_OR_DIRS")
    p.add_argument("--out", required=True, metavar="FILE.cascade")
    p.add_argument("--exchange", default=None)
    p.add_argument("--symbol", default=None)
    p.add_argument("--oi-unit", choices=("base", "contracts", "usd"), default=None,
                   help="what a plain open-interest CSV counts (with --exchange and --symbol)")
    p.add_argument("--contract-size", type=positive_float, default=None, metavar="SIZE",
                   help="one contract: base asset if linear, USD if inverse (with --oi-unit contracts)")
    p.add_argument("--liq-unit", choices=("base", "usd"), default=None,
                   help="what a t,l,s liquidation CSV not named after its Coinalyze symbol counts")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    exchange = args.exchange.strip().lower() if args.exchange else None
    if exchange is not None and exchange not in EXCHANGES:
        raise CommandError(f"unknown exchange {args.exchange!r}: choose one of {', '.join(EXCHANGES)}")
    try:
        check_output_path(out)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    out_resolved = out.resolve()
    paths = [p for p in args.paths if Path(p).resolve() != out_resolved]
    symbol = args.symbol.strip() if args.symbol else None
    if symbol and "/" not in symbol:  # Binance's spelling, e.g. BTCUSDT -> BTC/USDT:USDT
        try:
            symbol = binance_symbol(symbol)
        except ArchiveError:
            raise CommandError(f"unknown symbol {args.symbol!r}: use ccxt's spelling, e.g. BTC/USDT:USDT") from None
    try:
        result = import_files(
            paths, exchange=exchange, symbol=symbol, oi_unit=getattr(args, "oi_unit", None),
            contract_size=getattr(args, "contract_size", None), liq_unit=getattr(args, "liq_unit", None),
        )
    except ImportProblem as exc:
        raise CommandError(str(exc)) from None
    for s in result.skipped:
        if Path(s.name).resolve() == out_resolved:
            continue  # the output of an earlier run, inside a walked folder
        sys.stderr.write(f"cascade import: skipped {printable(s.name)}: {printable(s.reason)}\n")
    if result.frames.is_empty():
        raise CommandError("nothing to import: no readable Binance archive, Coinalyze, OHLCV or open-interest file among the given paths")
    try:
        save_snapshot(result.frames, out, source_kind="import")
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    print(f"imported {len(result.files)} file{'s' if len(result.files) != 1 else ''} into {printable(out)}: "
          f"{printable(describe_frames(result.frames))}")
    for f in result.files:
        for note in f.notes:
            print(f"  note: {printable(f.name)}: {printable(note)}")
    return 0
