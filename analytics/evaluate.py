"""Score the map on recorded liquidations: how right was it, hour by hour, without look-ahead?

The model is computed once over the history and read *as of* the start of each whole hour ``t`` (the
study's machinery, ``analytics.study.step_maps``: candles closed by ``t``, OI rows at or before ``t``).
Three scores, each beside a baseline that does not use the map:

- **volume**: per hour and side, the liquidated USD the model estimates (cohorts that the hour's candles
  reached) against the recorded USD: Spearman ρ over the (hour, side) pairs, and the ratio of the totals
  (estimated ÷ recorded). Per-minute sums (an aggregator's history, no price) serve here as well as events.
- **placement**: inside the price range each hour actually traded (longs: from its low up to the price
  at ``t``; shorts: from the price up to its high), the share of the recorded liquidation USD that fell
  in the quarter of the map's bins it rated highest, against the same number of bins chosen by distance
  from the price alone (nearest first). Needs events with a price.
- **clusters**: the map's top clusters within ±3 % at ``t`` (local peaks at least 0.5 % apart). A cluster
  *hits* when price reaches it within 24 h and, in the hour from that moment, recorded liquidations of its
  side within ±0.25 % of its price exceed twice the median hourly recorded volume of that side. The
  baseline: random levels at similar distances (0.5–1.5 × the cluster's, either direction), scored the
  same way. Needs events with a price.

Hours overlap in what they look at (a cluster's 24 h horizon), so intervals come from a moving-block
bootstrap over hours with blocks of a day, as the study does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

import numpy as np
import pandas as pd

from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from analytics.report import utc_minute
from analytics.study import DAY_MS, HOUR_MS, MINUTE_MS, block_indices, bootstrap_interval, spearman, step_maps, step_times

TOP_BIN_SHARE = 0.25  # placement: the map's top quarter of the bins inside the traversed range
CLUSTER_BAND_PCT = 3.0
CLUSTER_TOP = 3
CLUSTER_SEPARATION = 0.005  # clusters closer than 0.5 % are one cluster
CLUSTER_HORIZON_MS = DAY_MS
BURST_TOLERANCE = 0.0025  # recorded events within ±0.25 % of a level count as its burst
BURST_FACTOR = 2.0  # a burst: more than twice the median hourly recorded USD of that side
RANDOM_DRAWS = 16  # random levels per cluster
BLOCK_HOURS = 24
MAP_BAND_PCT = 4.0  # the map is read over ±4 %: covers the cluster band and most hourly ranges
VOLUME_EVENTS, VOLUME_MINUTE_SUMS = "events", "minute_sums"
SIDES = ("long", "short")
CAVEAT = ("Recorded feeds are lower bounds (venues throttle their public liquidation streams); the map is an estimate "
          "read as of each hour; hours overlap, so intervals use a block bootstrap.")


class EvaluationError(ValueError):
    """The data cannot be scored (no candles, no open interest, no recorded liquidations, no whole hour)."""


@dataclass(frozen=True)
class Evaluation:
    """What ``python main.py evaluate`` prints. Scores are None where the data does not allow them."""

    hours: int
    first_ms: int
    last_ms: int  # end of the last scored hour
    volume_source: str  # VOLUME_EVENTS or VOLUME_MINUTE_SUMS
    estimated_usd: float
    recorded_usd: float
    spearman_hourly: Optional[float]
    spearman_hourly_ci: tuple[Optional[float], Optional[float]]
    ratio_total: Optional[float]
    ratio_total_ci: tuple[Optional[float], Optional[float]]
    placement_hours: int  # hours with recorded USD inside their traversed range
    placement_share: Optional[float]
    placement_share_ci: tuple[Optional[float], Optional[float]]
    placement_share_baseline: Optional[float]
    placement_share_baseline_ci: tuple[Optional[float], Optional[float]]
    clusters: int
    cluster_hit_rate: Optional[float]
    cluster_hit_rate_ci: tuple[Optional[float], Optional[float]]
    cluster_hit_rate_random: Optional[float]
    cluster_hit_rate_random_ci: tuple[Optional[float], Optional[float]]
    confidence: float
    exchanges: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def days(self) -> float:
        return self.hours / 24.0

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hours": self.hours, "volume_source": self.volume_source,
                               "estimated_usd": _num(self.estimated_usd), "recorded_usd": _num(self.recorded_usd),
                               "placement_hours": self.placement_hours, "clusters": self.clusters,
                               "confidence": self.confidence, "exchanges": list(self.exchanges)}
        for key in ("spearman_hourly", "ratio_total", "placement_share", "placement_share_baseline",
                    "cluster_hit_rate", "cluster_hit_rate_random"):
            lo, hi = getattr(self, key + "_ci")
            out[key] = _num(getattr(self, key))
            out[key + "_low"] = _num(lo)
            out[key + "_high"] = _num(hi)
        out["notes"] = list(self.notes)
        return out


def _num(x) -> Optional[float]:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 6)


# ----------------------------------------------------------------------------------------------
# Recorded volume per hour and side


def minute_sums_usd(minute_sums: pd.DataFrame, candles: pd.DataFrame) -> pd.DataFrame:
    """Per-minute sums as ``ts, exchange, side, notional_usd`` rows.

    A side the source counted in the base asset is valued at the close of that venue's candle covering
    the minute (the market price then, not a guess); minutes without such a candle are dropped."""
    rows = []
    closes = {e: (g["ts"].to_numpy(np.int64), g["close"].to_numpy(float))
              for e, g in candles.sort_values("ts").groupby("exchange", sort=False)}
    for side in SIDES:
        usd = minute_sums[f"{side}_usd"].to_numpy(float) if f"{side}_usd" in minute_sums else np.full(len(minute_sums), np.nan)
        base = minute_sums[f"{side}_base"].to_numpy(float) if f"{side}_base" in minute_sums else np.full(len(minute_sums), np.nan)
        ts = minute_sums["ts"].to_numpy(np.int64)
        ex = minute_sums["exchange"].to_numpy(object)
        price = np.full(len(ts), np.nan)
        for e, (cts, cclose) in closes.items():
            sel = np.flatnonzero(ex == e)
            if len(sel):
                i = np.searchsorted(cts, ts[sel], side="right") - 1
                ok = i >= 0
                price[sel[ok]] = cclose[i[ok]]
        value = np.where(np.isfinite(usd), usd, base * price)
        keep = np.isfinite(value) & (value > 0)
        rows.append(pd.DataFrame({"ts": ts[keep], "exchange": ex[keep], "side": side, "notional_usd": value[keep]}))
    return pd.concat(rows, ignore_index=True)


def _hourly(df: pd.DataFrame, t0: int, n_hours: int) -> np.ndarray:
    """USD per (hour, side): shape (n_hours, 2)."""
    out = np.zeros((n_hours, 2))
    if df is None or len(df) == 0:
        return out
    h = (df["ts"].to_numpy(np.int64) - t0) // HOUR_MS
    s = np.where(df["side"].to_numpy(object) == "long", 0, 1)
    ok = (h >= 0) & (h < n_hours)
    np.add.at(out, (h[ok], s[ok]), df["notional_usd"].to_numpy(float)[ok])
    return out


# ----------------------------------------------------------------------------------------------
# Price grid: the widest range any venue traded per candle slot


@dataclass(frozen=True)
class _Grid:
    t0: int
    tf: int
    low: np.ndarray  # min over venues, +inf where no venue has a candle
    high: np.ndarray  # max over venues, -inf where none

    @classmethod
    def build(cls, candles: pd.DataFrame, tf: int) -> "_Grid":
        ts = candles["ts"].to_numpy(np.int64)
        t0 = int(ts.min())
        slot = (ts - t0) // tf
        n = int(slot.max()) + 1
        low = np.full(n, np.inf)
        high = np.full(n, -np.inf)
        np.minimum.at(low, slot, candles["low"].to_numpy(float))
        np.maximum.at(high, slot, candles["high"].to_numpy(float))
        return cls(t0, tf, low, high)

    def slots(self, start_ms: int, end_ms: int) -> slice:
        a = max(0, -(-(start_ms - self.t0) // self.tf))
        b = max(a, min(len(self.low), -(-(end_ms - self.t0) // self.tf)))
        return slice(a, b)

    def first_reach(self, start_ms: int, end_ms: int, levels: np.ndarray, below: np.ndarray) -> np.ndarray:
        """Per level, the time of the first slot in ``[start, end)`` that traded through it; -1 if none."""
        sl = self.slots(start_ms, end_ms)
        lo, hi = self.low[sl], self.high[sl]
        if len(lo) == 0 or len(levels) == 0:
            return np.full(len(levels), -1, np.int64)
        hit = np.where(below[:, None], lo[None, :] <= levels[:, None], hi[None, :] >= levels[:, None])
        any_hit = hit.any(axis=1)
        k = hit.argmax(axis=1)
        return np.where(any_hit, self.t0 + (sl.start + k) * self.tf, -1).astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Placement and clusters on one hour's map


def _placement(edges: np.ndarray, pred: np.ndarray, price: float, lo: float, hi: float,
               ev_price: np.ndarray, ev_usd: np.ndarray) -> tuple[float, float, float]:
    """(recorded USD in the map's top bins, in the nearest bins, in the whole traversed range [lo, hi])."""
    nb = len(pred)
    inside = np.flatnonzero((edges[1:] > lo) & (edges[:-1] < hi))
    if len(inside) < 2 or len(ev_price) == 0:
        return 0.0, 0.0, 0.0
    b = np.searchsorted(edges, ev_price, side="right") - 1
    ok = (b >= 0) & (b < nb) & (ev_price >= lo) & (ev_price <= hi)
    rec = np.bincount(b[ok], ev_usd[ok], minlength=nb)[inside]
    total = float(rec.sum())
    if total <= 0:
        return 0.0, 0.0, 0.0
    centre = 0.5 * (edges[inside] + edges[inside + 1])
    dist = np.abs(centre - price)
    k = max(1, int(round(TOP_BIN_SHARE * len(inside))))
    by_map = np.lexsort((dist, -pred[inside]))[:k]  # ties (e.g. an empty map) fall back to distance
    by_dist = np.argsort(dist, kind="stable")[:k]
    return float(rec[by_map].sum()), float(rec[by_dist].sum()), total


def top_clusters(edges: np.ndarray, long_usd: np.ndarray, short_usd: np.ndarray, price: float,
                 band_pct: float = CLUSTER_BAND_PCT, top: int = CLUSTER_TOP) -> list[tuple[float, bool]]:
    """The map's heaviest levels within ±band: (price, below) with ``below`` = a long cluster."""
    centre = 0.5 * (edges[:-1] + edges[1:])
    band = band_pct / 100.0
    below = (centre < price) & (centre >= price * (1 - band))
    above = (centre > price) & (centre <= price * (1 + band))
    usd = np.where(below, long_usd, np.where(above, short_usd, 0.0))
    chosen: list[tuple[float, bool]] = []
    for b in np.argsort(-usd, kind="stable"):
        if usd[b] <= 0 or len(chosen) == top:
            break
        if all(abs(centre[b] - c) > CLUSTER_SEPARATION * price for c, _ in chosen):
            chosen.append((float(centre[b]), bool(below[b])))
    return chosen


class _Bursts:
    """Recorded priced events of one side, sorted by time, to test levels for a burst."""

    def __init__(self, events: pd.DataFrame, side: str, threshold: float) -> None:
        e = events[events["side"] == side].sort_values("ts", kind="stable")
        self.ts = e["ts"].to_numpy(np.int64)
        self.price = e["price"].to_numpy(float)
        self.usd = e["notional_usd"].to_numpy(float)
        self.threshold = threshold

    def burst(self, at_ms: np.ndarray, levels: np.ndarray) -> np.ndarray:
        out = np.zeros(len(levels), bool)
        for j, (t, lv) in enumerate(zip(at_ms, levels)):
            if t < 0:
                continue
            a, b = np.searchsorted(self.ts, [t, t + HOUR_MS])
            near = np.abs(self.price[a:b] - lv) <= BURST_TOLERANCE * lv
            got = float(self.usd[a:b][near].sum())
            out[j] = got > 0 and got > self.threshold
        return out


# ----------------------------------------------------------------------------------------------


def evaluate(candles: pd.DataFrame, open_interest: pd.DataFrame, liquidations: pd.DataFrame | None,
             minute_sums: pd.DataFrame | None = None, *, start_ms: int | None = None, end_ms: int | None = None,
             params: ModelParams | None = None, timeframe_ms: int = MINUTE_MS, warmup_ms: int = DAY_MS,
             n_boot: int = 500, confidence: float = 0.95, seed: int = 0,
             model: LiquidationModel | None = None) -> Evaluation:
    """Score the map as of each whole hour in ``[start_ms, end_ms]`` against the recorded liquidations.

    ``liquidations``: single events (``ts, exchange, side, price, notional_usd``); ``minute_sums``: optional
    per-minute sums (``ts, exchange, long_usd, short_usd, long_base, short_base``), used for the volume score
    when given. Only venues with a recorded liquidation are scored. Pure: no I/O, no clock.
    """
    if candles is None or len(candles) == 0:
        raise EvaluationError("no candles")
    if open_interest is None or len(open_interest) == 0:
        raise EvaluationError("no open interest: the map cannot be scored in USD")
    events = liquidations if liquidations is not None else pd.DataFrame(columns=["ts", "exchange", "side", "price", "notional_usd"])
    events = events[np.isfinite(events["notional_usd"].to_numpy(float)) & (events["notional_usd"].to_numpy(float) > 0)] \
        if len(events) else events
    sums = minute_sums_usd(minute_sums, candles) if minute_sums is not None and len(minute_sums) else None
    if len(events) == 0 and (sums is None or len(sums) == 0):
        raise EvaluationError("no recorded liquidations (events or per-minute sums) to score against")
    volume = sums if sums is not None and len(sums) else events
    exchanges = tuple(sorted(set(volume["exchange"]) | set(events["exchange"] if len(events) else [])))
    candles = candles[candles["exchange"].isin(exchanges)]
    open_interest = open_interest[open_interest["exchange"].isin(exchanges)]
    if len(candles) == 0:
        raise EvaluationError(f"no candles of the venues with recorded liquidations ({', '.join(exchanges)})")
    if len(open_interest) == 0:
        raise EvaluationError(f"no open interest of the venues with recorded liquidations ({', '.join(exchanges)})")
    tf = timeframe_ms
    ts = candles["ts"].to_numpy(np.int64)
    first, last = int(ts.min()), int(ts.max()) + tf
    # Scored from the hour the liquidation record starts: before it (candles and OI backfilled, no feed
    # yet) no event is not evidence of none, and those hours would be scored as calm.
    record_start = int(volume["ts"].min()) // HOUR_MS * HOUR_MS
    moved = start_ms is None or start_ms < record_start
    start_ms = max(first + warmup_ms, record_start) if start_ms is None else max(int(start_ms), record_start)
    steps = step_times(first, last - HOUR_MS, HOUR_MS, start_ms, None if end_ms is None else end_ms - HOUR_MS, warmup_ms)
    if len(steps) == 0:
        raise EvaluationError("no whole hour to score after the warm-up (a day of data before the first scored hour)")
    if model is None:
        model = LiquidationModel.from_history(candles, open_interest, params, tf)
    n = len(steps)
    t0 = int(steps[0])
    grid = _Grid.build(candles, tf)

    # (a) volume
    est = model.estimated_liquidations(t0, t0 + n * HOUR_MS)
    est_h = _hourly(est[est["exchange"].isin(exchanges)], t0, n)
    rec_h = _hourly(volume, t0, n)

    # (b) placement and (c) clusters, from the map as of each hour
    priced = events[np.isfinite(events["price"].to_numpy(float))] if len(events) else events
    ev_h = (priced["ts"].to_numpy(np.int64) - t0) // HOUR_MS if len(priced) else np.empty(0, np.int64)
    ev_side = priced["side"].to_numpy(object) if len(priced) else np.empty(0, object)
    ev_price = priced["price"].to_numpy(float) if len(priced) else np.empty(0)
    ev_usd = priced["notional_usd"].to_numpy(float) if len(priced) else np.empty(0)
    order = np.argsort(ev_h, kind="stable")
    ev_h, ev_side, ev_price, ev_usd = ev_h[order], ev_side[order], ev_price[order], ev_usd[order]
    priced_h = _hourly(priced, t0, n) if len(priced) else np.zeros((n, 2))
    medians = [float(np.median(priced_h[:, s])) for s in range(2)]
    bursts = [_Bursts(priced, side, BURST_FACTOR * medians[s]) for s, side in enumerate(SIDES)] if len(priced) else None
    place = np.zeros((n, 3))  # top, baseline, total recorded USD in the traversed range
    clus = np.zeros((n, 3))  # clusters, hits, expected random hits
    rng = np.random.default_rng(seed)
    horizon_ok = steps + CLUSTER_HORIZON_MS <= last
    prices = np.array([model.price_at(int(t)) for t in steps], dtype=float)
    if len(priced):
        for j, m in step_maps(model, steps, MAP_BAND_PCT, prices):
            t, p = int(steps[j]), m.price
            if not (math.isfinite(p) and p > 0):
                continue
            sl = grid.slots(t, t + HOUR_MS)
            lo, hi = float(grid.low[sl].min(initial=np.inf)), float(grid.high[sl].max(initial=-np.inf))
            a, b = np.searchsorted(ev_h, [j, j + 1])
            for s, side in enumerate(SIDES):
                sel = ev_side[a:b] == side
                rng_lo, rng_hi = (lo, p) if side == "long" else (p, hi)
                pred = m.long_usd if side == "long" else m.short_usd
                if rng_hi > rng_lo:
                    place[j] += _placement(m.bin_edges, pred, p, rng_lo, rng_hi, ev_price[a:b][sel], ev_usd[a:b][sel])
            if horizon_ok[j]:
                clusters = top_clusters(m.bin_edges, m.long_usd, m.short_usd, p)
                if clusters:
                    lv = np.array([c for c, _ in clusters])
                    below = np.array([bl for _, bl in clusters])
                    d = np.abs(lv / p - 1.0)
                    rd = np.repeat(d, RANDOM_DRAWS) * rng.uniform(0.5, 1.5, len(d) * RANDOM_DRAWS)
                    rbelow = rng.random(len(rd)) < 0.5
                    rlv = p * np.where(rbelow, 1.0 - rd, 1.0 + rd)
                    clus[j, 0] = len(lv)
                    clus[j, 1] = _hits(grid, bursts, t, lv, below).sum()
                    clus[j, 2] = _hits(grid, bursts, t, rlv, rbelow).sum() / RANDOM_DRAWS

    result = _summarize(steps, est_h, rec_h, place, clus, n_boot=n_boot, confidence=confidence, seed=seed,
                        volume_source=VOLUME_MINUTE_SUMS if volume is sums else VOLUME_EVENTS,
                        exchanges=exchanges, priced=len(priced) > 0)
    if moved and int(steps[0]) == record_start and record_start > first + warmup_ms:
        note = f"scored from {utc_minute(record_start)} UTC, where the liquidation record starts (no record before it)"
        result = replace(result, notes=(note,) + result.notes)
    return result


def _hits(grid: _Grid, bursts, t: int, levels: np.ndarray, below: np.ndarray) -> np.ndarray:
    reach = grid.first_reach(t, t + CLUSTER_HORIZON_MS, levels, below)
    out = np.zeros(len(levels), bool)
    for s, is_long in ((0, True), (1, False)):
        sel = below == is_long
        if sel.any():
            out[sel] = bursts[s].burst(reach[sel], levels[sel])
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> float:
    d = float(den.sum())
    return float(num.sum()) / d if d > 0 else float("nan")


def _summarize(steps: np.ndarray, est_h: np.ndarray, rec_h: np.ndarray, place: np.ndarray, clus: np.ndarray, *,
               n_boot: int, confidence: float, seed: int, volume_source: str, exchanges: tuple[str, ...],
               priced: bool) -> Evaluation:
    n = len(steps)

    def scores(idx: np.ndarray) -> np.ndarray:
        e, r, pl, cl = est_h[idx], rec_h[idx], place[idx], clus[idx]
        rho = spearman(e.ravel(), r.ravel())
        return np.array([np.nan if rho is None else rho, _ratio(e, r), _ratio(pl[:, 0], pl[:, 2]),
                         _ratio(pl[:, 1], pl[:, 2]), _ratio(cl[:, 1], cl[:, 0]), _ratio(cl[:, 2], cl[:, 0])])

    point = scores(np.arange(n))
    rng = np.random.default_rng(seed)
    boot = np.array([scores(idx) for idx in block_indices(n, BLOCK_HOURS, n_boot, rng)]) if n_boot > 0 and n > 1 \
        else np.full((1, 6), np.nan)
    cis = [bootstrap_interval(boot[:, c], confidence) for c in range(6)]

    def val(c: int) -> Optional[float]:
        return float(point[c]) if math.isfinite(point[c]) else None

    def ci(c: int) -> tuple[Optional[float], Optional[float]]:
        lo, hi = cis[c]
        return (lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None)

    notes = []
    if not priced:
        notes.append("the recorded liquidations have no price (per-minute sums): placement and clusters are not scored")
    elif not (place[:, 2] > 0).any():
        notes.append("no recorded liquidation fell inside a traversed price range: placement is not scored")
    if priced and not (clus[:, 0] > 0).any():
        notes.append("no hour had a cluster within ±3 % and a full 24 h after it: clusters are not scored")
    return Evaluation(
        hours=n, first_ms=int(steps[0]), last_ms=int(steps[-1]) + HOUR_MS, volume_source=volume_source,
        estimated_usd=float(est_h.sum()), recorded_usd=float(rec_h.sum()),
        spearman_hourly=val(0), spearman_hourly_ci=ci(0), ratio_total=val(1), ratio_total_ci=ci(1),
        placement_hours=int((place[:, 2] > 0).sum()), placement_share=val(2), placement_share_ci=ci(2),
        placement_share_baseline=val(3), placement_share_baseline_ci=ci(3),
        clusters=int(clus[:, 0].sum()), cluster_hit_rate=val(4), cluster_hit_rate_ci=ci(4),
        cluster_hit_rate_random=val(5), cluster_hit_rate_random_ci=ci(5),
        confidence=confidence, exchanges=exchanges, notes=tuple(notes),
    )


# ----------------------------------------------------------------------------------------------
# Words


def _pct(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def summary_text(r: Evaluation) -> str:
    """One plain paragraph, e.g. "Over the last 5 days the map's top bands held 41 % of real liquidations;
    distance alone would hold 23 %." followed by the other scores."""
    span = f"{r.days:.0f} days" if r.days >= 2 else f"{r.hours} hours"
    parts = []
    if r.placement_share is not None:
        parts.append(f"Over the last {span} the map's top bands held {_pct(r.placement_share)} of the recorded "
                     f"liquidations inside the range price traded; distance alone would hold "
                     f"{_pct(r.placement_share_baseline)}.")
    else:
        parts.append(f"Over the last {span} the placement of the map could not be scored (no priced liquidation "
                     "inside a traded range).")
    if r.spearman_hourly is not None:
        ratio = "n/a" if r.ratio_total is None else f"{r.ratio_total:.2f}\u00d7"
        parts.append(f"Hour by hour the estimated liquidated volume ranked with the recorded one at \u03c1 = "
                     f"{r.spearman_hourly:+.2f}; in total the map estimated {ratio} what was recorded.")
    if r.cluster_hit_rate is not None:
        parts.append(f"Of {r.clusters} top clusters within \u00b13 %, {_pct(r.cluster_hit_rate)} were reached within 24 h "
                     f"and set off a recorded burst; random levels at similar distances: {_pct(r.cluster_hit_rate_random)}.")
    return " ".join(parts)


def interval_text(value: Optional[float], ci: tuple[Optional[float], Optional[float]], pct: bool = True) -> str:
    if value is None:
        return "n/a"
    f = (lambda x: f"{100 * x:.1f} %") if pct else (lambda x: f"{x:+.2f}")
    lo, hi = ci
    return f(value) if lo is None else f"{f(value)} ({f(lo)} to {f(hi)})"


def scores_table(r: Evaluation) -> Mapping[str, str]:
    """The scores as labelled strings with their intervals (command text output and the scorecard)."""
    ratio = "n/a" if r.ratio_total is None else (
        f"{r.ratio_total:.2f}\u00d7" + ("" if r.ratio_total_ci[0] is None else
                                         f" ({r.ratio_total_ci[0]:.2f} to {r.ratio_total_ci[1]:.2f})"))
    return {
        "hourly rank correlation (Spearman)": interval_text(r.spearman_hourly, r.spearman_hourly_ci, pct=False),
        "estimated \u00f7 recorded volume": ratio,
        "placement: map's top bins": interval_text(r.placement_share, r.placement_share_ci),
        "placement: nearest bins (baseline)": interval_text(r.placement_share_baseline, r.placement_share_baseline_ci),
        "cluster hit rate": interval_text(r.cluster_hit_rate, r.cluster_hit_rate_ci),
        "random levels (baseline)": interval_text(r.cluster_hit_rate_random, r.cluster_hit_rate_random_ci),
    }
