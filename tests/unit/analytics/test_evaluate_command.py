"""`python main.py evaluate`: the map scored hour by hour on recorded liquidations, run as a user does."""

from __future__ import annotations

import json

import pytest

from tests.run_main import run_main

KEYS = ("hours", "spearman_hourly", "ratio_total", "placement_share", "placement_share_baseline",
        "cluster_hit_rate", "cluster_hit_rate_random")


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("ev") / "demo.cascade"
    r = run_main("snapshot", "--demo", "--days", "4", "--seed", "11", "--out", str(path))
    assert r.returncode == 0, r.stderr
    return path


def test_evaluate_json_scores_the_simulated_events_with_baselines_and_intervals(demo_snapshot):
    r = run_main("evaluate", "--open", str(demo_snapshot), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in KEYS:
        assert key in out
    for key in KEYS[1:]:
        assert out[key + "_low"] is not None and out[key + "_low"] <= out[key] <= out[key + "_high"]
    assert out["hours"] == 3 * 24  # four days less the day of warm-up
    # The simulator liquidates where its positions sit, and the model estimates those positions: its top
    # bins must hold more of the recorded liquidations than the bins nearest the price.
    assert out["placement_share_low"] > out["placement_share_baseline_high"]
    assert out["spearman_hourly"] > 0.5


def test_evaluate_text_says_what_the_map_held_against_distance_alone(demo_snapshot):
    r = run_main("evaluate", "--open", str(demo_snapshot), "--from", "2026-01-03 00:00")
    assert r.returncode == 0, r.stderr
    assert "the map's top bands held" in r.stdout and "distance alone would hold" in r.stdout
    assert "48 hours from 2026-01-03 00:00" in r.stdout


def test_evaluate_refuses_in_one_line(tmp_path, demo_snapshot):
    r = run_main("evaluate", "--open", str(tmp_path / "missing.cascade"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = run_main("evaluate", "--open", str(demo_snapshot), "--from", "2026-01-05", "--to", "2026-01-04")
    assert r.returncode == 2 and "--from" in r.stderr
    r = run_main("evaluate")
    assert r.returncode == 2
