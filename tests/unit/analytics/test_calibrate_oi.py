"""Calibration from candles and OI alone: the holding time from OI against volume, the mix from sweeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.calibrate import HOUR_MS
from analytics.calibrate_oi import calibrate_from_oi
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import MINUTE, T0, random_market

DAYS = 6


def _little_market(hold_hours: float, seed: int = 3, minutes: int = DAYS * 1440, vol: float = 0.002):
    """Candles whose activity wanders (hours to days), and OI = positions opened by a fixed share of the
    volume that close after ``hold_hours`` on average (Little's law), plus measurement noise."""
    rng = np.random.default_rng(seed)
    c, _o = random_market(minutes, exchanges=("binance",), seed=seed, vol=vol)
    hours = minutes // 60 + 1
    z = np.zeros(hours)
    for h in range(1, hours):
        z[h] = 0.9 * z[h - 1] + rng.normal(0, 0.35)
    activity = np.exp(z)[np.arange(minutes) // 60]
    vol_base = c["volume"].to_numpy() * activity
    c = c.assign(volume=vol_base, taker_buy_volume=c["taker_buy_volume"].to_numpy() * activity,
                 quote_volume=c["quote_volume"].to_numpy() * activity)
    keep = np.exp(-1.0 / (hold_hours * 60.0))
    oi = np.empty(minutes + 1)
    acc = 0.3 * vol_base[:60].mean() * hold_hours * 60.0  # started at its steady level
    oi[0] = acc
    for i, v in enumerate(vol_base):
        acc = acc * keep + 0.3 * v
        oi[i + 1] = acc
    oi *= 1 + rng.normal(0, 0.0005, len(oi))
    ts = T0 + np.arange(minutes + 1, dtype=np.int64) * MINUTE
    o = pd.DataFrame({"ts": ts, "exchange": "binance", "oi_base": oi, "oi_usd": oi * 80_000.0})
    return c, o


@pytest.mark.parametrize("hold", [8.0, 72.0])
def test_holding_time_from_oi_against_volume(hold):
    c, o = _little_market(hold)
    fit = calibrate_from_oi(c, o)
    assert fit is not None and fit.hold_hours == hold
    assert dict(fit.hold_weights)[hold] > 0.9 and fit.r2_hold > 0.5
    assert fit.params(ModelParams()).mean_hold_ms == hold * HOUR_MS
    assert fit.venues == ("binance",) and fit.hours > 24 * (DAYS - 2)


def test_leverage_from_oi_falling_where_price_swept_clusters():
    c, o = _little_market(24.0, seed=5, vol=0.003)
    # The market's crowd: everyone at 20x. Where the model's 20x clusters are swept, OI falls by them.
    truth = ModelParams(leverages=(20.0,), weights=(1.0,))
    liq = LiquidationModel.from_history(c, o, truth).estimated_liquidations()
    per_min = np.bincount(((liq["ts"] - T0) // MINUTE).to_numpy(np.int64), liq["qty_base"].to_numpy(float),
                          minlength=len(o))[: len(o)]
    swept = o.assign(oi_base=o["oi_base"] - np.concatenate([[0.0], np.cumsum(per_min)[:-1]]))
    fit = calibrate_from_oi(c, swept)
    assert fit is not None and fit.mix_fitted and fit.r2_sweeps > 0.1
    w = dict(zip(fit.leverages, fit.weights))
    liquidating = {lev: v for lev, v in w.items() if lev > 2.0}
    assert max(liquidating, key=liquidating.get) == 20.0
    # The same candles with OI that never falls at a sweep: nothing to learn the mix from, kept.
    still = calibrate_from_oi(c, o)
    assert still is not None and not still.mix_fitted
    assert still.weights == pytest.approx(tuple(ModelParams().normalized_weights())) and still.scale == 1.0


def test_too_little_data_gives_no_calibration():
    c, o = random_market(300, seed=1)
    assert calibrate_from_oi(c, o) is None
    assert calibrate_from_oi(c.iloc[0:0], o) is None
