"""Calibration: fit the leverage mix to the liquidations actually observed.

A tier's cohorts, their liquidation prices and the candles that reach them do not depend on the
weights, only their sizes do; and the sizes are nearly linear in the weights (not exactly: what the
model liquidates is credited in its OI accounting, and that credit depends on the mix). So a run at a
mix gives, per time bucket and side, each tier's estimated liquidated USD per unit of weight (a column
of ``X``); the observed liquidations ``y`` are fitted by ``X w ≈ y`` with ``w >= 0`` (NNLS), lightly
pulled towards the prior mix so tiers that never liquidate in the window keep a sensible weight, and
the design is rebuilt at the fitted mix a few times so the linearization is taken where the fit is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pandas as pd

from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams

HOUR_MS = 3_600_000


def nnls(a: np.ndarray, b: np.ndarray, max_iter: Optional[int] = None) -> np.ndarray:
    """argmin ||a x - b|| subject to x >= 0 (Lawson–Hanson active set; fine for a few dozen columns)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    m, n = a.shape
    x = np.zeros(n)
    passive = np.zeros(n, bool)
    tol = 10 * np.finfo(float).eps * max(1.0, np.abs(a).max(initial=0.0)) * max(m, n)
    w = a.T @ (b - a @ x)
    for _ in range(max_iter or 3 * n + 10):
        if passive.all() or not (w[~passive] > tol).any():
            break
        j = int(np.argmax(np.where(passive, -np.inf, w)))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > tol).all():
                break
            bad = passive & (z <= tol)
            alpha = np.min(x[bad] / (x[bad] - z[bad]))
            x = x + alpha * (z - x)
            passive &= x > tol
            x[~passive] = 0.0
        x = z
        w = a.T @ (b - a @ x)
    return x


@dataclass(frozen=True)
class Calibration:
    leverages: tuple[float, ...]
    weights: tuple[float, ...]  # fitted, normalized to sum 1 (the sink tier included)
    scale: float  # observed / estimated liquidation volume of the liquidating tiers, at least 1 with a sink
    r2: float  # of the fit on the (training) buckets (1 = perfect, 0 = no better than the mean)
    r2_prior: float  # the same for the prior mix (scaled at best): what calibrating gained
    buckets: int
    observed_usd: float
    hold_hours: Optional[float] = None  # the fitted holding time (None: the base params' was kept)
    hold_weights: tuple[tuple[float, float], ...] = ()  # (hours, likelihood weight) of each candidate
    sink_weight: float = 0.0  # share of the OI-implied mass in the sink tier (never liquidated within reach)
    test_r2: Optional[float] = None  # out of sample: the fit on the buckets after the training span
    test_r2_prior: Optional[float] = None  # the prior mix there, scaled on the training span
    test_buckets: int = 0
    events: int = 0  # recorded liquidation rows used (training and test)
    venues: tuple[str, ...] = ()
    from_ms: int = 0  # span of the recorded liquidations used
    to_ms: int = 0
    train_until_ms: int = 0  # buckets before it were fitted, those after it only scored

    def params(self, base: ModelParams) -> ModelParams:
        """``base`` with the fitted mix, the fitted scale (how much of the estimated mass the recorded
        liquidations say really sits in these tiers) and, where fitted, the holding time."""
        hold = base.mean_hold_ms if self.hold_hours is None else self.hold_hours * HOUR_MS
        return replace(base, leverages=self.leverages, weights=self.weights, scale=base.scale * self.scale,
                       mean_hold_ms=hold)


_DESIGN_FLOOR = 0.02  # least share of a tier in a design run, so every tier has a column to fit
_DESIGN_PASSES = 3
# The holding times a fit chooses among: the ranges' ensemble's (analytics.ensemble.HOLD_HOURS).
HOLD_CANDIDATES_HOURS: tuple[float, ...] = (8.0, 24.0, 72.0)
# The sink tier: mass that no ordinary move liquidates (hedges, market makers, 1-2x). Its liquidation
# price is half the entry away, so the recorded events cannot see it; its weight is what is left of the
# OI-implied mass once the liquidating tiers have taken what the events say they hold.
SINK_LEVERAGE = 2.0
DAY_MS = 24 * HOUR_MS


def tier_design(candles: pd.DataFrame, open_interest: pd.DataFrame, liquidations: pd.DataFrame, params: ModelParams,
                bucket_ms: int = HOUR_MS, timeframe_ms: int = 60_000, exchanges=None,
                at_weights: np.ndarray | None = None):
    """(X, y, keys): estimated USD per (bucket, exchange, side) and tier per unit of weight, and the observed USD.

    ``at_weights``: the mix the model is run at (default: every tier equal)."""
    x, y, keys, _row_ts = _design(candles, open_interest, liquidations, params, bucket_ms, timeframe_ms, exchanges, at_weights)
    return x, y, keys


