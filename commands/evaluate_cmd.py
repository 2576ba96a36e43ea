"""`cascade evaluate --open FILE [--from T] [--to T] [--json]`: score the map on the recorded liquidations
of a snapshot or a live store (``analytics.evaluate``), hour by hour, without look-ahead.

Prints the scores with their baselines and intervals, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json

from analytics.evaluate import CAVEAT, Evaluation, EvaluationError, evaluate, scores_table, summary_text
from analytics.report import utc_minute
from commands.errors import CommandError
from commands.inputs import snapshot_frames
from commands.study_cmd import parse_time


HELP = "score the map on recorded liquidations"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--open", metavar="FILE", required=True, help="a snapshot or live store with candles, OI and liquidations")
    p.add_argument("--from", dest="start", metavar="TIME")
    p.add_argument("--to", dest="end", metavar="TIME")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    start = parse_time(args.start, "--from") if args.start else None
    end = parse_time(args.end, "--to") if args.end else None
    if start is not None and end is not None and start >= end:
        raise CommandError(f"--from {utc_minute(start)} is not before --to {utc_minute(end)}")
    frames, params = snapshot_frames(args.open)
    minute_sums = getattr(frames, "liquidation_minutes", None)
    if len(frames.candles) == 0:
        raise CommandError(f"{args.open}: no candles: nothing to score")
    if len(frames.open_interest) == 0:
        raise CommandError(f"{args.open}: no open interest: the map cannot be scored (it needs OI to place positions)")
    if len(frames.liquidations) == 0 and (minute_sums is None or len(minute_sums) == 0):
        raise CommandError(f"{args.open}: no recorded liquidations (events or per-minute sums) to score the map against")
    try:
        result = evaluate(frames.candles, frames.open_interest, frames.liquidations, minute_sums,
                          start_ms=start, end_ms=end, params=params, timeframe_ms=frames.timeframe_ms)
    except EvaluationError as exc:
        raise CommandError(f"{args.open}: {exc}") from None
    if args.json:
        out = result.to_json_dict()
        out.update(symbol=frames.symbol, first=utc_minute(result.first_ms), last=utc_minute(result.last_ms))
        print(json.dumps(out, allow_nan=False))
    else:
        print(to_text(result, frames.symbol))
    return 0


def to_text(r: Evaluation, symbol: str) -> str:
    conf = f"{100 * r.confidence:g} %"
    lines = [f"Map scorecard, {symbol}: {r.hours} hours from {utc_minute(r.first_ms)} to {utc_minute(r.last_ms)} UTC, "
             f"venues {', '.join(r.exchanges)}; recorded volume from {r.volume_source.replace('_', ' ')}.",
             "The map as of the start of each hour (no look-ahead) against what was recorded in that hour.", ""]
    table = scores_table(r)
    width = max(len(k) for k in table)
    lines += [f"  {k:<{width}}  {v}" for k, v in table.items()]
    lines += ["", f"(intervals: {conf}, block bootstrap over hours)", summary_text(r)]
    lines += [f"Note: {n}" for n in r.notes]
    lines.append(f"Caveat: {CAVEAT}")
    return "\n".join(lines)
