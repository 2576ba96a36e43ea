"""`cascade report (--demo [--seed N] | --open FILE) [--at T] [--days 16] [--up X] [--down Y] [--json] [--symbol S]`.

Prints what the seed article says about the market, computed by ``analytics.report.build_report``:
one sentence-style paragraph, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

from analytics.params import ModelParams
from analytics.report import build_report, iso_utc
from commands.errors import CommandError
from market.series import DEFAULT_SYMBOL, MarketFrames

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_utc(text: str, option: str = "--at") -> int:
    """'2026-01-30 21:00' (UTC; also ISO 8601 with Z or an offset, or a date) -> UTC ms."""
    s = text.strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        dt = None
        for fmt in TIME_FORMATS:
            try:
                dt = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        raise CommandError(f'{option}: not a time: {text!r} (use e.g. "2026-01-30 21:00", UTC)')
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def _demo(args: argparse.Namespace, symbol: str) -> MarketFrames:
    try:
        from market.simulator import DemoSource
    except ImportError:
        raise CommandError("the demo market is not available in this build") from None
    try:
        src = DemoSource(seed=args.seed, symbol=symbol)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    try:
        return src.history(symbol)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        src.close()


def _snapshot(path: str, symbol: str | None) -> tuple[MarketFrames, ModelParams]:
    from market.store import SnapshotError, open_snapshot

    try:
        src = open_snapshot(path)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}") from None
    try:
        have = src.info().symbols
        sym = symbol or (have[0] if have else DEFAULT_SYMBOL)
        if have and sym not in have:
            raise CommandError(f"{path}: has {', '.join(have)}, not {sym}")
        frames = src.history(sym)
        params = _saved_params(getattr(src, "model_settings", None))
    finally:
        src.close()
    return frames, params


def _saved_params(settings) -> ModelParams:
    """The model settings saved in a snapshot where they fit ModelParams; the defaults otherwise."""
    if not isinstance(settings, dict):
        return ModelParams()
    fields = set(ModelParams.__dataclass_fields__) - {"brackets"}
    given = {k: (tuple(v) if isinstance(v, list) else v) for k, v in settings.items() if k in fields}
    try:
        return ModelParams(**given)
    except (TypeError, ValueError):
        return ModelParams()


def run(args: argparse.Namespace) -> int:
    wanted_at = parse_utc(args.at) if args.at else None  # a bad --at fails before any data is loaded
    since = parse_utc(args.since, "--since") if getattr(args, "since", None) else None
    if args.open:
        frames, params = _snapshot(args.open, args.symbol)
    else:
        frames, params = _demo(args, args.symbol or DEFAULT_SYMBOL), ModelParams()
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
        oi_since_ms=since,
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
