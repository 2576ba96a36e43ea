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
