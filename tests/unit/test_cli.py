"""The command-line contract of main.py: version, and bad arguments as one clear line with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.run_main import ROOT, run_main


def cascade(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run_main(*args, timeout=timeout)


def test_version_prints_package_version():
    from importlib import metadata

    out = cascade("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"cascade {metadata.version('cascade-liquidations')}"


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["--seed", "minus"],
        ["--seed", "-3"],
        ["--speed", "0"],
        ["--speed", "nan"],
        ["--quit-after", "-1"],
        ["--demo", "--open", "x.cascade"],
        ["report"],
        ["report", "--demo", "--days", "0"],
        ["liqprice", "--side", "sideways", "--qty", "1", "--entry", "1", "--wallet", "1"],
        ["liqprice", "--side", "long", "--qty", "-1", "--entry", "1", "--wallet", "1"],
        ["import", "--out", "x.cascade"],
        ["snapshot", "--out", "x.cascade"],
        ["study"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args):
    out = cascade(*args)
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "error" in lines[0]
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_headless_parsing_does_not_import_qt():
    code = (
        "import sys, main\n"
        "main.command_parser().parse_args(['report', '--demo', '--json'])\n"
        "main.gui_parser().parse_args(['--demo'])\n"
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), 'Qt imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr


def test_an_argument_with_a_newline_still_gives_one_line():
    out = cascade("--seed", "1\n2")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
