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

from cascade_vocab.units import HOUR_MS, MINUTE_MS


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
    weights: tuple[float, ...]  # fitted, normalized to sum 1
    scale: float  # sum of the raw fitted weights: observed / estimated liquidation volume
    r2: float  # of the fit on the buckets (1 = perfect, 0 = no better than the mean)
    r2_prior: float  # the same for the prior mix (scaled at best): what calibrating gained
    buckets: int
    observed_usd: float

    def params(self, base: ModelParams) -> ModelParams:
        """``base`` with the fitted mix and the fitted scale (how much of the estimated mass the recorded
        liquidations say really sits in these tiers)."""
        return replace(base, leverages=self.leverages, weights=self.weights, scale=base.scale * self.scale)


_DESIGN_FLOOR = 0.02  # least share of a tier in a design run, so every tier has a column to fit
_DESIGN_PASSES = 3


def tier_design(candles: pd.DataFrame, open_interest: pd.DataFrame, liquidations: pd.DataFrame, params: ModelParams,
                bucket_ms: int = HOUR_MS, timeframe_ms: int = MINUTE_MS, exchanges=None,
                at_weights: np.ndarray | None = None):
    """(X, y, keys): estimated USD per (bucket, exchange, side) and tier per unit of weight, and the observed USD.

    ``at_weights``: the mix the model is run at (default: every tier equal)."""
    k = len(params.leverages)
    w_run = np.full(k, 1.0 / k) if at_weights is None else np.asarray(at_weights, float) / float(np.sum(at_weights))
    w_run = np.maximum(w_run, _DESIGN_FLOOR / k)
    w_run = w_run / w_run.sum()
    flat = replace(params, weights=tuple(float(v) for v in w_run))
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
    keys = [(e, s) for e in exchanges for s in ("long", "short")]
    rows = len(keys) * nb
    x = np.zeros((rows, k))
    y = np.zeros(rows)

    def index(df):
        kk = np.array([keys.index((e, s)) for e, s in zip(df["exchange"], df["side"])], dtype=np.int64)
        bucket = (df["ts"].to_numpy(np.int64) - lo) // bucket_ms
        return kk * nb + np.clip(bucket, 0, nb - 1)

    if len(est):
        tier = est["tier"].to_numpy(np.int64)
        np.add.at(x, (index(est), tier), est["notional_usd"].to_numpy(float) / w_run[tier])
    if real is not None and len(real):
        real = real[(real["ts"] >= lo) & (real["ts"] < hi)]
        np.add.at(y, index(real), real["notional_usd"].to_numpy(float))
    return x, y, keys


def _r2(pred: np.ndarray, y: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else float("nan")


CALIBRATION_GRID = (3.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0)  # finer tiers than the default mix


def calibrate(candles: pd.DataFrame, open_interest: pd.DataFrame, liquidations: pd.DataFrame,
              params: ModelParams | None = None, bucket_ms: int = HOUR_MS, prior_strength: float = 0.05,
              timeframe_ms: int = MINUTE_MS, leverages: tuple[float, ...] | None = None) -> Optional[Calibration]:
    """Fit the tier weights to the observed ``liquidations``; None without observed liquidations.

    The tiers are ``params``' own, or ``leverages`` (e.g. ``CALIBRATION_GRID``) with an even prior.
    """
    params = params or ModelParams()
    if leverages is not None:
        params = replace(params, leverages=tuple(float(v) for v in leverages), weights=tuple([1.0] * len(leverages)))
    if liquidations is None or len(liquidations) == 0:
        return None
    prior = params.normalized_weights()
    at = None
    for _ in range(_DESIGN_PASSES):
        x, y, _keys = tier_design(candles, open_interest, liquidations, params, bucket_ms, timeframe_ms, at_weights=at)
        if not (y > 0).any() or not (x > 0).any():
            return None
        xp = x @ prior
        s0 = float(xp @ y / (xp @ xp)) if xp @ xp > 0 else 1.0
        k = x.shape[1]
        alpha = prior_strength * float((x * x).sum()) / k
        a = np.vstack([x, np.sqrt(alpha) * np.eye(k)])
        b = np.concatenate([y, np.sqrt(alpha) * s0 * prior])
        w = nnls(a, b)
        if w.sum() <= 0:
            return None
        at = w
    return Calibration(
        leverages=tuple(float(v) for v in params.leverages),
        weights=tuple(float(v) for v in w / w.sum()),
        scale=float(w.sum()),
        r2=_r2(x @ w, y),
        r2_prior=_r2(s0 * xp, y),
        buckets=int(len(y)),
        observed_usd=float(y.sum()),
    )
