"""`cascade report (--demo [--seed N] | --open FILE) [--at T] [--days 16] [--up X] [--down Y] [--json] [--symbol S]`.

Prints what the seed article says about the market, computed by ``analytics.report.build_report``:
one sentence-style paragraph, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json

from analytics.params import ModelParams
from analytics.report import build_report, iso_utc
from commands.argtypes import add_market_arguments, positive_float, positive_int
from commands.errors import CommandError
from commands.inputs import demo_frames, parse_utc, snapshot_frames, snapshot_frames_info
from market.series import DEFAULT_SYMBOL, EXCHANGE_NAMES


HELP = "what the seed article says, computed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_market_arguments(p)
    p.add_argument("--at", metavar="TIME", help='UTC time, e.g. "2026-01-30 21:00" (default: the end of the data)')
    p.add_argument("--days", type=positive_int, default=16)
    p.add_argument("--up", type=positive_float, metavar="PRICE")
    p.add_argument("--down", type=positive_float, metavar="PRICE")
    p.add_argument("--since", metavar="DATE", help='also give OI change since this UTC date, e.g. "2025-10-01"')
    p.add_argument("--symbol", default=None)
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    wanted_at = parse_utc(args.at, "--at") if args.at else None  # a bad --at fails before any data is loaded
    since = parse_utc(args.since, "--since") if getattr(args, "since", None) else None
    if args.open:
        frames, params, info = snapshot_frames_info(args.open, args.symbol)
        simulated = info.liquidations_simulated
    else:
        frames, params = demo_frames(args.seed, args.symbol or DEFAULT_SYMBOL), ModelParams()
        simulated = True
    span = frames.time_range()
    if span is None:
        raise CommandError("no candles in the data: nothing to report")
    at = wanted_at if wanted_at is not None else span[1]
    if at <= span[0]:
        raise CommandError(f"--at {iso_utc(at)} is before the data starts ({iso_utc(span[0])})")
    if at > span[1]:
        raise CommandError(f"--at {iso_utc(at)} is after the data ends ({iso_utc(span[1])})")
    report = build_report(
        frames.candles, frames.open_interest, frames.funding, frames.liquidations, at, args.days,
        up=args.up, down=args.down, params=params, symbol=frames.symbol, timeframe_ms=frames.timeframe_ms,
        oi_since_ms=since, liquidations_simulated=simulated, venue_labels=EXCHANGE_NAMES,
    )
    if report.price is None:
        raise CommandError(f"no candle closed by {iso_utc(at)}: nothing to report")
    if args.up is not None and args.up <= report.price:
        raise CommandError(f"--up {args.up:,.0f} is not above the price {report.price:,.0f}")
    if args.down is not None and args.down >= report.price:
        raise CommandError(f"--down {args.down:,.0f} is not below the price {report.price:,.0f}")
    if args.json:
        print(json.dumps(report.to_json_dict(), allow_nan=False))
    else:
        print(report.to_text())
    return 0
