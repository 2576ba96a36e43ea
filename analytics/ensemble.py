"""A range on every at-risk figure: the map under an explicit ensemble of plausible crowds.

Nobody outside an exchange knows the leverage its traders use, how long they hold, or how much of the
open interest is hedged or held by market makers at low leverage and so hardly ever liquidated. The
central estimate uses the model's settings; the range says how far the figure moves when those
unknowns take other plausible values. Members (all combinations, equal prior weight):

- holding time 8 h, 24 h, 72 h (turnover of open positions);
- leverage mix: log-normal over the leverage stops venues offer (2x … 125x) with a median of 5x, 15x or
  40x (a spread of one e-fold in leverage), i.e. a cautious, a middling and an aggressive crowd;
- passive share 10 % or 40 %: part of the open interest held at 2x, which no ordinary move liquidates.

The 80 % range is the 10th to 90th percentile of the members' figures (weighted; calibration may
narrow the weights, see ``member_weights``), widened to include the central estimate.

Cost: one model run per holding time, on the ten leverage stops; the members' mixes are per-tier
reweightings of those runs' maps. (Exactly, the model is only nearly linear in the mix, since what it
liquidates is credited in its OI accounting; the runs are made at the members' average mix so the
reweighting is taken near every member.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterable, Optional

import numpy as np
import pandas as pd

from analytics.liquidation import MINUTE_MS, LiquidationModel, split_update, tier_maps_of
from analytics.params import ModelParams

from cascade_vocab.units import HOUR_MS
LEVERAGE_STOPS: tuple[float, ...] = (2.0, 3.0, 5.0, 10.0, 20.0, 25.0, 50.0, 75.0, 100.0, 125.0)
HOLD_HOURS: tuple[float, ...] = (8.0, 24.0, 72.0)
MEDIAN_LEVERAGES: tuple[float, ...] = (5.0, 15.0, 40.0)
PASSIVE_SHARES: tuple[float, ...] = (0.1, 0.4)
PASSIVE_LEVERAGE = 2.0
RANGE_QUANTILES = (0.1, 0.9)
# Passes of the liquidation credit's fixed point in the ensemble's runs: 6 leave at-risk figures within
# about 3e-5 of the settled ones on a 30-day demo (3 passes: 0.4 %); the reweighting itself is a
# percent-level approximation, so settling further (about 20 more passes per venue and run) buys nothing.
ENSEMBLE_PASSES = 6


@dataclass(frozen=True)
class Crowd:
    """One ensemble member: a plausible crowd of position holders."""

    hold_hours: float
    median_leverage: float
    passive_share: float

    @property
    def name(self) -> str:
        return f"hold {self.hold_hours:g} h, median {self.median_leverage:g}x, passive {self.passive_share:.0%}"

    def mix(self) -> np.ndarray:
        """Weights over ``LEVERAGE_STOPS`` (sum 1)."""
        lev = np.asarray(LEVERAGE_STOPS)
        trader = np.exp(-0.5 * (np.log(lev / self.median_leverage)) ** 2)
        trader /= trader.sum()
        passive = (lev == PASSIVE_LEVERAGE).astype(float)
        return (1.0 - self.passive_share) * trader + self.passive_share * passive


def plausible_crowds() -> tuple[Crowd, ...]:
    return tuple(Crowd(h, m, p) for h in HOLD_HOURS for m in MEDIAN_LEVERAGES for p in PASSIVE_SHARES)


def member_params(base: ModelParams, crowd: Crowd) -> ModelParams:
    """The model's settings for one member (what a full run of that member would use)."""
    return replace(base, leverages=LEVERAGE_STOPS, weights=tuple(float(w) for w in crowd.mix()),
                   mean_hold_ms=crowd.hold_hours * HOUR_MS)


