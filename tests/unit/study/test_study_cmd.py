"""`python main.py study` end to end in a subprocess: JSON keys, the text table, and one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from analytics.study import run_study
from market.series import MarketFrames
from market.store import save_snapshot
from tests.unit.study.markets import MINUTE, T0, no_feedback_market
from tests.run_main import run_main

BUCKET_KEYS = {"imbalance_min", "imbalance_max", "n", "mean_return_pct", "heavier_first_rate", "ci_low", "ci_high"}


def cascade(*args: str) -> subprocess.CompletedProcess:
    return run_main("study", *args)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> tuple[Path, MarketFrames]:
    candles, oi = no_feedback_market(3, seed=9)
    frames = MarketFrames.build(candles=candles, open_interest=oi)
    path = save_snapshot(frames, tmp_path_factory.mktemp("study") / "walk.cascade", source_kind="demo")
    return path, frames


def test_demo_json_has_the_contract_keys():
    out = cascade("--demo", "--seed", "3", "--days", "3", "--every", "1h", "--horizon", "4h", "--band", "1", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"observations", "buckets", "spearman", "base_rate"} <= set(d)
    assert d["observations"] == sum(b["n"] for b in d["buckets"]) > 30  # 2 days of hourly steps, less the horizon
    assert len(d["buckets"]) == 5
    for b in d["buckets"]:
        assert BUCKET_KEYS <= set(b)
        assert 0 <= b["ci_low"] <= b["heavier_first_rate"] <= b["ci_high"] <= 1
        assert b["imbalance_min"] <= b["imbalance_max"]
    mins = [b["imbalance_min"] for b in d["buckets"]]
    assert mins == sorted(mins)
    assert 0 <= d["base_rate"] <= 1 and -1 <= d["spearman"] <= 1
    assert d["every"] == "1h" and d["horizon"] == "4h" and d["band_pct"] == 1.0 and d["block_len"] == 4
    assert any("overlap" in n for n in d["notes"]) and any("past" in n for n in d["notes"])
    assert d["first"] == "2026-01-02 00:00"  # a day of warm-up after the demo's start


def test_snapshot_study_matches_the_pure_function_and_respects_from_to(snapshot):
    path, frames = snapshot
    out = cascade("--open", str(path), "--from", "2026-01-01 12:00", "--to", "2026-01-02T18:00Z", "--every", "30m",
                  "--horizon", "2h", "--band", "0.5", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    want = run_study(frames.candles, frames.open_interest, every_ms=30 * MINUTE, horizon_ms=120 * MINUTE,
                     band_pct=0.5, start_ms=T0 + 12 * 60 * MINUTE, end_ms=T0 + 42 * 60 * MINUTE)
    assert d["observations"] == want.n == 61  # 12:00 to next day 18:00 every 30 min
    assert d["first"] == "2026-01-01 12:00" and d["last"] == "2026-01-02 18:00"
    assert d["spearman"] == pytest.approx(want.spearman)
    assert d["base_rate"] == pytest.approx(want.base_rate)
    assert [b["n"] for b in d["buckets"]] == [b.n for b in want.buckets]


def test_text_output_is_a_table_with_the_caveat(snapshot):
    path, _ = snapshot
    out = cascade("--open", str(path), "--every", "1h", "--horizon", "4h", "--band", "1")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "observations every 1h" in text and "heavier 1st" in text and "base rate" in text
    assert "Spearman" in text
    assert "an estimate of an estimate" in text.lower() and "past \u2260 future" in text
    assert "block bootstrap" in text
    assert len([line for line in text.splitlines() if "\u2013" in line and "%" in line]) == 5  # five bucket rows


@pytest.mark.parametrize("args, message", [
    (["--every", "7x"], "--every: not a duration"),
    (["--horizon", "0h"], "--horizon: not a duration"),
    (["--from", "yesterday"], "--from: not a time"),
    (["--to", "2026-13-40"], "--to: not a time"),
    (["--from", "2026-01-03", "--to", "2026-01-02"], "is after --to"),
    (["--band", "150"], "--band 150"),
])
def test_bad_values_fail_in_one_line(args, message):
    out = cascade("--demo", "--days", "1", *args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("cascade study: ") and message in out.stderr


def test_bad_files_and_ranges_fail_in_one_line(tmp_path, snapshot):
    path, _ = snapshot
    junk = tmp_path / "junk.cascade"
    junk.write_bytes(b"not a database" * 100)
    cases = [
        (["--open", str(tmp_path / "missing.cascade")], "missing.cascade"),
        (["--open", str(junk)], "junk.cascade"),
        (["--open", str(path), "--from", "2027-01-01"], "after the data ends"),
        (["--open", str(path), "--horizon", "5d"], "full 5d horizon"),
    ]
    for args, message in cases:
        out = cascade(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        assert message in out.stderr, out.stderr


def test_every_finer_than_the_candles_is_refused(tmp_path):
    candles, oi = no_feedback_market(3, seed=2)
    hourly = candles[(candles["ts"] - T0) % (60 * MINUTE) == 0]
    frames = MarketFrames.build(timeframe_ms=60 * MINUTE, candles=hourly, open_interest=oi)
    path = save_snapshot(frames, tmp_path / "hourly.cascade", source_kind="demo")
    out = cascade("--open", str(path), "--every", "15m")
    assert out.returncode == 2
    assert "--every must be a multiple of the candles' timeframe (60 min)" in out.stderr
