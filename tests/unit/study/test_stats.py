"""The statistics of the study: ranks, buckets, base rates and the block bootstrap, on hand-made observations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.study import (DOWN, NEITHER, UP, StudyObservations, block_indices, bucket_of, rank_average,
                             spearman, summarize, wilson_interval)

HOUR = 3_600_000


def obs(shorts, longs, first, ret=None) -> StudyObservations:
    shorts = np.asarray(shorts, float)
    longs = np.asarray(longs, float)
    n = len(shorts)
    ret = np.zeros(n) if ret is None else np.asarray(ret, float)
    return StudyObservations(
        at_ms=np.arange(n, dtype=np.int64) * HOUR, price=np.full(n, 100.0), shorts_at_risk_usd=shorts,
        longs_at_risk_usd=longs, forward_return_pct=ret, max_up_pct=np.maximum(ret, 0), max_down_pct=np.minimum(ret, 0),
        first=np.asarray(first, np.int8), heavier=np.sign(shorts - longs).astype(np.int8))


def test_average_ranks_and_spearman_by_hand():
    np.testing.assert_array_equal(rank_average(np.array([10, 20, 20, 30, 5])), [2, 3.5, 3.5, 5, 1])
    x = np.arange(1, 6, dtype=float)
    assert spearman(x, np.array([2, 1, 4, 3, 5.0])) == pytest.approx(0.8)  # 1 - 6*4/(5*24)
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)
    assert spearman(x, -x ** 3) == pytest.approx(-1.0)
    assert spearman(x, np.ones(5)) is None
    assert spearman(x[:2], x[:2]) is None


def test_spearman_with_ties_matches_pandas():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 6, 200).astype(float)
    b = a + rng.integers(0, 4, 200)
    want = pd.DataFrame({"a": a, "b": b}).corr(method="spearman").loc["a", "b"]  # pandas' own ranks
    assert spearman(a, b) == pytest.approx(want, rel=1e-12)


def test_quintile_and_threshold_buckets():
    b, k = bucket_of(np.arange(10.0))
    assert k == 5 and b.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    ratios = np.array([0.2, 1 / 3 - 1e-9, 1 / 3, 1.0, 2.99, 3.0, 50.0])
    b, k = bucket_of(np.log(ratios), thresholds=(3.0, 1 / 3))
    assert k == 3 and b.tolist() == [0, 0, 1, 1, 1, 2, 2]


def test_block_bootstrap_draws_runs_of_consecutive_observations():
    rng = np.random.default_rng(0)
    for idx in block_indices(50, 8, 20, rng):
        assert len(idx) == 50 and idx.min() >= 0 and idx.max() < 50
        runs = idx.reshape(-1)[: 48].reshape(6, 8)
        assert np.all(np.diff(runs, axis=1) == 1)  # each block is 8 consecutive observations
    assert all(len(i) == 5 for i in block_indices(5, 100, 3, rng))  # block longer than the data: one block


def test_rates_base_rate_and_returns_by_hand():
    # Bucket 0 (longs heavier, ratio < 1): first = down, down, up, neither -> heavier first 2/4.
    # Bucket 1 (shorts heavier): first = up, neither, down, up -> heavier first 2/4.
    shorts = [1e6, 2e6, 3e6, 4e6, 9e6, 8e6, 7e6, 6e6]
    longs = [5e6, 5e6, 5e6, 5e6, 1e6, 1e6, 1e6, 1e6]
    first = [DOWN, DOWN, UP, NEITHER, UP, NEITHER, DOWN, UP]
    ret = [-1, -2, 1, 0, 3, 0, -1, 2]
    r = summarize(obs(shorts, longs, first, ret), every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0,
                  thresholds=(1.0,), n_boot=200)
    assert r.n == 8 and r.block_len == 1
    assert r.up_first_rate == pytest.approx(3 / 8)
    assert r.down_first_rate == pytest.approx(3 / 8)
    assert r.neither_rate == pytest.approx(2 / 8)
    assert r.heavier_first_rate == pytest.approx(4 / 8)
    assert r.base_rate == pytest.approx(3 / 8)  # each side's band first 3/8 of the time
    lo, hi = r.buckets
    assert (lo.n, hi.n) == (4, 4)
    assert r.bucket_index.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert lo.imbalance_min == pytest.approx((1e6 + 1) / (5e6 + 1))
    assert lo.imbalance_max == pytest.approx((4e6 + 1) / (5e6 + 1))
    assert hi.imbalance_min == pytest.approx((6e6 + 1) / (1e6 + 1))
    assert lo.heavier_first_rate == pytest.approx(0.5) and hi.heavier_first_rate == pytest.approx(0.5)
    assert lo.base_rate == pytest.approx(3 / 8) and hi.base_rate == pytest.approx(3 / 8)
    assert lo.shorts_heavier_share == 0.0 and hi.shorts_heavier_share == 1.0
    assert lo.mean_return_pct == pytest.approx(-0.5) and hi.mean_return_pct == pytest.approx(1.0)
    for b in r.buckets:
        assert 0.0 <= b.ci_low <= b.heavier_first_rate <= b.ci_high <= 1.0
        assert b.return_ci[0] <= b.mean_return_pct <= b.return_ci[1]
    want = pd.DataFrame({"ratio": np.array(shorts) / np.array(longs), "ret": ret}).corr(method="spearman")
    assert r.spearman == pytest.approx(want.loc["ratio", "ret"], rel=1e-12)


def test_equal_sides_are_never_heavier_first_and_the_result_is_deterministic():
    o = obs([5e6, 5e6, 1e6, 9e6], [5e6, 5e6, 2e6, 1e6], [UP, DOWN, DOWN, UP])
    r1 = summarize(o, every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0, buckets=1, n_boot=100, seed=4)
    r2 = summarize(o, every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0, buckets=1, n_boot=100, seed=4)
    assert r1.heavier_first_rate == pytest.approx(2 / 4)
    assert r1.base_rate == pytest.approx((0.5 + 0.5) / 4)  # two balanced steps can never be "heavier first"
    assert r1.to_json_dict() == r2.to_json_dict()


def test_overlapping_horizons_widen_the_intervals():
    """Outcomes that come in runs of 24 (one 24 h move seen by 24 hourly steps) are 24 times fewer
    independent facts: blocks of horizon/every keep the interval honest, i.i.d. resampling would not."""
    rng = np.random.default_rng(1)
    runs = 40
    first = np.repeat(rng.choice([UP, DOWN], runs), 24)
    shorts = np.repeat(rng.uniform(1e6, 9e6, runs), 24)
    longs = np.full(runs * 24, 5e6)
    o = obs(shorts, longs, first)
    wide = summarize(o, every_ms=HOUR, horizon_ms=24 * HOUR, band_pct=5.0, buckets=1, n_boot=400)
    narrow = summarize(o, every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0, buckets=1, n_boot=400)
    assert wide.block_len == 24 and narrow.block_len == 1
    w = wide.buckets[0].ci_high - wide.buckets[0].ci_low
    n = narrow.buckets[0].ci_high - narrow.buckets[0].ci_low
    assert w > 3 * n
    assert any("overlap" in note for note in wide.notes)
    assert not any("overlap" in note for note in narrow.notes)


def test_results_are_read_only_copies():
    first = np.array([UP, DOWN, NEITHER, UP], np.int8)
    o = obs([1e6, 2e6, 3e6, 4e6], [2e6, 2e6, 2e6, 2e6], first)
    first[0] = DOWN  # the caller's array stays the caller's
    assert o.first[0] == UP
    r = summarize(o, every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0, buckets=2, n_boot=50)
    for a in (o.first, o.at_ms, o.forward_return_pct, r.bucket_index):
        with pytest.raises(ValueError):
            a[0] = 0


def test_empty_buckets_are_dropped_and_the_index_follows():
    # Thresholds 1/3 and 3 with nothing in between: two buckets, indices 0 and 1.
    o = obs([1e6, 1e6, 9e6, 9e6], [9e6, 9e6, 1e6, 1e6], [DOWN, UP, UP, UP])
    r = summarize(o, every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0, thresholds=(1 / 3, 3), n_boot=50)
    assert [b.n for b in r.buckets] == [2, 2]
    assert r.bucket_index.tolist() == [0, 0, 1, 1]
    assert [b.heavier_first_rate for b in r.buckets] == [0.5, 1.0]


def test_wilson_interval_by_hand():
    lo, hi = wilson_interval(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    lo, hi = wilson_interval(0, 12)  # z^2 / (n + z^2) = 3.8415 / 15.8415
    assert lo == 0.0 and hi == pytest.approx(3.8415 / 15.8415, abs=1e-4)


def test_a_bucket_without_events_still_gets_an_honest_interval():
    """Hourly steps with a 24 h horizon over 12 days of longs-heavier and 12 days of shorts-heavier maps.
    The down band is reached first now and then, but only while shorts are heavier: the longs-heavier
    bucket has no heavier-first event at all, against a base rate above zero. The bootstrap alone says
    [0, 0] and would call that an edge; the interval is widened to Wilson on 12 independent windows."""
    n = 12 * 24
    first = np.r_[np.zeros(n, np.int8), np.where(np.arange(n) % 20 == 0, DOWN, NEITHER).astype(np.int8)]
    shorts = np.r_[np.full(n, 1e6), np.full(n, 5e6)]
    longs = np.r_[np.full(n, 5e6), np.full(n, 1e6)]
    r = summarize(obs(shorts, longs, first), every_ms=HOUR, horizon_ms=24 * HOUR, band_pct=10.0,
                  thresholds=(1.0,), n_boot=300)
    b = r.buckets[0]
    assert b.n == n and b.shorts_heavier_share == 0.0
    assert b.heavier_first_rate == 0.0 and b.base_rate == pytest.approx(15 / (2 * n))
    assert b.ci_low == 0.0 and b.ci_high == pytest.approx(3.8415 / 15.8415, abs=1e-3)
    assert b.edge_ci[0] < 0.0 < b.edge_ci[1]
    assert any("Wilson" in note for note in r.notes)


def test_no_observations_gives_an_empty_result():
    r = summarize(obs([], [], []), every_ms=HOUR, horizon_ms=HOUR, band_pct=5.0)
    assert r.n == 0 and r.buckets == () and r.spearman is None and r.base_rate is None
    d = r.to_json_dict()
    assert d["observations"] == 0 and d["buckets"] == [] and d["base_rate"] is None
