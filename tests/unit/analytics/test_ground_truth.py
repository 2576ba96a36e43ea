"""The model against the demo simulator's ground truth (its true open positions and liquidation events)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.calibrate import CALIBRATION_GRID, calibrate
from analytics.liquidation import LiquidationModel

sim = pytest.importorskip("market.simulator")

DAYS = 4.0


@pytest.fixture(scope="module")
def run():
    end = sim.DEFAULT_START_MS + int(DAYS * 1440) * 60_000
    return sim.simulate(sim.SimConfig(seed=5, days=DAYS, truth_every_minutes=0, truth_times_ms=(end,)))


def at_risk(m, long_usd, short_usd, price, band):
    c = m.prices
    return (float(short_usd[(c > price) & (c <= price * (1 + band))].sum()),
            float(long_usd[(c < price) & (c >= price * (1 - band))].sum()))


def test_at_risk_within_band_of_truth_and_total_tracks_open_interest(run):
    snap = run.truth[-1]
    f = run.frames
    model = LiquidationModel.from_history(f.candles, f.open_interest)
    m = model.map_at(snap.ts)
    true_long, true_short = sim.true_map(snap, m.bin_edges)
    # The demo's positions do not follow the model's assumptions (two-sided contracts, market makers,
    # stops, cross margin, heavy-tailed holding), so this is a same-order-of-magnitude check only; the
    # accuracy per crowd is measured by benchmarks/bench_accuracy.py.
    for band in (0.05, 0.10):
        est = at_risk(m, m.long_usd, m.short_usd, snap.price, band)
        true = at_risk(m, true_long, true_short, snap.price, band)
        for e, t in zip(est, true):
            assert t > 0 and 0.25 < e / t < 4.0, (band, e, t)
    # the open cohorts' size follows the exchanges' open interest (turnover keeps them in step)
    open_base = sum(lv["qty_base"].sum() for lv in model.open_levels(snap.ts).values())
    oi_now = f.open_interest[f.open_interest.ts <= snap.ts].groupby("exchange")["oi_base"].last().sum()
    assert 0.6 < open_base / oi_now <= 1.0


def test_estimated_liquidations_follow_the_real_ones(run):
    f = run.frames
    est = LiquidationModel.from_history(f.candles, f.open_interest).estimated_liquidations()
    hour = 3_600_000
    start = int(f.candles.ts.min())
    nb = int(DAYS * 24)

    def hourly(df):
        return np.bincount(((df.ts - start) // hour).clip(0, nb - 1), df.notional_usd, minlength=nb)

    corr = np.corrcoef(hourly(est), hourly(f.liquidations))[0, 1]
    assert corr > 0.5
    assert 0.2 < est.notional_usd.sum() / f.liquidations.notional_usd.sum() < 5.0


def test_calibration_fits_the_observed_liquidations_better_than_the_prior(run):
    f = run.frames
    fit = calibrate(f.candles, f.open_interest, f.liquidations, leverages=CALIBRATION_GRID)
    assert fit is not None and len(fit.weights) == len(CALIBRATION_GRID)
    assert sum(fit.weights) == pytest.approx(1.0) and min(fit.weights) >= 0
    assert fit.r2 >= fit.r2_prior and fit.r2 > 0.5
