"""`cascade study (--open FILE | --demo [--seed N] [--days D]) [--from T] [--to T] [--every 1h] [--band 10]
[--horizon 24h] [--json]`: did the liquidation imbalance predict the next move? (``analytics.study``)

Prints a table by imbalance bucket and an honest caveat, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import re

from analytics.params import ModelParams
from analytics.report import utc_minute
from analytics.study import CAVEAT, StudyResult, duration_text, edge_word, run_study
from commands.argtypes import add_market_arguments, positive_float
from commands.errors import CommandError
from commands.inputs import demo_frames, parse_utc, snapshot_frames
from cascade_vocab.units import MINUTE_MS, HOUR_MS, DAY_MS
from cascade_vocab.formatting import format_ratio

DEMO_DAYS = 60.0
UNITS_MS = {"m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
TIME_HINT = '"2026-01-30 21:00", UTC, or ISO 8601'


def parse_duration(text: str, option: str) -> int:
    """'15m', '1h', '4h', '1d' -> milliseconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text or "")
    if not m or int(m.group(1)) <= 0:
        raise CommandError(f'{option}: not a duration: {text!r} (use e.g. "15m", "1h", "4h", "1d")')
    return int(m.group(1)) * UNITS_MS[m.group(2)]


def parse_time(text: str, option: str) -> int:
    """ISO 8601 (with Z or an offset) or 'YYYY-MM-DD HH:MM' (UTC) -> UTC ms."""
    return parse_utc(text, option, TIME_FORMATS, hint=TIME_HINT)


HELP = "did the liquidation imbalance predict the next move?"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_market_arguments(p)
    p.add_argument("--from", dest="start", metavar="TIME")
    p.add_argument("--to", dest="end", metavar="TIME")
    p.add_argument("--every", default="1h")
    p.add_argument("--band", type=positive_float, default=10.0)
    p.add_argument("--horizon", default="24h")
    p.add_argument("--days", type=positive_float, default=None, help="demo: days of history to simulate")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    every = parse_duration(args.every, "--every")
    horizon = parse_duration(args.horizon, "--horizon")
    start = parse_time(args.start, "--from") if args.start else None
    end = parse_time(args.end, "--to") if args.end else None
    if start is not None and end is not None and start > end:
        raise CommandError(f"--from {utc_minute(start)} is after --to {utc_minute(end)}")
    if not args.band < 100:
        raise CommandError(f"--band {args.band:g}: must be below 100 (%)")
    if args.open:
        frames, params = snapshot_frames(args.open)
    else:
        frames, params = demo_frames(args.seed, history_days=args.days or DEMO_DAYS), ModelParams()
    span = frames.time_range()
    if span is None:
        raise CommandError("no candles in the data: nothing to study")
    tf = frames.timeframe_ms
    for option, value in (("--every", every), ("--horizon", horizon)):
        if value % tf:
            raise CommandError(f"{option} must be a multiple of the candles' timeframe ({tf // MINUTE_MS} min)")
    if start is not None and start >= span[1]:
        raise CommandError(f"--from {utc_minute(start)} is after the data ends ({utc_minute(span[1])})")
    if end is not None and end <= span[0]:
        raise CommandError(f"--to {utc_minute(end)} is before the data starts ({utc_minute(span[0])})")
    try:
        result = run_study(frames.candles, frames.open_interest, every_ms=every, horizon_ms=horizon,
                           band_pct=float(args.band), start_ms=start, end_ms=end, params=params, timeframe_ms=tf)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if result.n == 0:
        raise CommandError(f"no step between {utc_minute(span[0])} and {utc_minute(span[1])} has a full {args.horizon} horizon "
                           "and a non-empty map: widen --from/--to or shorten --horizon")
    if args.json:
        out = result.to_json_dict()
        out.update(symbol=frames.symbol, source="demo" if args.demo else "snapshot",
                   first=utc_minute(int(result.observations.at_ms[0])), last=utc_minute(int(result.observations.at_ms[-1])))
        print(json.dumps(out, allow_nan=False))
    else:
        print(to_text(result, frames.symbol))
    return 0


def _pct(x) -> str:
    return "   —  " if x is None or x != x else f"{100 * x:5.1f}%"


def _ratio(x: float) -> str:
    return format_ratio(x, 2)


def to_text(r: StudyResult, symbol: str) -> str:
    o = r.observations
    conf = f"{100 * r.confidence:g}%"
    lines = [
        f"Signal study, {symbol}: {r.n} observations every {duration_text(r.every_ms)} from {utc_minute(int(o.at_ms[0]))} "
        f"to {utc_minute(int(o.at_ms[-1]))} UTC; band \u00b1{r.band_pct:g}%, horizon {duration_text(r.horizon_ms)}.",
        "Imbalance = shorts at risk within +band / longs at risk within \u2212band (the map as of each step, no look-ahead).",
        f"Band reached first: up {_pct(r.up_first_rate).strip()}, down {_pct(r.down_first_rate).strip()}, "
        f"neither {_pct(r.neither_rate).strip()}.  Heavier side first overall: {_pct(r.heavier_first_rate).strip()} "
        f"(base rate {_pct(r.base_rate).strip()}).",
        "",
        f"{'imbalance S:L':^17} {'n':>6} {'mean ret':>9} {'heavier 1st':>12} {conf + ' interval':^15} {'base':>7}  edge",
    ]
    for b in r.buckets:
        edge = edge_word(b.edge_ci)
        lines.append(
            f"{_ratio(b.imbalance_min):>8}\u2013{_ratio(b.imbalance_max):<8} {b.n:>6} {b.mean_return_pct:>+8.2f}% "
            f"{_pct(b.heavier_first_rate):>12} {_pct(b.ci_low):>7}\u2013{_pct(b.ci_high).strip():<7} "
            f"{_pct(b.base_rate):>7}  {edge}")
    lines.append("(edge: whether the interval of heavier-first rate minus base rate excludes zero)")
    rho = "n/a" if r.spearman is None else f"{r.spearman:+.3f}"
    ci = r.spearman_ci
    rho_ci = "" if ci[0] is None else f" ({conf} interval {ci[0]:+.3f} to {ci[1]:+.3f})"
    lines += ["", f"Rank correlation (Spearman) of imbalance and forward return: {rho}{rho_ci}."]
    if any(r.skipped.values()):
        lines.append("Skipped steps: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in r.skipped.items() if v) + ".")
    lines += [f"Note: {n}" for n in r.notes]
    lines.append(f"Caveat: {CAVEAT}")
    return "\n".join(lines)
