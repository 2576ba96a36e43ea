"""Cascade's entry point: parse arguments, then start the window or run one headless command.

Headless commands (report, import, snapshot, liqprice, study, evaluate) never import Qt. Their argument
contracts are relied on by users and checks: keep them stable.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Sequence

import commands
from commands import argtypes

COMMANDS = commands.command_names()  # found in commands/, one module each


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


# The window's options share the commands' value types (one wording for one mistake).
_positive_float = argtypes.positive_float
_non_negative_int = argtypes.non_negative_int


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
    """Every headless command's sub-parser, as its own ``commands/<name>_cmd.py`` defines it."""
    p = _Parser(prog="cascade")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_subcommands(sub)
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
        from commands.errors import run_command

        return run_command(commands.load(args.command).run, args)
    args = gui_parser().parse_args(argv)
    if not args.demo and not args.open:
        _warn_old_ccxt()
    from gui.app import run_app  # Qt is imported only on this path

    return run_app(args, app_version())


if __name__ == "__main__":
    sys.exit(run())