@dataclass(frozen=True)
class EnsembleMaps:
    """Every member's map at one instant on the same bins; rows follow ``crowds``."""

    at_ms: int
    price: float
    bin_edges: np.ndarray
    crowds: tuple[Crowd, ...]
    long_usd: np.ndarray  # (members, bins)
    short_usd: np.ndarray
    weights: np.ndarray  # (members,), sum 1

    @property
    def prices(self) -> np.ndarray:
        return (self.bin_edges[:-1] + self.bin_edges[1:]) / 2.0

    def shorts_at_risk(self, up: float) -> np.ndarray:
        c = self.prices
        return self.short_usd[:, (c > self.price) & (c <= up)].sum(axis=1)

    def longs_at_risk(self, down: float) -> np.ndarray:
        c = self.prices
        return self.long_usd[:, (c < self.price) & (c >= down)].sum(axis=1)

    def cumulative_ranges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(long low, long high, short low, short high) of the cumulative curves the map draws: longs
        summed from price downwards, shorts from price upwards, per bin."""
        c = self.prices
        below, above = c < self.price, c > self.price
        lo_cum = np.zeros_like(self.long_usd)
        sh_cum = np.zeros_like(self.short_usd)
        lo_cum[:, below] = np.cumsum(self.long_usd[:, below][:, ::-1], axis=1)[:, ::-1]
        sh_cum[:, above] = np.cumsum(self.short_usd[:, above], axis=1)
        ql = weighted_quantiles(lo_cum, self.weights, RANGE_QUANTILES)
        qs = weighted_quantiles(sh_cum, self.weights, RANGE_QUANTILES)
        return ql[0], ql[1], qs[0], qs[1]


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Iterable[float]) -> np.ndarray:
    """Quantiles over axis 0 of ``values`` (members × columns) with member weights; shape (len(qs), columns).

    Each member stands at the middle of its own weight on the cumulative scale, and quantiles between
    those points are interpolated (the usual definition for weighted samples)."""
    v = np.asarray(values, float)
    w = np.asarray(weights, float) / float(np.sum(weights))
    qs = np.asarray(list(qs), float)
    live = w > 0  # a member calibration ruled out takes no part, not even as an interpolation end
    v, w = v[live], w[live]
    order = np.argsort(v, axis=0, kind="stable")
    out = np.empty((len(qs),) + v.shape[1:])
    for col in range(v.shape[1]):
        o = order[:, col]
        cw = np.cumsum(w[o]) - 0.5 * w[o]
        out[:, col] = np.interp(qs, cw, v[o, col])
    return out


class EnsembleModel:
    """One liquidation model per holding time on the leverage stops, kept up to date like the main one."""

    def __init__(self, base: ModelParams | None = None, timeframe_ms: int = MINUTE_MS,
                 crowds: tuple[Crowd, ...] | None = None) -> None:
        self.base = base or ModelParams()
        self.tf = int(timeframe_ms)
        self.crowds = crowds or plausible_crowds()
        self._mixes = np.array([c.mix() for c in self.crowds])
        self._runs: dict[float, tuple[LiquidationModel, np.ndarray]] = {}
        for hold in sorted({c.hold_hours for c in self.crowds}):
            mixes = self._mixes[[c.hold_hours == hold for c in self.crowds]]
            run_mix = mixes.mean(axis=0)
            params = replace(self.base, leverages=LEVERAGE_STOPS, weights=tuple(float(w) for w in run_mix),
                             mean_hold_ms=hold * HOUR_MS)
            self._runs[hold] = (LiquidationModel(params, self.tf, fixed_point_passes=ENSEMBLE_PASSES), run_mix)

    @classmethod
    def from_history(cls, candles: pd.DataFrame, open_interest: pd.DataFrame, base: ModelParams | None = None,
                     timeframe_ms: int = MINUTE_MS) -> "EnsembleModel":
        ens = cls(base, timeframe_ms)
        ens.ingest(candles, open_interest)
        return ens

    def ingest(self, candles: pd.DataFrame, open_interest: pd.DataFrame) -> None:
        # The runs differ in mix and holding time only: their liquidation prices, and so where price
        # first reaches each cohort, are the same, so the others share the first run's (the same
        # arrays: ``update`` steps the runs in order, the first consuming for all).
        first = None
        for model, _mix in self._runs.values():
            model.ingest(candles, open_interest, crossings_from=first, keep_scratch=first is None, follow=True)
            first = first or model
        if first is not None:
            first.release_scratch()

    @property
    def crossing_model(self) -> LiquidationModel:
        """A run whose crossings cover every leverage stop: ``LiquidationModel.ingest(..., crossings_from=)``
        of the central model on the same frames can take its crossings from it."""
        return next(iter(self._runs.values()))[0]

    def update(self, candles: pd.DataFrame | None, open_interest: pd.DataFrame | None = None) -> None:
        # The first run first: the others take the hits of each new candle from it. The rows are
        # split by venue once for the three runs.
        rows = split_update(candles, open_interest)
        for model, _mix in self._runs.values():
            model.update_split(rows)

    def maps_at(self, at_ms: int | None, bin_edges: np.ndarray, price: float | None = None,
                exchanges: Iterable[str] | None = None,
                member_weights: Optional[np.ndarray] = None) -> EnsembleMaps:
        edges = np.asarray(bin_edges, float)
        nb = len(edges) - 1
        longs = np.zeros((len(self.crowds), nb))
        shorts = np.zeros((len(self.crowds), nb))
        any_model = next(iter(self._runs.values()))[0]
        at = any_model.last_ms() if at_ms is None else int(at_ms)
        # The runs hold the same cohorts (same candles and prices) and differ in sizes only: which are
        # open, and their bins, are found once per venue for all three.
        per_run = tier_maps_of([model for model, _mix in self._runs.values()], at, edges, exchanges)
        for (hold, (model, run_mix)), (tl, ts, base) in zip(self._runs.items(), per_run):
            rows = [j for j, c in enumerate(self.crowds) if c.hold_hours == hold]
            factor = self._mixes[rows] / np.where(run_mix > 0, run_mix, 1.0)[None, :]
            # Whatever the mix, the open mass of a side is what the OI implies (the run's): a reweighted
            # mix keeps the run's openings, which replaced what the run's own mix liquidated, so its
            # mass (both sides) is set back to the run's before its map is read.
            mass = factor @ (base[0] + base[1])
            fix = np.where(mass > 0, base.sum() / np.where(mass > 0, mass, 1.0), 1.0)
            longs[rows] = (factor * fix[:, None]) @ tl
            shorts[rows] = (factor * fix[:, None]) @ ts
        w = np.full(len(self.crowds), 1.0 / len(self.crowds)) if member_weights is None else np.asarray(member_weights, float)
        w = w / w.sum()
        p = float(price) if price is not None else any_model.price_at(at) if at is not None else math.nan
        return EnsembleMaps(at_ms=at or 0, price=p, bin_edges=edges, crowds=self.crowds, long_usd=longs,
                            short_usd=shorts, weights=w)


    def member_weights(self, at_ms: int | None, liquidations: Optional[pd.DataFrame],
                       exchanges: Iterable[str] | None = None, bucket_ms: int = HOUR_MS,
                       block_ms: int = 24 * HOUR_MS, with_scales: bool = False):
        """How well each member explains the liquidations recorded up to ``at_ms``, as ensemble weights.

        Per venue with recorded events, side and hour, each member's estimated liquidated USD is
        compared with the recorded USD after the best scale for that member (the total volume says
        little about the mix: feeds under-report, and the scale is fitted by ``analytics.calibrate``).
        With residual ``R`` (relative squared error) the weight is ``(R_best / R) ** (n / 2)``, the
        Gaussian profile likelihood, where ``n`` counts days, not hours: neighbouring hours share a
        regime and are far from independent. None without recorded events.
        ``with_scales``: (weights, each member's best scale), the recorded ÷ estimated volume that the
        calibrated ranges multiply each member's figures by.
        """
        if liquidations is None or len(liquidations) == 0:
            return None
        any_model = next(iter(self._runs.values()))[0]
        at = any_model.last_ms() if at_ms is None else int(at_ms)
        if at is None:
            return None
        real = liquidations[liquidations["ts"] + self.tf <= at]
        venues = sorted(set(real["exchange"]) & set(any_model.exchanges if exchanges is None else exchanges))
        real = real[real["exchange"].isin(venues)]
        if len(real) == 0:
            return None
        # The comparison starts where the record does: before it, no event is not evidence of none.
        t0 = int(real["ts"].min()) // bucket_ms * bucket_ms
        nb = max(1, (at - t0) // bucket_ms + 1)
        keys = {(e, side): j for j, (e, side) in enumerate((e, sd) for e in venues for sd in ("long", "short"))}

        def rows(df: pd.DataFrame) -> np.ndarray:
            kk = np.array([keys[(e, sd)] for e, sd in zip(df["exchange"], df["side"])], dtype=np.int64)
            return kk * nb + np.clip((df["ts"].to_numpy(np.int64) - t0) // bucket_ms, 0, nb - 1)

        y = np.bincount(rows(real), real["notional_usd"].to_numpy(float), minlength=len(keys) * nb)
        pred = np.zeros((len(self.crowds), len(y)))
        for hold, (model, run_mix) in self._runs.items():
            est = model.estimated_liquidations(None, at, with_tier=True)
            est = est[est["exchange"].isin(venues) & (est["ts"] + self.tf <= at) & (est["ts"] >= t0)]
            k = len(run_mix)
            x = np.zeros((len(y), k))
            if len(est):
                np.add.at(x, (rows(est), est["tier"].to_numpy(np.int64)), est["notional_usd"].to_numpy(float))
            sel = [j for j, c in enumerate(self.crowds) if c.hold_hours == hold]
            factor = self._mixes[sel] / np.where(run_mix > 0, run_mix, 1.0)[None, :]
            pred[sel] = factor @ x.T
        if not (y > 0).any():
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where((pred * pred).sum(axis=1) > 0, pred @ y / (pred * pred).sum(axis=1), 0.0)
        resid = ((y[None, :] - scale[:, None] * pred) ** 2).sum(axis=1) / float((y * y).sum())
        resid = np.maximum(resid, 1e-12)
        n = max(1.0, (at - t0) / block_ms)
        logw = -0.5 * n * np.log(resid / resid.min())
        w = np.exp(logw - logw.max())
        return (w / w.sum(), scale) if with_scales else w / w.sum()


@dataclass(frozen=True)
class Range:
    low: float
    high: float


def figure_range(member_values: np.ndarray, weights: np.ndarray, central: float | None) -> Range:
    """The 80 % range of one figure over the members, widened to hold the central estimate."""
    q = weighted_quantiles(np.asarray(member_values, float)[:, None], weights, RANGE_QUANTILES)[:, 0]
    lo, hi = float(q[0]), float(q[1])
    if central is not None and math.isfinite(central):
        lo, hi = min(lo, central), max(hi, central)
    return Range(lo, hi)
