"""The event fit's holding time, sink tier and out-of-sample split, on markets whose truth is known."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analytics.calibrate import HOUR_MS, SINK_LEVERAGE, calibrate
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import random_market

LEVS = (5.0, 10.0, 25.0, 50.0, 100.0)


@pytest.fixture(scope="module")
def market():
    return random_market(4000, seed=11, vol=0.0025)


def _observed(c, o, params, factor=1.0):
    est = LiquidationModel.from_history(c, o, params).estimated_liquidations()
    return est.assign(notional_usd=est["notional_usd"] * factor)


@pytest.mark.parametrize("true_hold", [8.0, 72.0])
def test_the_holding_time_that_made_the_events_is_chosen(market, true_hold):
    c, o = market
    truth = ModelParams(leverages=LEVS, weights=(0.1, 0.3, 0.3, 0.2, 0.1), mean_hold_ms=true_hold * HOUR_MS)
    prior = replace(truth, mean_hold_ms=24 * HOUR_MS)
    fit = calibrate(c, o, _observed(c, o, truth), prior, holds_hours=(8.0, 24.0, 72.0))
    assert fit.hold_hours == true_hold
    weights = dict(fit.hold_weights)
    assert weights[true_hold] == max(weights.values()) and weights[true_hold] > 0.6  # under 3 days: the likelihood counts days
    assert fit.params(prior).mean_hold_ms == true_hold * HOUR_MS


def test_without_candidates_the_holding_time_is_kept(market):
    c, o = market
    p = ModelParams(mean_hold_ms=12 * HOUR_MS)
    fit = calibrate(c, o, _observed(c, o, p), p)
    assert fit.hold_hours is None and fit.hold_weights == ()
    assert fit.params(p).mean_hold_ms == 12 * HOUR_MS


def test_the_sink_tier_takes_the_mass_the_events_do_not_show(market):
    c, o = market
    truth = ModelParams(leverages=LEVS, weights=(0.0, 0.5, 0.5, 0.0, 0.0))
    observed = _observed(c, o, truth, factor=0.3)  # only 30 % of what the mix would liquidate happened
    fit = calibrate(c, o, observed, ModelParams(leverages=LEVS, weights=(1, 1, 1, 1, 1)), sink=True, prior_strength=0.0)
    assert SINK_LEVERAGE in fit.leverages
    sink = fit.leverages.index(SINK_LEVERAGE)
    # The OI-implied mass is all placed (scale 1); most of it in the sink, never liquidated here. Not
    # exactly 70 %: with less liquidated, less is credited back in the OI accounting, so the tiers
    # that do liquidate need a little more of the mass to give the same events.
    assert fit.scale == pytest.approx(1.0)
    assert fit.sink_weight == pytest.approx(fit.weights[sink]) and fit.sink_weight == pytest.approx(0.7, abs=0.1)
    again = LiquidationModel.from_history(c, o, fit.params(ModelParams())).estimated_liquidations()
    assert again["notional_usd"].sum() == pytest.approx(observed["notional_usd"].sum(), rel=0.1)
    # More liquidated than the OI-implied mass can give: no sink, the scale says how much more.
    more = calibrate(c, o, _observed(c, o, truth, factor=2.0), ModelParams(leverages=LEVS, weights=(1, 1, 1, 1, 1)),
                     sink=True, prior_strength=0.0)
    assert more.sink_weight == pytest.approx(0.0, abs=1e-9) and more.scale == pytest.approx(2.0, rel=0.1)


def test_out_of_sample_the_test_span_is_only_scored(market):
    c, o = market
    truth = ModelParams(leverages=LEVS, weights=(0.1, 0.3, 0.3, 0.2, 0.1))
    observed = _observed(c, o, truth)
    fit = calibrate(c, o, observed, truth, train_share=2 / 3, prior_strength=0.0)
    assert fit.test_buckets > 0 and fit.buckets > fit.test_buckets
    assert fit.test_r2 == pytest.approx(1.0, abs=0.02)  # the model's own events: the fit carries over
    # Events after the split ten times larger: the fit must not see them (scale from the first part) and
    # its score there must show the miss.
    split = fit.train_until_ms
    late = observed["ts"] >= split
    inflated = observed.assign(notional_usd=np.where(late, observed["notional_usd"] * 10.0, observed["notional_usd"]))
    fit2 = calibrate(c, o, inflated, truth, train_share=2 / 3, prior_strength=0.0)
    assert fit2.train_until_ms == split
    assert fit2.scale == pytest.approx(fit.scale, rel=1e-6)
    assert fit2.test_r2 < 0.5
    # Provenance: what it was fitted on.
    assert fit.events == len(observed) and fit.venues == ("binance", "bybit", "okx")
    assert fit.from_ms == int(observed["ts"].min()) and fit.to_ms == int(observed["ts"].max())
