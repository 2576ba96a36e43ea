"""Accuracy of the at-risk figures against the demo simulator's true positions, per crowd variant.

For each variant and seed the simulator runs a market whose traders follow that variant's holding
time and leverage mix; at a few instants near the end the model sees only the data known then
(candles, OI) and its at-risk notional (shorts up to +X %, longs down to −X %, on the map's bins) is
compared with the true open positions on the same bins. Per variant, in the same run:

- ``model``: the central estimate (the model's default settings), uncalibrated;
- ``calibrated``: the model with its tier mix (a finer grid and a sink tier for mass that never
  liquidates within reach), its scale and its holding time (8 / 24 / 72 h) fitted to the variant's own
  simulated liquidation events known by then (``analytics.calibrate``);
- ``calibrated_oos``: the same fit on the events of the first two thirds of the record only; the
  instants scored lie in the last third, so this is the out-of-sample error (and ``..._event_r2`` the
  fit's R² on the later hours' events, beside the prior mix's);
- ``oi_calibrated``: no events at all: holding time from OI against volume, mix and scale from how OI
  falls where price swept the model's clusters (``analytics.calibrate_oi``);
- ``baseline``: at-risk = f × that side's OI notional, ``f`` fitted on the *other* seeds' truth of
  the same variant (leave one seed out): a naive estimator that knows the answer's average size;
- ``range``: how often the ensemble's 80 % range holds the truth, and its median high ÷ low; the
  ``calibrated_range`` is the same with the members weighted by how well they explain the variant's
  simulated liquidation events (``EnsembleModel.member_weights``); the ``scaled_range`` also scales
  each member by its own recorded ÷ estimated volume and is widened to the calibrated figure.

The simulator's crowds (``market.simulator.CROWDS``) do not share the model's mechanics: every contract
has a long and a short holder (the passive side partly market makers at low leverage), entries anywhere
in the candle, heavy-tailed whole closes, stop-losses, cross margin and tranche liquidation
(market/simulator). The model still counts OI the way public heatmaps do (each new contract a long
*or* a short, split by taker flow), so part of its error is that difference. The ensemble was chosen
from what real markets plausibly do, not from these crowds; the real-data scoring is ``python main.py
evaluate`` on recorded liquidations.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Mapping

import numpy as np

SEEDS = tuple(range(101, 107))  # 6 seeds per variant, 7 variants (2 cores: a few minutes in all)
DAYS = 8.0  # long enough for the model to warm up (a few holding times)
SNAPSHOTS_BEFORE_END_MIN = (0, 11 * 60)
BANDS = (0.02, 0.05, 0.10)


GOALS = {
    "range_coverage_2pct": ">= 0.80 (worst variant)",
    "range_coverage_5pct": ">= 0.80 (worst variant)",
    "range_coverage_10pct": ">= 0.80 (worst variant)",
    "range_width_2pct": "<= 4 (median high/low, worst variant)",
    "range_width_5pct": "<= 4 (worst variant)",
    "range_width_10pct": "<= 4 (worst variant)",
    "calibrated_at_risk_error_2pct": "<= 0.35 (worst variant)",
    "calibrated_at_risk_error_5pct": "<= 0.25 (worst variant)",
    "calibrated_at_risk_error_10pct": "<= 0.25 (worst variant)",
    "calibrated_oos_at_risk_error_2pct_worst": "<= 0.35",
    "calibrated_oos_at_risk_error_5pct_worst": "<= 0.25",
    "calibrated_oos_at_risk_error_10pct_worst": "<= 0.25",
    "oi_calibrated_at_risk_error_2pct_worst": "below at_risk_error_2pct_worst (uncalibrated)",
    "oi_calibrated_at_risk_error_5pct_worst": "below at_risk_error_5pct_worst (uncalibrated)",
    "oi_calibrated_at_risk_error_10pct_worst": "below at_risk_error_10pct_worst (uncalibrated)",
    "model_beats_baseline_in_every_band": "yes in every variant",
}


def at_risk(prices: np.ndarray, long_usd: np.ndarray, short_usd: np.ndarray, price: float, band: float) -> tuple[float, float]:
    """(shorts in (price, price(1+band)], longs in [price(1-band), price)) by bin centre."""
    s = short_usd[(prices > price) & (prices <= price * (1 + band))].sum()
    lo = long_usd[(prices < price) & (prices >= price * (1 - band))].sum()
    return float(s), float(lo)


OOS_TRAIN_SHARE = 2 / 3  # the out-of-sample fit sees the events of the first two thirds of the record


def _fits(known, params):
    """(events fit, its out-of-sample twin, OI-only fit) as of the data ``known``."""
    from analytics.calibrate import CALIBRATION_GRID, HOLD_CANDIDATES_HOURS, calibrate
    from analytics.calibrate_oi import calibrate_from_oi

    kw = dict(leverages=CALIBRATION_GRID, holds_hours=HOLD_CANDIDATES_HOURS, sink=True)
    fit = calibrate(known.candles, known.open_interest, known.liquidations, params, **kw)
    oos = calibrate(known.candles, known.open_interest, known.liquidations, params, train_share=OOS_TRAIN_SHARE, **kw)
    from_oi = calibrate_from_oi(known.candles, known.open_interest, params)
    return fit, oos, from_oi


def _variant_rows(name: str) -> tuple[list[dict], list[dict]]:
    """One row per (seed, instant, side, band): truth, model, calibrated, range, OI notional; and one
    row per seed: what the fits chose."""
    from analytics.central import at_risk_estimate
    from analytics.ensemble import EnsembleModel, figure_range
    from analytics.liquidation import LiquidationModel
    from analytics.params import ModelParams
    from market.simulator import DEFAULT_START_MS, crowd_config, simulate, true_map

    params = ModelParams()
    end = DEFAULT_START_MS + int(DAYS * 1440) * 60_000
    rows, fits = [], []
    for seed in SEEDS:
        times = tuple(end - m * 60_000 for m in SNAPSHOTS_BEFORE_END_MIN)
        res = simulate(crowd_config(name, seed=seed, days=DAYS, truth_every_minutes=0, truth_times_ms=times))
        # The fits are made once per seed, as of its earliest instant, and used at every instant (at the
        # later one they are simply older): each fit costs a few model runs.
        first = min(snap.ts for snap in res.truth)
        fit, oos, from_oi = _fits(res.frames.known_at(first), params)
        fits.append({"seed": seed, "hold": fit.hold_hours if fit else None, "sink": fit.sink_weight if fit else None,
                     "scale": fit.scale if fit else None, "test_r2": oos.test_r2 if oos else None,
                     "test_r2_prior": oos.test_r2_prior if oos else None,
                     "oi_hold": from_oi.hold_hours if from_oi else None,
                     "oi_mix_fitted": from_oi.mix_fitted if from_oi else None})
        for snap in res.truth:
            known = res.frames.known_at(snap.ts)
            model = LiquidationModel.from_history(known.candles, known.open_interest, params)
            m = model.map_at(snap.ts)
            ens_model = EnsembleModel.from_history(known.candles, known.open_interest, params)
            ens = ens_model.maps_at(snap.ts, m.bin_edges, snap.price)
            narrowed = ens_model.member_weights(snap.ts, known.liquidations, with_scales=True)

            def fitted_map(f):
                if f is None:
                    return None
                return LiquidationModel.from_history(known.candles, known.open_interest, f.params(params)).map_at(snap.ts, m.bin_edges)

            cal, cal_oos, oi_map = fitted_map(fit), fitted_map(oos), fitted_map(from_oi)
            tl, ts_ = true_map(snap, m.bin_edges)
            oi = known.open_interest.sort_values("ts").groupby("exchange").tail(1)
            oi_usd = float((oi["oi_base"] * snap.price).sum())  # OI counts each contract once: one side's notional

            def sides(mm, band):
                if mm is None:
                    return None
                return dict(zip(("short", "long"), at_risk(m.prices, mm.long_usd, mm.short_usd, snap.price, band)))

            for band in BANDS:
                est = sides(m, band)
                true = dict(zip(("short", "long"), at_risk(m.prices, tl, ts_, snap.price, band)))
                members = {"short": ens.shorts_at_risk(snap.price * (1 + band)),
                           "long": ens.longs_at_risk(snap.price * (1 - band))}
                calv, oosv, oiv = sides(cal, band), sides(cal_oos, band), sides(oi_map, band)
                for side in ("short", "long"):
                    r = figure_range(members[side], ens.weights, est[side])
                    rc = rs = None
                    if narrowed is not None:
                        w, scale = narrowed
                        rc = figure_range(members[side], w, est[side])
                        # Narrowed by the fit: each member weighted by how well it explains the events
                        # and scaled by its own recorded ÷ estimated volume, around the calibrated figure.
                        rs = figure_range(members[side] * scale, w, calv[side] if calv else None)
                    rows.append({"variant": name, "seed": seed, "band": band, "side": side, "true": true[side],
                                 "model": est[side], "low": r.low, "high": r.high, "oi_usd": oi_usd,
                                 "cal_low": rc.low if rc else None, "cal_high": rc.high if rc else None,
                                 "scaled_low": rs.low if rs else None, "scaled_high": rs.high if rs else None,
                                 "median_member": float(np.median(members[side])),
                                 # what the report and the card show: the median crowd, narrowed by the events
                                 "central": at_risk_estimate(est[side], members[side],
                                                             narrowed[0] if narrowed is not None else ens.weights,
                                                             params).central,
                                 "calibrated": calv[side] if calv else None,
                                 "calibrated_oos": oosv[side] if oosv else None,
                                 "oi_calibrated": oiv[side] if oiv else None})
    return rows, fits


def _summarize(rows: list[dict], fits: list[dict] | None = None) -> dict:
    out: dict = {}
    if fits:
        # What the fits chose, per seed: the holding times say whether each fit found the crowd's.
        out["calibrated_hold_hours"] = [f["hold"] for f in fits]
        out["calibrated_sink_weight"] = [round(f["sink"], 3) if f["sink"] is not None else None for f in fits]
        out["oi_calibrated_hold_hours"] = [f["oi_hold"] for f in fits]
        out["oi_calibrated_mix_fitted"] = [f["oi_mix_fitted"] for f in fits]
        r2 = [f["test_r2"] for f in fits if f["test_r2"] is not None]
        r2p = [f["test_r2_prior"] for f in fits if f["test_r2_prior"] is not None]
        out["calibrated_oos_event_r2"] = round(statistics.median(r2), 3) if r2 else None
        out["calibrated_oos_event_r2_prior"] = round(statistics.median(r2p), 3) if r2p else None
    for band in BANDS:
        b = [r for r in rows if r["band"] == band and r["true"] > 0]
        tag = f"{int(band * 100)}pct"
        if not b:
            continue
        err = [abs(r["model"] / r["true"] - 1) for r in b]
        cal = [abs(r["calibrated"] / r["true"] - 1) for r in b if r["calibrated"] is not None]
        cover = [r["low"] <= r["true"] <= r["high"] for r in b]
        width = [r["high"] / r["low"] if r["low"] > 0 else float("inf") for r in b]
        # baseline: f = true / OI notional, fitted on the other seeds (same variant, band and side)
        base = []
        for r in b:
            others = [o["true"] / o["oi_usd"] for o in b if o["seed"] != r["seed"] and o["side"] == r["side"] and o["oi_usd"] > 0]
            if others:
                base.append(abs(statistics.median(others) * r["oi_usd"] / r["true"] - 1))
        out[f"at_risk_error_{tag}"] = round(statistics.median(err), 3)
        out[f"at_risk_bias_{tag}"] = round(statistics.median(r["model"] / r["true"] - 1 for r in b), 3)
        out[f"calibrated_at_risk_error_{tag}"] = round(statistics.median(cal), 3) if cal else None
        out[f"baseline_at_risk_error_{tag}"] = round(statistics.median(base), 3) if base else None
        oic = [abs(r["oi_calibrated"] / r["true"] - 1) for r in b if r["oi_calibrated"] is not None]
        out[f"oi_calibrated_at_risk_error_{tag}"] = round(statistics.median(oic), 3) if oic else None
        oos = [abs(r["calibrated_oos"] / r["true"] - 1) for r in b if r["calibrated_oos"] is not None]
        out[f"calibrated_oos_at_risk_error_{tag}"] = round(statistics.median(oos), 3) if oos else None
        sb = [r for r in b if r["scaled_low"] is not None]
        if sb:
            out[f"scaled_range_coverage_{tag}"] = round(sum(r["scaled_low"] <= r["true"] <= r["scaled_high"] for r in sb) / len(sb), 3)
            out[f"scaled_range_width_{tag}"] = round(statistics.median(
                r["scaled_high"] / r["scaled_low"] if r["scaled_low"] > 0 else float("inf") for r in sb), 2)
        out[f"range_coverage_{tag}"] = round(sum(cover) / len(cover), 3)
        out[f"range_width_{tag}"] = round(statistics.median(width), 2)
        cb = [r for r in b if r["cal_low"] is not None]
        if cb:
            out[f"calibrated_range_coverage_{tag}"] = round(sum(r["cal_low"] <= r["true"] <= r["cal_high"] for r in cb) / len(cb), 3)
            out[f"calibrated_range_width_{tag}"] = round(statistics.median(
                r["cal_high"] / r["cal_low"] if r["cal_low"] > 0 else float("inf") for r in cb), 2)
        out[f"median_member_at_risk_error_{tag}"] = round(statistics.median(abs(r["median_member"] / r["true"] - 1) for r in b), 3)
        out[f"central_at_risk_error_{tag}"] = round(statistics.median(abs(r["central"] / r["true"] - 1) for r in b), 3)
        out[f"central_at_risk_bias_{tag}"] = round(statistics.median(r["central"] / r["true"] - 1 for r in b), 3)
    return out


def run() -> dict:
    t0 = time.perf_counter()
    per: dict[str, dict] = {}
    from market.simulator import CROWDS

    for name in CROWDS:
        per[name] = _summarize(*_variant_rows(name))
    out: dict = {}
    for band in BANDS:
        tag = f"{int(band * 100)}pct"
        out[f"at_risk_error_{tag}"] = per["default"].get(f"at_risk_error_{tag}")
        out[f"baseline_at_risk_error_{tag}"] = per["default"].get(f"baseline_at_risk_error_{tag}")  # beside at_risk_error
        oic = [v.get(f"oi_calibrated_at_risk_error_{tag}") for v in per.values() if v.get(f"oi_calibrated_at_risk_error_{tag}") is not None]
        if oic:
            out[f"oi_calibrated_at_risk_error_{tag}"] = max(oic)
            out[f"oi_calibrated_at_risk_error_{tag}_worst"] = max(oic)
        oos = [v.get(f"calibrated_oos_at_risk_error_{tag}") for v in per.values() if v.get(f"calibrated_oos_at_risk_error_{tag}") is not None]
        out[f"calibrated_oos_at_risk_error_{tag}_worst"] = max(oos) if oos else None
        # Beside them, from the same run: the uncalibrated model and the naive baseline, worst crowd.
        out[f"central_at_risk_error_{tag}"] = per["default"].get(f"central_at_risk_error_{tag}")
        for key in (f"at_risk_error_{tag}", f"baseline_at_risk_error_{tag}", f"central_at_risk_error_{tag}"):
            vals = [v[key] for v in per.values() if v.get(key) is not None]
            out[f"{key}_worst"] = max(vals) if vals else None
        for key, pick in ((f"scaled_range_coverage_{tag}", min), (f"scaled_range_width_{tag}", max)):
            vals = [v[key] for v in per.values() if v.get(key) is not None]
            out[key] = pick(vals) if vals else None
        cov = [v.get(f"range_coverage_{tag}") for v in per.values() if v.get(f"range_coverage_{tag}") is not None]
        wid = [v.get(f"range_width_{tag}") for v in per.values() if v.get(f"range_width_{tag}") is not None]
        cal = [v.get(f"calibrated_at_risk_error_{tag}") for v in per.values() if v.get(f"calibrated_at_risk_error_{tag}") is not None]
        out[f"range_coverage_{tag}"] = min(cov) if cov else None
        out[f"range_width_{tag}"] = max(wid) if wid else None
        out[f"calibrated_at_risk_error_{tag}"] = max(cal) if cal else None
        for key in (f"calibrated_range_coverage_{tag}",):
            vals = [v[key] for v in per.values() if v.get(key) is not None]
            out[key] = min(vals) if vals else None
        for key in (f"calibrated_range_width_{tag}",):
            vals = [v[key] for v in per.values() if v.get(key) is not None]
            out[key] = max(vals) if vals else None
    beats = {name: all((v.get(f"at_risk_error_{int(b * 100)}pct") or 0) < (v.get(f"baseline_at_risk_error_{int(b * 100)}pct") or float("inf"))
                       for b in BANDS) for name, v in per.items()}
    out["model_beats_baseline_in_every_band"] = ", ".join(f"{k}: {'yes' if ok else 'no'}" for k, ok in beats.items())
    out["variants"] = per
    out["seeds_per_variant"] = len(SEEDS)
    out["instants_per_seed"] = len(SNAPSHOTS_BEFORE_END_MIN)
    out["days_per_seed"] = DAYS
    out["seconds"] = round(time.perf_counter() - t0, 1)
    _print_misses(out, per)
    return out


def _print_misses(out: dict, per: dict) -> None:
    for name, v in per.items():
        for band in BANDS:
            tag = f"{int(band * 100)}pct"
            cov, wid = v.get(f"range_coverage_{tag}"), v.get(f"range_width_{tag}")
            cal = v.get(f"calibrated_at_risk_error_{tag}")
            err, base = v.get(f"at_risk_error_{tag}"), v.get(f"baseline_at_risk_error_{tag}")
            ccov, cwid = v.get(f"calibrated_range_coverage_{tag}"), v.get(f"calibrated_range_width_{tag}")
            if ccov is not None and ccov < 0.8:
                print(f"MISS: {name} ±{tag}: the calibrated 80 % range held the truth in {ccov:.0%} of cases", file=sys.stderr)
            if cwid is not None and cwid > 4:
                print(f"MISS: {name} ±{tag}: calibrated median range width {cwid:.1f}× (goal ≤ 4)", file=sys.stderr)
            if cov is not None and cov < 0.8:
                print(f"MISS: {name} ±{tag}: the 80 % range held the truth in {cov:.0%} of cases", file=sys.stderr)
            if wid is not None and wid > 4:
                print(f"MISS: {name} ±{tag}: median range width {wid:.1f}× (goal ≤ 4)", file=sys.stderr)
            goal = 0.35 if band == 0.02 else 0.25
            if cal is not None and cal > goal:
                print(f"MISS: {name} ±{tag}: calibrated error {cal:.2f} (goal ≤ {goal})", file=sys.stderr)
            oos, oic = v.get(f"calibrated_oos_at_risk_error_{tag}"), v.get(f"oi_calibrated_at_risk_error_{tag}")
            if oos is not None and oos > goal:
                print(f"MISS: {name} ±{tag}: out-of-sample calibrated error {oos:.2f} (goal ≤ {goal})", file=sys.stderr)
            if oic is not None and err is not None and oic >= err:
                print(f"MISS: {name} ±{tag}: OI-only calibration error {oic:.2f} not below the uncalibrated {err:.2f}", file=sys.stderr)
            if err is not None and base is not None and err >= base:
                print(f"MISS: {name} ±{tag}: model error {err:.2f} not below the constant-share baseline {base:.2f}", file=sys.stderr)
