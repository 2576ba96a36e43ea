"""A headless command is one module: main.py finds ``commands/<name>_cmd.py`` without a table to edit."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import commands
import main

ROOT = Path(__file__).resolve().parents[2]


def test_every_cmd_module_is_a_command_and_nothing_else_is():
    on_disk = {p.stem[: -len("_cmd")] for p in (ROOT / "commands").glob("*_cmd.py")}
    assert set(main.COMMANDS) == on_disk
    # The order --help has always shown; anything new comes after it.
    assert main.COMMANDS[:6] == ("report", "import", "snapshot", "liqprice", "study", "evaluate")


def test_a_new_module_in_the_folder_is_discovered(tmp_path):
    (tmp_path / "hello_cmd.py").write_text("HELP = 'hi'\n")
    (tmp_path / "helpers.py").write_text("")
    (tmp_path / "abc_cmd.py").write_text("")
    assert commands.command_names(tmp_path) == ("abc", "hello")


def test_each_command_parses_its_own_arguments():
    parser = main.command_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == main.COMMANDS
    for name in main.COMMANDS:
        assert commands.load(name).HELP  # shown by `cascade --help`
    args = parser.parse_args(["liqprice", "--side", "long", "--qty", "1", "--entry", "100", "--wallet", "10", "--mmr", "0.004", "--cum", "0"])
    assert (args.command, args.side, args.qty, args.exchange) == ("liqprice", "long", 1.0, "binance")


def test_a_module_without_run_is_refused_by_name(monkeypatch):
    import sys
    import types

    fake = types.ModuleType("commands.broken_cmd")
    fake.HELP = "x"
    fake.add_arguments = lambda p: None
    monkeypatch.setitem(sys.modules, "commands.broken_cmd", fake)
    with pytest.raises(TypeError, match="broken_cmd has no run"):
        commands.load("broken")
