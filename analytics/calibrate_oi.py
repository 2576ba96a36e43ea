"""Calibration without liquidation events: the holding time and the leverage from candles and OI alone.

Much history has no liquidation record (feeds throttle, archives stop), but open interest answers two
questions on its own:

- **Holding time** (Little's law): open interest is the positions opened and not yet closed. If a
  stable part of the traded volume opens positions and they close after ``H`` on average, OI follows
  the volume filtered by ``exp(-age / H)``. Per venue, OI is regressed on that filtered volume (hourly,
  after a day of warm-up) for each candidate ``H``; the candidates are weighed by the likelihood of the
  residuals, as the event fit does.
- **Leverage and scale** (sweeps): when price runs through a cluster the model placed, the positions
  there are force-closed and OI falls by their size. Per venue and hour, the fall of OI that traded
  volume and the venue's own drift do not explain is regressed on each tier's estimated liquidations
  (both sides), non-negatively: a tier whose estimated clusters price swept without OI falling holds
  less than the prior said; the part of the OI-implied mass that the falls do not show goes to the
  sink tier (``analytics.calibrate.SINK_LEVERAGE``), as in the event fit.

Both are weak signals next to recorded events: OI also falls when traders close by choice, and a
volume burst opens and closes at once. The result says how much it rests on (hours, venues, the OI
falls explained).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pandas as pd

from analytics.calibrate import (CALIBRATION_GRID, DAY_MS, HOLD_CANDIDATES_HOURS, HOUR_MS, SINK_LEVERAGE, _design,
                                 _r2, _with_sink, fit_tiers, profile_weights)
from analytics.params import ModelParams

_WARMUP_HOURS = 24  # the filtered volume needs about a holding time of history before it means anything
_PASSES = 2
# Least share of the unexplained OI falls the tiers' sweeps must explain before the mix is taken from
# them: below it the falls are ordinary closing noise, and a fit to noise would move the mix at random.
MIN_SWEEP_R2 = 0.1


@dataclass(frozen=True)
class OICalibration:
    leverages: tuple[float, ...]
    weights: tuple[float, ...]  # normalized, the sink tier included
    scale: float
    hold_hours: float
    hold_weights: tuple[tuple[float, float], ...]  # (hours, likelihood weight) from OI vs volume
    sink_weight: float
    r2_hold: float  # of OI on the filtered volume at the chosen holding time (venues pooled)
    r2_sweeps: float  # of the unexplained OI falls on the tiers' estimated liquidations
    hours: int
    venues: tuple[str, ...]
    from_ms: int
    to_ms: int
    mix_fitted: bool = True  # False: the OI falls at sweeps said nothing, the base mix and scale were kept

    def params(self, base: ModelParams) -> ModelParams:
        return replace(base, leverages=self.leverages, weights=self.weights, scale=base.scale * self.scale,
                       mean_hold_ms=self.hold_hours * HOUR_MS)


def _hourly(candles: pd.DataFrame, open_interest: pd.DataFrame, bucket_ms: int):
    """Per venue: (bucket starts, volume per bucket, OI base at each bucket's end, close at the end)."""
    out = {}
    for ex, c in candles.groupby("exchange"):
        o = open_interest[open_interest["exchange"] == ex].sort_values("ts", kind="stable")
        if len(o) < 2 or len(c) < 2:
            continue
        b = c["ts"].to_numpy(np.int64) // bucket_ms
        first, last = int(b.min()), int(b.max())
        n = last - first + 1
        vol = np.bincount(b - first, c["volume"].to_numpy(float), minlength=n)
        close = np.full(n, np.nan)
        order = np.argsort(c["ts"].to_numpy(np.int64), kind="stable")
        close[(b - first)[order]] = c["close"].to_numpy(float)[order]  # the bucket's last close wins
        close = pd.Series(close).ffill().to_numpy()
        starts = (first + np.arange(n)) * bucket_ms
        ends = starts + bucket_ms
        ots = o["ts"].to_numpy(np.int64)
        pos = np.searchsorted(ots, ends, side="right") - 1
        oi = np.where(pos >= 0, o["oi_base"].to_numpy(float)[np.clip(pos, 0, None)], np.nan)
        out[str(ex)] = (starts, vol, oi, close)
    return out


def _filtered(vol: np.ndarray, hours: float, bucket_h: float) -> np.ndarray:
    """Volume filtered by the survival ``exp(-age / hours)``; before the data, the volume is taken to
    have been the first day's average (a filter started at zero would mistake the warm-up for a trend)."""
    keep = np.exp(-bucket_h / hours)
    out = np.empty_like(vol)
    first = vol[: max(1, int(round(24 / bucket_h)))]
    acc = float(first.mean()) * keep / (1.0 - keep) if len(first) else 0.0
    for i, v in enumerate(vol):
        acc = acc * keep + v
        out[i] = acc
    return out


def fit_hold_from_oi(series, candidates: tuple[float, ...], bucket_ms: int) -> Optional[tuple[np.ndarray, np.ndarray, int]]:
    """(likelihood weights over ``candidates``, pooled R² per candidate, hours used) or None."""
    bucket_h = bucket_ms / HOUR_MS
    resid = np.zeros(len(candidates))
    ss = np.zeros(len(candidates))
    used = 0
    for _ex, (_starts, vol, oi, _close) in series.items():
        ok = np.isfinite(oi)
        warm = int(np.ceil(_WARMUP_HOURS / bucket_h))
        if ok.sum() < warm + 12:
            continue
        for j, h in enumerate(candidates):
            f = _filtered(vol, h, bucket_h)
            sel = ok.copy()
            sel[:warm] = False
            a = np.column_stack([f[sel], np.ones(int(sel.sum()))])
            y = oi[sel]
            coef = np.linalg.lstsq(a, y, rcond=None)[0]
            resid[j] += float(((y - a @ coef) ** 2).sum())
            ss[j] += float(((y - y.mean()) ** 2).sum())
        used += int((ok[warm:]).sum())
    if used == 0 or not (ss > 0).all():
        return None
    rel = resid / ss
    return profile_weights(rel, used * bucket_ms / DAY_MS), 1.0 - rel, used


def _unexplained_falls(series, keys, nb: int, lo: int, bucket_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, nuisance) per design row: the fall of OI (USD) per bucket, and per-venue [volume, OI, 1]
    columns that the sweeps' fit projects out: openings with the volume, ordinary closing in proportion
    to what is open (the holding time), and the venue's drift."""
    y = np.zeros(len(keys) * nb)
    nuis = np.zeros((len(keys) * nb, 3 * len(keys)))
    for j, (ex, _side) in enumerate(keys):
        if ex not in series:
            continue
        starts, vol, oi, close = series[ex]
        idx = (starts - lo) // bucket_ms
        inside = (idx >= 0) & (idx < nb)
        prev = np.concatenate([[np.nan], oi[:-1]])
        fall = (prev - oi) * close  # positive when OI fell
        good = inside & np.isfinite(fall)
        rows = j * nb + idx[good]
        y[rows] = fall[good]
        nuis[rows, 3 * j] = vol[good] * close[good]
        nuis[rows, 3 * j + 1] = prev[good] * close[good]
        nuis[rows, 3 * j + 2] = 1.0
    return y, nuis


def calibrate_from_oi(candles: pd.DataFrame, open_interest: pd.DataFrame, params: ModelParams | None = None,
                      leverages: tuple[float, ...] = CALIBRATION_GRID,
                      holds_hours: tuple[float, ...] = HOLD_CANDIDATES_HOURS, bucket_ms: int = HOUR_MS,
                      prior_strength: float = 0.05, timeframe_ms: int = 60_000) -> Optional[OICalibration]:
    """Fit holding time, leverage mix and scale from candles and OI alone; None where they cannot say."""
    base = params or ModelParams()
    if candles is None or open_interest is None or len(candles) == 0 or len(open_interest) < 2:
        return None
    series = _hourly(candles, open_interest, bucket_ms)
    hold = fit_hold_from_oi(series, tuple(holds_hours), bucket_ms)
    if hold is None:
        return None
    hold_w, r2s, hours = hold
    best = int(np.argmax(hold_w))
    chosen = float(holds_hours[best])
    p = _with_sink(replace(base, leverages=tuple(float(v) for v in leverages), weights=tuple([1.0] * len(leverages)),
                           mean_hold_ms=chosen * HOUR_MS))
    lev = np.asarray(p.leverages, float)
    live = lev > SINK_LEVERAGE
    prior = np.full(int(live.sum()), 1.0 / int(live.sum()))
    venues = sorted(series)
    lo = int(candles["ts"].min())
    hi = int(candles["ts"].max()) + timeframe_ms
    nb = max(1, (hi - lo + bucket_ms - 1) // bucket_ms)
    no_events = pd.DataFrame({"ts": pd.Series([], dtype="int64"), "exchange": pd.Series([], dtype=object),
                              "side": pd.Series([], dtype=object), "notional_usd": pd.Series([], dtype=float)})
    at = None
    w = s0 = None
    r2_sweeps = float("nan")
    for _ in range(_PASSES):
        x, _y0, keys, row_ts = _design(candles, open_interest, no_events, p, bucket_ms, timeframe_ms,
                                       exchanges=venues, at_weights=at, sides=("both",))
        y, nuis = _unexplained_falls(series, keys, nb, lo, bucket_ms)
        use = row_ts >= lo + _WARMUP_HOURS * HOUR_MS
        xl, y, nuis = x[use][:, live], y[use], nuis[use]
        # Project ordinary turnover and drift out of both sides (Frisch-Waugh), then fit the tiers.
        q, _r = np.linalg.qr(nuis[:, (nuis != 0).any(axis=0)])
        yr = y - q @ (q.T @ y)
        xr = xl - q @ (q.T @ xl)
        if not (xr ** 2).sum() > 0:
            return None
        w, s0 = fit_tiers(xr, yr, prior, prior_strength)
        r2_sweeps = _r2(xr @ w, yr)
        full = np.zeros(len(lev))
        full[live] = w
        full[~live] = max(0.0, 1.0 - float(w.sum())) / max(1, int((~live).sum()))
        at = full
    total = float(w.sum())
    if total <= 0 or not r2_sweeps >= MIN_SWEEP_R2:
        # No sweep shows in OI (where liquidated contracts are taken over rather than closed, OI does
        # not fall at a sweep): the mix and the scale stay the base's, only the holding time is fitted.
        return OICalibration(
            leverages=tuple(float(v) for v in base.leverages), weights=tuple(float(v) for v in base.normalized_weights()),
            scale=1.0, hold_hours=chosen, hold_weights=tuple((float(h), float(v)) for h, v in zip(holds_hours, hold_w)),
            sink_weight=0.0, r2_hold=float(r2s[best]), r2_sweeps=float(r2_sweeps), hours=int(hours),
            venues=tuple(venues), from_ms=lo, to_ms=hi, mix_fitted=False)
    mix = at / at.sum()
    return OICalibration(
        leverages=tuple(float(v) for v in p.leverages),
        weights=tuple(float(v) for v in mix),
        scale=float(max(total, 1.0)),
        hold_hours=chosen,
        hold_weights=tuple((float(h), float(v)) for h, v in zip(holds_hours, hold_w)),
        sink_weight=float(mix[~live].sum()),
        r2_hold=float(r2s[best]),
        r2_sweeps=float(r2_sweeps),
        hours=int(hours),
        venues=tuple(venues),
        from_ms=lo,
        to_ms=hi,
        mix_fitted=True,
    )