def _design(candles, open_interest, liquidations, params: ModelParams, bucket_ms: int, timeframe_ms: int,
            exchanges=None, at_weights=None, sides: tuple[str, ...] = ("long", "short")):
    """``tier_design`` and each row's bucket start (ms). ``sides=("both",)`` sums the two sides."""
    k = len(params.leverages)
    w_run = np.full(k, 1.0 / k) if at_weights is None else np.asarray(at_weights, float) / float(np.sum(at_weights))
    w_run = np.maximum(w_run, _DESIGN_FLOOR / k)
    w_run = w_run / w_run.sum()
    flat = replace(params, weights=tuple(float(v) for v in w_run), scale=1.0)
    model = LiquidationModel.from_history(candles, open_interest, flat, timeframe_ms)
    est = model.estimated_liquidations(with_tier=True)
    real = liquidations
    if exchanges is None:
        exchanges = sorted(set(real["exchange"])) if real is not None and len(real) else []
    est = est[est["exchange"].isin(exchanges)]
    real = real[real["exchange"].isin(exchanges)] if real is not None and len(real) else real
    if len(candles):
        lo, hi = int(candles["ts"].min()), int(candles["ts"].max()) + timeframe_ms
    else:
        lo = hi = 0
    nb = max(1, (hi - lo + bucket_ms - 1) // bucket_ms)
    keys = [(e, s) for e in exchanges for s in sides]
    rows = len(keys) * nb
    x = np.zeros((rows, k))
    y = np.zeros(rows)

    def index(df):
        ex = pd.Categorical(df["exchange"], categories=list(exchanges)).codes.astype(np.int64)
        kk = ex * len(sides)
        if len(sides) > 1:
            kk = kk + pd.Categorical(df["side"], categories=list(sides)).codes.astype(np.int64)
        bucket = (df["ts"].to_numpy(np.int64) - lo) // bucket_ms
        return kk * nb + np.clip(bucket, 0, nb - 1)

    if len(est):
        tier = est["tier"].to_numpy(np.int64)
        np.add.at(x, (index(est), tier), est["notional_usd"].to_numpy(float) / w_run[tier])
    if real is not None and len(real):
        real = real[(real["ts"] >= lo) & (real["ts"] < hi)]
        np.add.at(y, index(real), real["notional_usd"].to_numpy(float))
    row_ts = lo + (np.arange(rows) % nb) * bucket_ms
    return x, y, keys, row_ts


def _r2(pred: np.ndarray, y: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else float("nan")


def fit_tiers(x: np.ndarray, y: np.ndarray, prior: np.ndarray, prior_strength: float) -> tuple[np.ndarray, float]:
    """(w >= 0, s0): ``X w ≈ y``, pulled towards ``s0 × prior`` (``s0`` the prior's best scale) with a
    strength relative to the design's size, so tiers the data cannot see keep the prior's share."""
    xp = x @ prior
    s0 = float(xp @ y / (xp @ xp)) if xp @ xp > 0 else 1.0
    k = x.shape[1]
    alpha = prior_strength * float((x * x).sum()) / k
    a = np.vstack([x, np.sqrt(alpha) * np.eye(k)])
    b = np.concatenate([y, np.sqrt(alpha) * s0 * prior])
    return nnls(a, b), s0


def profile_weights(residuals: np.ndarray, n_blocks: float) -> np.ndarray:
    """Gaussian profile likelihood of candidates with relative squared residuals ``R``, as weights:
    ``(R_best / R) ** (n / 2)`` with ``n`` independent blocks (days: neighbouring hours share a regime)."""
    r = np.maximum(np.asarray(residuals, float), 1e-12)
    logw = -0.5 * max(1.0, float(n_blocks)) * np.log(r / r.min())
    w = np.exp(logw - logw.max())
    return w / w.sum()


CALIBRATION_GRID = (3.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0)  # finer tiers than the default mix


def _with_sink(params: ModelParams) -> ModelParams:
    if min(params.leverages) <= SINK_LEVERAGE:
        return params
    lev = tuple(params.leverages) + (SINK_LEVERAGE,)
    w = tuple(params.weights) + (float(np.mean(params.weights)),)
    return replace(params, leverages=lev, weights=w)


def calibrate(candles: pd.DataFrame, open_interest: pd.DataFrame, liquidations: pd.DataFrame,
              params: ModelParams | None = None, bucket_ms: int = HOUR_MS, prior_strength: float = 0.05,
              timeframe_ms: int = 60_000, leverages: tuple[float, ...] | None = None,
              holds_hours: tuple[float, ...] | None = None, sink: bool = False,
              train_share: float = 1.0) -> Optional[Calibration]:
    """Fit the tier weights (and the scale) to the observed ``liquidations``; None without observed liquidations.

    The tiers are ``params``' own, or ``leverages`` (e.g. ``CALIBRATION_GRID``) with an even prior.
    ``holds_hours``: choose the holding time among these by the likelihood of the events (one design
    run each; None keeps ``params``'). ``sink``: add the sink tier (``SINK_LEVERAGE``), which takes the
    OI-implied mass the liquidating tiers do not. ``train_share`` < 1: fit on that first part of the
    recorded span (in time) and score the fit on the rest (``test_r2``).
    Buckets before the first recorded event are left out: before a record starts, no event is not
    evidence of none.
    """
    params = params or ModelParams()
    if leverages is not None:
        params = replace(params, leverages=tuple(float(v) for v in leverages), weights=tuple([1.0] * len(leverages)))
    if sink:
        params = _with_sink(params)
    if liquidations is None or len(liquidations) == 0 or candles is None or len(candles) == 0:
        return None
    lev = np.asarray(params.leverages, float)
    live = lev > SINK_LEVERAGE if sink else np.ones(len(lev), bool)
    prior = params.normalized_weights()[live]
    prior = prior / prior.sum() if prior.sum() > 0 else np.full(int(live.sum()), 1.0 / max(1, int(live.sum())))
    lo_c, hi_c = int(candles["ts"].min()), int(candles["ts"].max()) + timeframe_ms
    rec = liquidations[(liquidations["ts"] >= lo_c) & (liquidations["ts"] < hi_c)]
    if len(rec) == 0:
        return None
    t0 = int(rec["ts"].min()) // bucket_ms * bucket_ms
    t_end = hi_c
    share = min(max(float(train_share), 0.0), 1.0)
    split = t_end if share >= 1.0 else t0 + int((t_end - t0) * share) // bucket_ms * bucket_ms

    def full_mix(w: np.ndarray) -> np.ndarray:
        out = np.zeros(len(lev))
        out[live] = w
        if sink:
            out[~live] = max(0.0, 1.0 - float(w.sum())) / max(1, int((~live).sum()))
        return out

    def fit_at(p: ModelParams, at):
        x, y, keys, row_ts = _design(candles, open_interest, rec, p, bucket_ms, timeframe_ms, at_weights=at)
        tr = (row_ts >= t0) & (row_ts < split)
        te = row_ts >= split
        xl = x[:, live]
        if not (y[tr] > 0).any() or not (xl[tr] > 0).any():
            return None
        w, s0 = fit_tiers(xl[tr], y[tr], prior, prior_strength)
        return w, s0, xl, y, tr, te, keys

    holds = tuple(holds_hours) if holds_hours else ()
    hold_w: tuple[tuple[float, float], ...] = ()
    chosen_params = params
    at = None
    fitted = None
    if holds:
        cands, resid = [], []
        for h in holds:
            ph = replace(params, mean_hold_ms=float(h) * HOUR_MS)
            f = fit_at(ph, None)
            if f is None:
                continue
            w, _s0, xl, y, tr, _te, _k = f
            resid.append(float(((y[tr] - xl[tr] @ w) ** 2).sum() / max(float((y[tr] ** 2).sum()), 1e-300)))
            cands.append((float(h), ph, f))
        if not cands:
            return None
        lw = profile_weights(np.array(resid), (split - t0) / DAY_MS)
        hold_w = tuple((h, float(v)) for (h, _p, _f), v in zip(cands, lw))
        best = int(np.argmax(lw))
        _h, chosen_params, fitted = cands[best]
        at = full_mix(fitted[0])
    passes = _DESIGN_PASSES - (1 if holds else 0)
    for _ in range(passes):
        f = fit_at(chosen_params, at)
        if f is None:
            return None
        fitted = f
        if fitted[0].sum() <= 0:
            return None
        at = full_mix(fitted[0])
    if fitted is None or fitted[0].sum() <= 0:
        return None
    w, s0, xl, y, tr, te, keys = fitted
    total = float(w.sum())
    if sink:
        mix = full_mix(w)
        scale = max(total, 1.0)
        weights = mix / mix.sum()
    else:
        scale = total
        weights = w / total
    test_r2 = test_prior = None
    if te.any() and (y[te] > 0).any():
        test_r2 = _r2(xl[te] @ w, y[te])
        test_prior = _r2(s0 * (xl[te] @ prior), y[te])
    used = rec[rec["exchange"].isin({e for e, _s in keys})]
    return Calibration(
        leverages=tuple(float(v) for v in chosen_params.leverages),
        weights=tuple(float(v) for v in weights),
        scale=float(scale),
        r2=_r2(xl[tr] @ w, y[tr]),
        r2_prior=_r2(s0 * (xl[tr] @ prior), y[tr]),
        buckets=int(tr.sum()),
        observed_usd=float(y[tr].sum()),
        hold_hours=(chosen_params.mean_hold_ms / HOUR_MS if holds and chosen_params.mean_hold_ms else None),
        hold_weights=hold_w,
        sink_weight=float(weights[~live].sum()) if sink else 0.0,
        test_r2=test_r2,
        test_r2_prior=test_prior,
        test_buckets=int(te.sum()),
        events=int(len(used)),
        venues=tuple(sorted({e for e, _s in keys})),
        from_ms=int(used["ts"].min()) if len(used) else 0,
        to_ms=int(used["ts"].max()) if len(used) else 0,
        train_until_ms=int(min(split, t_end)),
    )
