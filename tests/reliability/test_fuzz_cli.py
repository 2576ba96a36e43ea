"""Fuzzing the command line: random argv lists for main.py's parsers and the quick commands.

Every argv ends in exit 0 (help, version, a computed answer) or exit 2 with exactly one line on stderr;
never a traceback. Parsing runs in-process for speed; commands that finish at once on bad input
(liqprice; import/report/study pointed at missing files) run in-process too; a few argvs go through a
real ``python main.py`` subprocess. The GUI is never started: argvs for the window are only parsed.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from commands.errors import run_command

ROOT = Path(__file__).resolve().parents[2]
COMMAND_WORDS = list(main.COMMANDS)
OPTIONS = ["--demo", "--live", "--open", "--seed", "--speed", "--symbol", "--screenshot", "--quit-after", "--at", "--days",
           "--up", "--down", "--json", "--out", "--exchange", "--side", "--qty", "--entry", "--wallet", "--mmr", "--cum",
           "--leverage", "--other-mm", "--other-upnl", "--from", "--to", "--every", "--band", "--horizon", "--help",
           "--version", "-h", "--", "-", "--no-such-option", "--day", "--js"]
VALUES = ["0", "1", "-1", "7", "0.5", "1e3", "1e400", "nan", "inf", "-inf", "", " ", "abc", "long", "short", "binance",
          "okx", "bybit", "kraken", "BTC/USDT:USDT", "BTCUSDT", "ETH", "2026-01-30 21:00", "2026-13-45", "yesterday",
          "1h", "24h", "0h", "-5h", "9" * 30, "/nonexistent/x.cascade", "missing.csv", "é", "\u202e", "--demo=1",
          "--days=abc", "--seed=-3", "--qty=0"]
# No newline inside an argument: argparse echoes a bad argument as is, so "a\nb" would print two lines (a
# shell user cannot type it by accident; noted in the README, not a crash).
token = st.sampled_from(COMMAND_WORDS + OPTIONS + VALUES) | st.text(st.characters(blacklist_characters="\n\r"), max_size=6)
argvs = st.lists(token, max_size=8)


def _one_line_error(err: str, code: int) -> None:
    assert "Traceback" not in err, err
    if code == 2:
        lines = [l for l in err.split("\n") if l.strip()]  # split("\n"): \x1e etc. are not line breaks on a terminal
        assert all(l.startswith("cascade") for l in lines), err
        # import names each skipped file on its own line before its one error line: that is its contract
        errors = [l for l in lines if not l.startswith("cascade import: skipped ")]
        assert len(errors) == 1, f"exit 2 with {len(errors)} error lines on stderr: {err!r}"


def _runnable(args) -> bool:
    """Commands that end at once without a network or a simulated month."""
    if args.command == "liqprice":
        return True
    if args.command in ("report", "study"):
        return bool(args.open) and not Path(args.open).exists()
    if args.command == "import":
        return not any(Path(p).exists() for p in args.paths) and args.out.startswith("/nonexistent")
    return False


def parse_or_run(argv: list[str]) -> int:
    """What ``main.run`` does, in-process, minus the GUI: returns the exit code, checks stderr."""
    err, out = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            if argv and argv[0] in main.COMMANDS:
                args = main.command_parser().parse_args(argv)
                if _runnable(args):
                    module = __import__(f"commands.{args.command}_cmd", fromlist=["run"])
                    code = run_command(module.run, args)
            else:
                main.gui_parser().parse_args(argv)
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code
    assert code in (0, 2), f"exit {code} for {argv!r}: {err.getvalue()!r}"
    _one_line_error(err.getvalue(), code)
    return code


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=argvs)
def test_random_argv_exits_0_or_2_with_one_line(fuzz_cases, argv):
    parse_or_run(argv)
    fuzz_cases.add("argv")


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cmd=st.sampled_from(COMMAND_WORDS), rest=argvs)
def test_random_arguments_after_each_command(fuzz_cases, cmd, rest):
    parse_or_run([cmd, *rest])
    fuzz_cases.add("argv")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(side=st.sampled_from(["long", "short"]), qty=st.sampled_from(VALUES), entry=st.sampled_from(VALUES),
       wallet=st.sampled_from(VALUES), extra=st.lists(st.sampled_from(["--mmr", "--cum", "--leverage", "--other-mm",
                                                                        "--other-upnl", "--json", "--exchange"] + VALUES), max_size=4))
def test_liqprice_with_random_numbers_computes_or_refuses(fuzz_cases, side, qty, entry, wallet, extra):
    # The one command that computes from arguments alone: run it whole, not just parsed.
    parse_or_run(["liqprice", "--side", side, "--qty", qty, "--entry", entry, "--wallet", wallet, *extra])
    fuzz_cases.add("argv")


def test_good_liqprice_exits_0():
    assert parse_or_run(["liqprice", "--side", "long", "--qty", "1", "--entry", "84000", "--wallet", "8400"]) == 0


SUBPROCESS_ARGVS = [
    ["--days", "3"],
    ["--speed", "nan"],
    ["--demo", "--live"],
    ["report"],
    ["report", "--demo", "--days", "0"],
    ["report", "--open", "/nonexistent/x.cascade"],
    ["import", "/nonexistent/a.csv", "--out", "/nonexistent/o.cascade"],
    ["liqprice", "--side", "long", "--qty", "-1", "--entry", "1", "--wallet", "1"],
    ["liqprice", "--side", "long", "--qty", "1", "--entry", "84000", "--wallet", "8400", "--cum", "5"],
    ["study", "--open", "/nonexistent/x.cascade", "--every", "x"],
    ["snapshot", "--demo"],
    ["\u202e", "é"],
]


@pytest.mark.parametrize("argv", SUBPROCESS_ARGVS, ids=[" ".join(a) or "empty" for a in SUBPROCESS_ARGVS])
def test_real_process_exits_2_with_one_line(fuzz_cases, argv):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, (p.returncode, p.stderr[-800:])
    _one_line_error(p.stderr, p.returncode)
    fuzz_cases.add("argv")
