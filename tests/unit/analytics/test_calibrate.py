"""NNLS against brute force, and the calibration recovering a known leverage mix."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.calibrate import calibrate, nnls, tier_design
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import random_market


def brute_force_nnls(a, b):
    """Best over every active set of the unconstrained least squares that stays non-negative."""
    n = a.shape[1]
    best, best_x = np.inf, np.zeros(n)
    for r in range(n + 1):
        for cols in itertools.combinations(range(n), r):
            x = np.zeros(n)
            if cols:
                sol = np.linalg.lstsq(a[:, cols], b, rcond=None)[0]
                if (sol < 0).any():
                    continue
                x[list(cols)] = sol
            res = float(np.sum((a @ x - b) ** 2))
            if res < best - 1e-12:
                best, best_x = res, x
    return best_x, best


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 5), st.integers(1, 4), st.integers(0, 10_000))
def test_nnls_matches_brute_force(n, extra, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n + extra, n))
    b = rng.normal(size=n + extra)
    x = nnls(a, b)
    assert (x >= 0).all()
    _bx, best = brute_force_nnls(a, b)
    assert float(np.sum((a @ x - b) ** 2)) == pytest.approx(best, rel=1e-7, abs=1e-9)


def test_nnls_exact_solution():
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert nnls(a, a @ np.array([2.0, 3.0])) == pytest.approx([2.0, 3.0])
    assert nnls(a, np.array([-1.0, 2.0, 1.0])) == pytest.approx([0.0, 1.5])


def test_calibration_recovers_the_mix_that_produced_the_liquidations():
    c, o = random_market(2000, seed=4, vol=0.003)
    true = ModelParams(leverages=(5.0, 10.0, 25.0, 50.0, 100.0), weights=(0.0, 0.0, 0.6, 0.0, 0.4))
    from analytics.liquidation import LiquidationModel

    observed = LiquidationModel.from_history(c, o, true).estimated_liquidations()
    observed = observed.assign(notional_usd=observed["notional_usd"] * 2.0)  # twice the model's volume
    prior = ModelParams(weights=(0.2, 0.2, 0.2, 0.2, 0.2))
    fit = calibrate(c, o, observed, prior, prior_strength=0.0)
    # Not exact: the model credits its own liquidations in the OI accounting, so its liquidations are
    # only nearly linear in the mix; the relinearized fit still lands within a percent.
    assert fit.weights == pytest.approx([0.0, 0.0, 0.6, 0.0, 0.4], abs=0.01)
    assert fit.scale == pytest.approx(2.0, rel=0.05)
    assert fit.r2 == pytest.approx(1.0, abs=1e-3) and fit.r2_prior < fit.r2
    assert fit.params(prior).weights == fit.weights
    # The scale is kept: the calibrated model places (about) twice the mass in the fitted tiers and so
    # estimates about the recorded volume.
    cal = fit.params(prior)
    assert cal.scale == pytest.approx(fit.scale)
    again = LiquidationModel.from_history(c, o, cal).estimated_liquidations()
    assert again["notional_usd"].sum() == pytest.approx(observed["notional_usd"].sum(), rel=0.05)


def test_design_columns_are_linear_in_the_weights():
    c, o = random_market(500, seed=2, vol=0.0015)
    p = ModelParams()
    from analytics.liquidation import LiquidationModel

    observed = LiquidationModel.from_history(c, o, p).estimated_liquidations()
    # Run at the mix itself, the per-unit-weight columns rebuild exactly what that mix liquidated.
    x, y, _ = tier_design(c, o, observed, p, at_weights=p.normalized_weights())
    assert x @ p.normalized_weights() == pytest.approx(y, rel=1e-9, abs=1e-6)


def test_no_observed_liquidations_gives_no_calibration():
    c, o = random_market(200, seed=1)
    assert calibrate(c, o, c.iloc[0:0].assign(side=[], price=[], qty_base=[], notional_usd=[])) is None
