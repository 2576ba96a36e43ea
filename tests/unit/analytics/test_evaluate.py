"""The scorecard on a simulator history with its complete, true liquidation events."""

from __future__ import annotations

import pytest

from analytics.evaluate import EvaluationError, evaluate
from analytics.params import ModelParams


@pytest.fixture(scope="module")
def frames():
    from market.simulator import SimConfig, simulate

    return simulate(SimConfig(seed=7, days=4)).frames


def test_the_map_beats_distance_alone_where_it_is_right(frames):
    r = evaluate(frames.candles, frames.open_interest, frames.liquidations, n_boot=200)
    assert r.hours >= 48
    assert r.placement_share > r.placement_share_baseline + 0.15
    assert r.spearman_hourly > 0.5
    # Volume size is not asserted: the simulator's crowd is not the model's prior (uncalibrated USD runs ~3x high).
    assert r.ratio_total > 0 and r.ratio_total_ci[0] <= r.ratio_total <= r.ratio_total_ci[1]
    assert r.placement_share_ci[0] <= r.placement_share <= r.placement_share_ci[1]


def test_a_wrong_crowd_scores_no_better_than_the_baseline(frames):
    # 2x/3x positions sit 30-50 % away: the map has nothing inside the traded ranges, so it is no better than distance.
    wrong = ModelParams(leverages=(2.0, 3.0), weights=(1.0, 1.0))
    r = evaluate(frames.candles, frames.open_interest, frames.liquidations, params=wrong, n_boot=50)
    assert r.placement_share <= r.placement_share_baseline + 1e-9


def test_without_liquidations_or_oi_it_says_which(frames):
    with pytest.raises(EvaluationError, match="open interest"):
        evaluate(frames.candles, frames.open_interest.iloc[0:0], frames.liquidations)
    with pytest.raises(EvaluationError, match="no recorded liquidations"):
        evaluate(frames.candles, frames.open_interest, frames.liquidations.iloc[0:0])


def test_hours_before_the_liquidation_record_starts_are_not_scored(frames):
    # A live session: candles and OI backfilled for days, the liquidation feed recorded only from day 3 on.
    day = 86_400_000
    t0 = int(frames.candles["ts"].min())
    record = frames.liquidations[frames.liquidations["ts"] >= t0 + 3 * day + 1_800_000]
    r = evaluate(frames.candles, frames.open_interest, record, n_boot=0)
    starts = int(record["ts"].min()) // 3_600_000 * 3_600_000
    assert starts >= t0 + 3 * day
    assert r.first_ms == starts  # the hour the record starts in, not the end of the day's warm-up
    assert any("where the liquidation record starts" in n for n in r.notes)
    full = evaluate(frames.candles, frames.open_interest, frames.liquidations, n_boot=0)
    assert full.first_ms == t0 + day and not any("record starts" in n for n in full.notes)
