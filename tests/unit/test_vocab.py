"""One vocabulary (cascade_vocab): one format for a dollar figure, a ratio and a UTC time everywhere, time
units defined once, and source kinds, feed states and series names never compared as string literals."""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path

from cascade_vocab.formatting import format_ratio, format_usd, format_usd_range
from cascade_vocab.names import FeedStatus, Series, SourceKind
from cascade_vocab.units import DAY_MS, HOUR_MS, MINUTE_MS
from cascade_vocab.utc import iso_utc, utc_hhmm, utc_minute

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("analytics", "market", "gui", "commands")


def test_dollars_ratios_and_times_read_one_way():
    assert [format_usd(v) for v in (1.6e9, 2e9, 3.5e8, 12_300, 950, -1.6e9)] == ["$1.6B", "$2.0B", "$350M", "$12.3K", "$950", "-$1.6B"]
    assert format_usd_range(4.68e8, 2.2e9) == "468M\u20132.2B"
    assert [format_ratio(r) for r in (1.8, 1 / 2.5, 1.0)] == ["1.8 : 1", "1 : 2.5", "1.0 : 1"]
    assert format_ratio(math.nan) == "\u2014" and format_ratio(math.inf) == "\u221e : 1"
    assert (utc_minute(1_769_806_800_000), iso_utc(1_769_806_800_000), utc_hhmm(1_769_806_800_000)) == (
        "2026-01-30 21:00", "2026-01-30T21:00:00Z", "21:00 UTC")
    assert (MINUTE_MS, HOUR_MS, DAY_MS) == (60_000, 3_600_000, 86_400_000)


def test_the_cli_and_the_window_share_the_formats():
    from analytics import positions, report
    from gui.study import axis, summary
    from gui.widgets import imbalance

    assert report._usd is format_usd and positions.format_usd is format_usd and report.usd_range is format_usd_range
    assert imbalance.format_ratio is format_ratio and summary.format_ratio is format_ratio and axis.format_ratio is format_ratio


def test_names_compare_equal_to_the_strings_files_hold():
    assert SourceKind("snapshot") is SourceKind.SNAPSHOT and SourceKind.LIVE == "live"
    assert json.dumps({"kind": SourceKind.DEMO, "status": FeedStatus.OK}) == '{"kind": "demo", "status": "ok"}'
    assert f"{Series.OPEN_INTEREST}" == "open_interest"


def test_time_units_are_defined_once():
    defined = re.compile(r"^(MINUTE_MS|HOUR_MS|DAY_MS)\s*=", re.M)
    found = [str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if defined.search(p.read_text(encoding="utf-8"))]
    assert found == []


WORDS_EVERYWHERE = {k.value for k in SourceKind} | {s.value for s in FeedStatus} - {"ok"}  # "ok" is also SQLite's word
SERIES_WORDS = {s.value for s in Series}


def _literal_comparisons(path: Path, root: Path = ROOT) -> list[str]:
    words = WORDS_EVERYWHERE | (SERIES_WORDS if path.relative_to(root).parts[0] in ("market", "commands") else set())
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                elts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                out += [f"{path.relative_to(root)}:{node.lineno} {e.value!r}" for e in elts
                        if isinstance(e, ast.Constant) and e.value in words]
    return out


def test_kinds_states_and_series_are_compared_as_names_not_literals():
    found = [hit for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py")) for hit in _literal_comparisons(p)]
    assert found == []


def test_the_literal_check_sees_a_literal(tmp_path):
    (tmp_path / "market").mkdir()
    probe = tmp_path / "market" / "probe.py"
    probe.write_text("def f(info):\n    return info.kind == 'live' or s in ('candles', 'x')\n")
    assert _literal_comparisons(probe, tmp_path) == ["market/probe.py:2 'live'", "market/probe.py:2 'candles'"]
