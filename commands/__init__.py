"""Headless commands (report, import, snapshot, liqprice, study, evaluate): market + analytics, never Qt.

A command is one module, ``commands/<name>_cmd.py``, and nothing else to edit: it exports ``HELP`` (one line
for ``--help``), ``add_arguments(parser)`` and ``run(args) -> int``. ``main.py`` finds the modules here by
name (as ``benchmarks/`` finds its ``bench_*.py``); listing the names imports none of them.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Protocol, cast

_SUFFIX = "_cmd"
# The order ``cascade --help`` has always listed them in; a new command is listed after these, by name.
_FIRST = ("report", "import", "snapshot", "liqprice", "study", "evaluate")


class Command(Protocol):
    """What a ``<name>_cmd`` module provides."""

    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def command_names(folder: Path = Path(__file__).parent) -> tuple[str, ...]:
    """Every command, without importing any (cheap: main.py asks before it knows it runs one)."""
    found = {m.name[: -len(_SUFFIX)] for m in pkgutil.iter_modules([str(folder)]) if m.name.endswith(_SUFFIX)}
    return tuple(n for n in _FIRST if n in found) + tuple(sorted(found - set(_FIRST)))


def load(name: str) -> Command:
    """The module of command ``name`` (ImportError names the module if it is missing)."""
    module: ModuleType = importlib.import_module(f"commands.{name}{_SUFFIX}")
    for attr in ("HELP", "add_arguments", "run"):
        if not hasattr(module, attr):
            raise TypeError(f"commands.{name}{_SUFFIX} has no {attr}: a command module needs HELP, add_arguments and run")
    return cast(Command, module)


def add_subcommands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """One sub-parser per command, each filled in by its own module."""
    for name in command_names():
        command = load(name)
        command.add_arguments(sub.add_parser(name, help=command.HELP))

