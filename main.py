"""Cascade's entry point: parse arguments, then start the window or run one headless command.

Headless commands (report, import, snapshot, liqprice, study, evaluate) never import Qt. Their argument
contracts are relied on by users and checks: keep them stable.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn, Sequence

COMMANDS = ("report", "import", "snapshot", "liqprice", "study", "evaluate")


def _venue_names() -> tuple[str, ...]:
    from market.venues import VENUE_NAMES  # plain data, no ccxt: cheap at parse time

    return VENUE_NAMES


def app_version() -> str:
    """The version from package metadata: one source of truth (pyproject.toml)."""
    from importlib import metadata

    try:
        return metadata.version("cascade-liquidations")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments in one line on stderr and exits 2, with no usage dump."""

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())  # an argument holding a newline still gives one line
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def gui_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cascade", description="Cascade: a liquidation-map terminal for crypto perpetual futures.")
    p.add_argument("--version", action="version", version=f"cascade {app_version()}")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--demo", action="store_true", help="the built-in demo market (simulated data)")
    src.add_argument("--live", action="store_true", help="live exchanges through ccxt (the default)")
    src.add_argument("--open", metavar="FILE", help="open a snapshot file (works offline)")
    p.add_argument("--seed", type=_non_negative_int, default=7, help="demo market seed (default 7)")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="demo market speed factor (default 1)")
    p.add_argument("--symbol", default="BTC/USDT:USDT", help="market symbol (default BTC/USDT:USDT)")
    p.add_argument("--screenshot", metavar="FILE.png", help="save the window to PNG once data is drawn, then exit")
    p.add_argument("--quit-after", type=_positive_float, metavar="SECONDS", help="exit after this many seconds")
    return p


def command_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cascade")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("report", help="what the seed article says, computed")
    rs = r.add_mutually_exclusive_group(required=True)
    rs.add_argument("--demo", action="store_true")
    rs.add_argument("--open", metavar="FILE")
    r.add_argument("--seed", type=_non_negative_int, default=7)
    r.add_argument("--at", metavar="TIME", help='UTC time, e.g. "2026-01-30 21:00" (default: the end of the data)')
    r.add_argument("--days", type=_positive_int, default=16)
    r.add_argument("--up", type=_positive_float, metavar="PRICE")
    r.add_argument("--down", type=_positive_float, metavar="PRICE")
    r.add_argument("--since", metavar="DATE", help='also give OI change since this UTC date, e.g. "2025-10-01"')
    r.add_argument("--symbol", default=None)
    r.add_argument("--json", action="store_true")

    i = sub.add_parser("import", help="import Binance archive, Coinalyze, OHLCV or open-interest files into a snapshot")
    i.add_argument("paths", nargs="+", metavar="FILES_OR_DIRS")
    i.add_argument("--out", required=True, metavar="FILE.cascade")
    i.add_argument("--exchange", default=None)
    i.add_argument("--symbol", default=None)
    i.add_argument("--oi-unit", choices=("base", "contracts", "usd"), default=None,
                   help="what a plain open-interest CSV counts (with --exchange and --symbol)")
    i.add_argument("--contract-size", type=_positive_float, default=None, metavar="SIZE",
                   help="one contract: base asset if linear, USD if inverse (with --oi-unit contracts)")
    i.add_argument("--liq-unit", choices=("base", "usd"), default=None,
                   help="what a t,l,s liquidation CSV not named after its Coinalyze symbol counts")

    s = sub.add_parser("snapshot", help="write a snapshot file")
    ss = s.add_mutually_exclusive_group(required=True)
    ss.add_argument("--demo", action="store_true")
    ss.add_argument("--live", action="store_true")
    s.add_argument("--days", type=_positive_float, default=30)
    s.add_argument("--out", required=True, metavar="FILE.cascade")
    s.add_argument("--seed", type=_non_negative_int, default=7)
    s.add_argument("--symbol", default="BTC/USDT:USDT")

    q = sub.add_parser("liqprice", help="liquidation price of a perpetual position (each exchange's published formula)")
    q.add_argument("--side", choices=("long", "short"), required=True)
    q.add_argument("--qty", type=_positive_float, required=True)
    q.add_argument("--entry", type=_positive_float, required=True)
    q.add_argument("--wallet", type=_finite_float, required=True)
    q.add_argument("--mmr", type=_finite_float)
    q.add_argument("--cum", type=_finite_float)
    q.add_argument("--leverage", type=_positive_float)
    q.add_argument("--symbol", default=None)
    q.add_argument("--exchange", choices=_venue_names(), default="binance")
    q.add_argument("--other-mm", type=_finite_float, default=0.0)
    q.add_argument("--other-upnl", type=_finite_float, default=0.0)
    q.add_argument("--json", action="store_true")

    st = sub.add_parser("study", help="did the liquidation imbalance predict the next move?")
    sts = st.add_mutually_exclusive_group(required=True)
    sts.add_argument("--demo", action="store_true")
    sts.add_argument("--open", metavar="FILE")
    st.add_argument("--seed", type=_non_negative_int, default=7)
    st.add_argument("--from", dest="start", metavar="TIME")
    st.add_argument("--to", dest="end", metavar="TIME")
    st.add_argument("--every", default="1h")
    st.add_argument("--band", type=_positive_float, default=10.0)
    st.add_argument("--horizon", default="24h")
    st.add_argument("--days", type=_positive_float, default=None, help="demo: days of history to simulate")
    st.add_argument("--json", action="store_true")

    from commands.evaluate_cmd import add_arguments as evaluate_arguments

    evaluate_arguments(sub.add_parser("evaluate", help="score the map on recorded liquidations"))
    return p


def _warn_old_ccxt() -> None:
    """Live mode with a ccxt too old for the venues' stream routes: say so on the command line too."""
    from market.live.ccxt_version import problem

    text = problem()
    if text:
        sys.stderr.write(f"cascade: warning: {text}\n")


def run(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        args = command_parser().parse_args(argv)
        module = importlib.import_module(f"commands.{args.command}_cmd")
        from commands.errors import run_command

        return run_command(module.run, args)
    args = gui_parser().parse_args(argv)
    if not args.demo and not args.open:
        _warn_old_ccxt()
    from gui.app import run_app  # Qt is imported only on this path

    return run_app(args, app_version())


if __name__ == "__main__":
    sys.exit(run())
