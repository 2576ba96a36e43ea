"""The at-risk range: an explicit ensemble of plausible crowds around the central estimate."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.ensemble import EnsembleModel, LEVERAGE_STOPS, figure_range, member_params, plausible_crowds, weighted_quantiles
from analytics.liquidation import LiquidationModel
from analytics.report import build_report
from tests.unit.analytics.market_gen import MINUTE, T0, random_market


def test_members_are_distinct_crowds_with_mixes_over_the_leverage_stops():
    crowds = plausible_crowds()
    assert len({c.name for c in crowds}) == len(crowds) == 18
    for c in crowds:
        mix = c.mix()
        assert mix.shape == (len(LEVERAGE_STOPS),) and mix.sum() == pytest.approx(1.0) and (mix >= 0).all()
    cautious = next(c for c in crowds if c.median_leverage == 5.0 and c.passive_share == 0.1)
    aggressive = next(c for c in crowds if c.median_leverage == 40.0 and c.passive_share == 0.1)
    lev = np.asarray(LEVERAGE_STOPS)
    assert cautious.mix() @ lev < aggressive.mix() @ lev


def test_weighted_quantiles_of_equal_weights_interpolate_between_members():
    v = np.array([[1.0], [2.0], [3.0], [4.0]])
    q = weighted_quantiles(v, np.ones(4), (0.125, 0.5, 0.875))[:, 0]
    assert q == pytest.approx([1.0, 2.5, 4.0])
    # a member with all the weight is the answer
    assert weighted_quantiles(v, np.array([0.0, 0.0, 1.0, 0.0]), (0.1, 0.9))[:, 0] == pytest.approx([3.0, 3.0])


def test_reweighted_member_maps_match_a_full_run_of_that_member():
    c, o = random_market(1500, seed=3, vol=0.002)
    ens = EnsembleModel.from_history(c, o)
    m = LiquidationModel.from_history(c, o)
    edges = m.map_at(None).bin_edges
    em = ens.maps_at(None, edges)
    for j in range(len(em.crowds)):
        full = LiquidationModel.from_history(c, o, member_params(ens.base, em.crowds[j])).map_at(None, edges)
        # Nearly linear in the mix (the liquidation credit depends on it): within a few percent in total
        # on this market (2.5 % at most; up to about 6 % seen on others).
        assert em.long_usd[j].sum() == pytest.approx(full.long_usd.sum(), rel=0.05)
        assert em.short_usd[j].sum() == pytest.approx(full.short_usd.sum(), rel=0.05)


def test_report_gives_every_at_risk_figure_a_range_holding_the_central_estimate():
    c, o = random_market(3 * 1440, seed=5, vol=0.002)
    r = build_report(c, o, None, None, T0 + 3 * 1440 * MINUTE, days=2)
    items = r.to_json_dict()["at_risk"]
    assert len(items) == 2
    for a in items:
        assert a["notional_low_usd"] <= a["notional_usd"] <= a["notional_high_usd"]
        assert a["notional_high_usd"] > a["notional_low_usd"] > 0
    text = r.to_text()
    assert "shorts at risk" in text and "\u2013" in text.split("shorts at risk")[0].rsplit("$", 1)[1]


def test_figure_range_widens_to_hold_the_central_estimate():
    r = figure_range(np.array([1.0, 2.0, 3.0]), np.ones(3) / 3, 10.0)
    assert r.high == 10.0 and r.low < 2.0


def test_recorded_liquidations_weigh_the_crowds_that_explain_them():
    from market.simulator import SimConfig, simulate

    aggressive = {10: 0.2, 20: 0.25, 50: 0.25, 75: 0.1, 100: 0.15, 125: 0.05}
    res = simulate(SimConfig(seed=103, days=6, truth_every_minutes=0, leverage_mix=aggressive))
    f = res.frames
    ens = EnsembleModel.from_history(f.candles, f.open_interest)
    w = ens.member_weights(None, f.liquidations)
    assert w is not None and w.sum() == pytest.approx(1.0)
    by_median = {m: sum(wi for wi, c in zip(w, ens.crowds) if c.median_leverage == m) for m in (5.0, 15.0, 40.0)}
    assert by_median[40.0] > by_median[15.0] > by_median[5.0]
    # No events, no narrowing.
    assert ens.member_weights(None, f.liquidations.iloc[0:0]) is None
