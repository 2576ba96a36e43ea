"""Shared by the fuzz tests: a per-session count of cases tried per input kind, and a hang guard.

The counts are printed in pytest's terminal summary and written to ``.bench/fuzz.json`` so the README's
"Reliability" figures can quote them.
"""

from __future__ import annotations

import faulthandler
import json
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANG_S = 120  # one reliability test running this long is a hang: dump every thread's stack and fail the run
_COUNTS = pytest.StashKey[Counter]()


class FuzzCounter:
    """Cases tried per input kind (``snapshot``, ``archive_csv``, ``exchange_json``, ``websocket``, ``argv``)."""

    def __init__(self, counts: Counter) -> None:
        self._counts = counts

    def add(self, kind: str, n: int = 1) -> None:
        self._counts[kind] += n


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_COUNTS] = Counter()


@pytest.fixture
def fuzz_cases(request: pytest.FixtureRequest) -> FuzzCounter:
    return FuzzCounter(request.config.stash[_COUNTS])


@pytest.fixture(autouse=True)
def hang_guard():
    # A parser stuck in a loop would otherwise stall the whole test run silently.
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts = config.stash.get(_COUNTS, Counter())
    if not counts:
        return
    total = sum(counts.values())
    parts = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    terminalreporter.write_line(f"fuzz cases tried: {total:,} ({parts})")
    out = ROOT / ".bench" / "fuzz.json"
    try:
        out.parent.mkdir(exist_ok=True)
        previous = json.loads(out.read_text()) if out.exists() else {}
        per_kind = dict(previous.get("per_kind", {}))
        per_kind.update(counts)  # a partial run (one file) keeps the other kinds' last figures
        out.write_text(json.dumps({"written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                   "per_kind": per_kind, "total": sum(per_kind.values()),
                                   "this_run": dict(counts)}, indent=2) + "\n")
    except OSError:
        pass
