"""Accuracy of the liquidation-level estimate against the demo simulator's true positions (issue 4).

For each seed the simulator runs a market whose traders use its own leverage mix (2x…125x over ten
levels, see market.simulator.DEFAULT_LEVERAGE_MIX) — deliberately not the model's default five tiers.
At a few instants near the end, the model sees only the data known then (candles, OI) and its map is
compared with the true open positions on the same bins: the cumulative at-risk notional for shorts up
to +X% and longs down to −X%. The figure is the median absolute relative error over seeds, instants
and both sides. "calibrated" refits the model's tier weights to the liquidation events observed up to
that instant (analytics.calibrate, over its finer CALIBRATION_GRID of tiers) before estimating.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

SEEDS = tuple(range(101, 121))  # 20 seeds
DAYS = 8.0  # history per seed: long enough for the model to warm up (a few mean holding times)
SNAPSHOTS_BEFORE_END_MIN = (0, 7 * 60, 19 * 60)  # truth instants, minutes before the end
BANDS = (0.02, 0.05, 0.10)

GOALS = {
    "at_risk_error_5pct": "<= 0.25 (median |rel. error|)",
    "at_risk_error_10pct": "<= 0.25",
    "calibrated_at_risk_error_5pct": "<= 0.25",
    "calibrated_at_risk_error_10pct": "<= 0.25",
}


def at_risk(prices: np.ndarray, long_usd: np.ndarray, short_usd: np.ndarray, price: float, band: float) -> tuple[float, float]:
    """(shorts in (price, price(1+band)], longs in [price(1-band), price)) by bin centre."""
    s = short_usd[(prices > price) & (prices <= price * (1 + band))].sum()
    lo = long_usd[(prices < price) & (prices >= price * (1 - band))].sum()
    return float(s), float(lo)


def run() -> dict:
    from analytics.calibrate import CALIBRATION_GRID, calibrate
    from analytics.liquidation import LiquidationModel
    from analytics.params import ModelParams
    from market.simulator import DEFAULT_START_MS, SimConfig, simulate, true_map

    params = ModelParams()
    t0 = time.perf_counter()
    errors: dict[str, list[float]] = {}
    signed: dict[str, list[float]] = {}
    fits = []
    end = DEFAULT_START_MS + int(DAYS * 1440) * 60_000
    for seed in SEEDS:
        times = tuple(end - m * 60_000 for m in SNAPSHOTS_BEFORE_END_MIN)
        res = simulate(SimConfig(seed=seed, days=DAYS, truth_every_minutes=0, truth_times_ms=times))
        frames = res.frames
        for snap in res.truth:
            known = frames.known_at(snap.ts)
            variants = {"": params}
            fit = calibrate(known.candles, known.open_interest, known.liquidations, params, leverages=CALIBRATION_GRID)
            if fit is not None:
                variants["calibrated_"] = fit.params(params)
                fits.append(fit)
            for prefix, p in variants.items():
                model = LiquidationModel.from_history(known.candles, known.open_interest, p)
                m = model.map_at(snap.ts)
                tl, ts_ = true_map(snap, m.bin_edges)
                for band in BANDS:
                    ms, ml = at_risk(m.prices, m.long_usd, m.short_usd, snap.price, band)
                    ts_b, tl_b = at_risk(m.prices, tl, ts_, snap.price, band)
                    key = f"{prefix}at_risk_error_{int(band * 100)}pct"
                    for est, true in ((ms, ts_b), (ml, tl_b)):
                        if true > 0:
                            errors.setdefault(key, []).append(abs(est / true - 1.0))
                            signed.setdefault(key, []).append(est / true - 1.0)
    out: dict = {}
    for key in sorted(errors):
        out[key] = round(statistics.median(errors[key]), 3)
    for key in sorted(signed):
        out[key.replace("error", "bias")] = round(statistics.median(signed[key]), 3)
    out["seeds"] = len(SEEDS)
    out["instants_per_seed"] = len(SNAPSHOTS_BEFORE_END_MIN)
    out["days_per_seed"] = DAYS
    out["model_tiers"] = "x".join(f"{lev:g}" for lev in params.leverages)
    if fits:
        w = np.mean([f.weights for f in fits], axis=0)
        out["calibrated_mean_weights"] = ", ".join(f"{lev:g}x {wt:.2f}" for lev, wt in zip(fits[0].leverages, w))
        out["calibration_r2_median"] = round(statistics.median(f.r2 for f in fits), 3)
        out["calibration_r2_prior_median"] = round(statistics.median(f.r2_prior for f in fits), 3)
        out["calibration_scale_median"] = round(statistics.median(f.scale for f in fits), 3)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out
