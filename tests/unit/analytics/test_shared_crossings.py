"""A model that takes its crossings from another model equals one that searched them itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analytics.ensemble import LEVERAGE_STOPS, EnsembleModel
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import MINUTE, T0, random_market


def _state(model: LiquidationModel):
    return {n: (v.c_rem.view.copy(), v.c_qty.view.copy(), v.g.view.copy()) for n, v in model._venues.items()}


def test_crossings_taken_from_a_wider_model_give_the_same_model():
    c, oi = random_market(3000, seed=4)
    wide = LiquidationModel(replace(ModelParams(), leverages=LEVERAGE_STOPS, weights=(1.0,) * len(LEVERAGE_STOPS)))
    wide.ingest(c, oi)
    alone = LiquidationModel.from_history(c, oi)
    shared = LiquidationModel()
    shared.ingest(c, oi, crossings_from=wide)
    a, b = _state(alone), _state(shared)
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name][0], b[name][0])  # the same consumption candle for every cohort
        np.testing.assert_allclose(a[name][1], b[name][1], rtol=1e-12)
        np.testing.assert_allclose(a[name][2], b[name][2], rtol=1e-12)
    # Both keep updating alike (the incremental path's open sets are built on first use).
    c2, oi2 = random_market(3060, seed=4)
    tail_c = c2[c2["ts"] >= T0 + 3000 * MINUTE]
    tail_o = oi2[oi2["ts"] > T0 + 3000 * MINUTE]
    alone.update(tail_c, tail_o)
    shared.update(tail_c, tail_o)
    edges = np.linspace(float(c["low"].min()) * 0.5, float(c["high"].max()) * 1.5, 200)
    np.testing.assert_allclose(alone.map_at(None, edges).long_usd, shared.map_at(None, edges).long_usd, rtol=1e-9)
    np.testing.assert_allclose(alone.map_at(None, edges).short_usd, shared.map_at(None, edges).short_usd, rtol=1e-9)


def test_crossings_of_other_candles_are_not_taken():
    c, oi = random_market(2000, seed=5)
    other_c, other_oi = random_market(2000, seed=6)
    other = LiquidationModel.from_history(other_c, other_oi)
    alone = LiquidationModel.from_history(c, oi)
    shared = LiquidationModel()
    shared.ingest(c, oi, crossings_from=other)
    for name, (rem, _q, _g) in _state(alone).items():
        assert np.array_equal(rem, shared._venues[name].c_rem.view)


def test_ensemble_runs_share_crossings_and_match_separate_runs():
    c, oi = random_market(2500, seed=7)
    ens = EnsembleModel.from_history(c, oi)
    for _hold, (model, _mix) in ens._runs.items():
        alone = LiquidationModel(model.params, model.tf, fixed_point_passes=model.fixed_point_passes)
        alone.ingest(c, oi)
        for name, v in alone._venues.items():
            assert np.array_equal(v.c_rem.view, model._venues[name].c_rem.view)
            np.testing.assert_allclose(v.c_qty.view, model._venues[name].c_qty.view, rtol=1e-12)


def test_ensemble_runs_sharing_cohorts_keep_equal_to_separate_runs_through_updates():
    c, oi = random_market(2600, seed=8)
    cut = T0 + 2400 * MINUTE
    head_c, head_o = c[c["ts"] < cut], oi[oi["ts"] <= cut]
    ens = EnsembleModel.from_history(head_c, head_o)
    models = [m for m, _mix in ens._runs.values()]
    alone = []
    for model in models:
        a = LiquidationModel(model.params, model.tf, fixed_point_passes=model.fixed_point_passes)
        a.ingest(head_c, head_o)
        alone.append(a)
    # The later runs hold the first run's cohort prices and consumption, not copies of them.
    for model in models[1:]:
        for name, v in model._venues.items():
            assert v.c_rem is models[0]._venues[name].c_rem and v.c_liq is models[0]._venues[name].c_liq
    edges = np.linspace(float(c["low"].min()) * 0.5, float(c["high"].max()) * 1.5, 200)
    for t in np.sort(c["ts"].unique()):
        if t >= cut:  # one candle at a time, as a live feed brings them
            rows_c, rows_o = c[c["ts"] == t], oi[(oi["ts"] > t) & (oi["ts"] <= t + MINUTE)]
            ens.update(rows_c, rows_o)
            for a in alone:
                a.update(rows_c, rows_o)
    for model, a in zip(models, alone):
        x, y = model.map_at(None, edges), a.map_at(None, edges)
        np.testing.assert_allclose(x.long_usd, y.long_usd, rtol=1e-9, atol=1e-9 * max(1.0, y.long_usd.max()))
        np.testing.assert_allclose(x.short_usd, y.short_usd, rtol=1e-9, atol=1e-9 * max(1.0, y.short_usd.max()))
        ex, ey = model.estimated_liquidations(), a.estimated_liquidations()
        np.testing.assert_allclose(ex["qty_base"].to_numpy(), ey["qty_base"].to_numpy(), rtol=1e-9)


def test_a_run_sharing_cohorts_refuses_to_step_before_its_lead():
    c, oi = random_market(1200, seed=9)
    cut = T0 + 1100 * MINUTE
    ens = EnsembleModel.from_history(c[c["ts"] < cut], oi[oi["ts"] <= cut])
    follower = list(ens._runs.values())[1][0]
    rows = c[c["ts"] == cut]
    with pytest.raises(RuntimeError):
        follower.update(rows, oi[(oi["ts"] > cut) & (oi["ts"] <= cut + MINUTE)])
