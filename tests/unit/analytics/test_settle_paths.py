"""The credit's fixed point gives the same sizes whichever way it splits the survival exponent.

Short histories split exp(G[m] - G[open]) into a per-candle and a per-opening factor; histories whose
survival spans more e-folds than float64 can hold that way take one exp per cohort. Both must equal
the candle-by-candle update, which is the model's definition."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analytics.ensemble import EnsembleModel
from analytics.liquidation import LiquidationModel, tier_maps_of
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import MINUTE, T0, random_market


def _sizes(model: LiquidationModel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {n: (v.c_qty.view.copy(), v.g.view.copy()) for n, v in model._venues.items()}


@pytest.mark.parametrize("hold_minutes", [600.0, 2.0])  # 2 min: survival spans ~1,000 e-folds
def test_split_and_per_cohort_exponents_agree(monkeypatch, hold_minutes):
    c, oi = random_market(2500, seed=11)
    p = replace(ModelParams(), mean_hold_ms=hold_minutes * MINUTE)
    split = LiquidationModel.from_history(c, oi, p)
    monkeypatch.setattr(LiquidationModel, "_SPLIT_EXP_SPAN", -1.0)
    per_cohort = LiquidationModel.from_history(c, oi, p)
    a, b = _sizes(split), _sizes(per_cohort)
    for name in a:
        np.testing.assert_allclose(a[name][0], b[name][0], rtol=1e-11, atol=1e-300)
        np.testing.assert_allclose(a[name][1], b[name][1], rtol=1e-12)


@pytest.mark.parametrize("hold_minutes", [600.0, 2.0])
def test_full_computation_equals_candle_by_candle_updates(hold_minutes):
    c, oi = random_market(1500, seed=12)
    p = replace(ModelParams(), mean_hold_ms=hold_minutes * MINUTE)
    full = LiquidationModel.from_history(c, oi, p)
    cut = T0 + 200 * MINUTE
    inc = LiquidationModel.from_history(c[c["ts"] < cut], oi[oi["ts"] <= cut], p)
    for t in np.sort(c["ts"].unique()):
        if t >= cut:
            inc.update(c[c["ts"] == t], oi[(oi["ts"] > t) & (oi["ts"] <= t + MINUTE)])
    edges = np.linspace(float(c["low"].min()) * 0.5, float(c["high"].max()) * 1.5, 300)
    a, b = full.map_at(None, edges), inc.map_at(None, edges)
    np.testing.assert_allclose(a.long_usd, b.long_usd, rtol=1e-9, atol=1e-9 * max(1.0, a.long_usd.max()))
    np.testing.assert_allclose(a.short_usd, b.short_usd, rtol=1e-9, atol=1e-9 * max(1.0, a.short_usd.max()))


def test_ensemble_runs_share_one_plan_and_equal_runs_of_their_own():
    c, oi = random_market(2000, seed=13)
    ens = EnsembleModel.from_history(c, oi)
    for model, _mix in ens._runs.values():
        alone = LiquidationModel(model.params, fixed_point_passes=model.fixed_point_passes)
        alone.ingest(c, oi)
        a, b = _sizes(model), _sizes(alone)
        for name in a:
            np.testing.assert_allclose(a[name][0], b[name][0], rtol=1e-11, atol=1e-300)


def test_tier_maps_of_the_runs_together_equal_each_alone():
    c, oi = random_market(2000, seed=14)
    ens = EnsembleModel.from_history(c, oi)
    # Updates open only where a run's own OI accounting opens something, so the runs' openings can
    # differ afterwards: a shared plan must then be refused, not reused.
    c2, oi2 = random_market(2040, seed=14)
    ens.update(c2[c2["ts"] >= T0 + 2000 * MINUTE], oi2[oi2["ts"] > T0 + 2000 * MINUTE])
    models = [m for m, _mix in ens._runs.values()]
    edges = np.linspace(float(c["low"].min()) * 0.5, float(c["high"].max()) * 1.5, 250)
    together = tier_maps_of(models, None, edges)
    for model, got in zip(models, together):
        alone = model.tier_maps_at(None, edges)
        for x, y in zip(got, alone):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-300)
        by_hand = model.map_at(None, edges)  # the per-tier maps add up to the map
        np.testing.assert_allclose(got[0].sum(axis=0), by_hand.long_usd, rtol=1e-9, atol=1e-9 * by_hand.long_usd.max())
        np.testing.assert_allclose(got[1].sum(axis=0), by_hand.short_usd, rtol=1e-9, atol=1e-9 * by_hand.short_usd.max())
