"""Signal study: did the liquidation imbalance predict the next move? Measured on history, without look-ahead.

At each step ``t`` (every ``every_ms``) the study reads the liquidation map *as of t* — the map that
``LiquidationModel`` built from ``MarketFrames.known_at(t)`` would show (candles closed by ``t``, OI rows
at or before ``t``) — and takes the imbalance from it with ``analytics.imbalance``:

- shorts at risk: short levels between the price and ``price × (1 + band)``;
- longs at risk: long levels between ``price × (1 − band)`` and the price;
- imbalance = shorts / longs (as ``(shorts + 1 USD) / (longs + 1 USD)`` so an empty side stays finite);
  the *heavier* side is the one with more notional at risk.

Then it measures what followed over ``horizon_ms`` on the candles opened in ``[t, t + horizon)``:
forward return, maximum excursion up and down, and which band price was reached first. Prices are
the median over venues (the map's price is the median of the venues' last closes; a band is reached
when the median of the venues' highs / lows reaches it). Both bands in the same candle, or neither,
count as "neither first".

No recomputation per step: the model is computed once over the whole history and read as of each
step (its heatmap gives the map at many instants in one pass). A cohort's presence at ``t`` depends
only on candles closed by ``t``, so this equals the map of a model built on ``known_at(t)``; the tests
prove it step by step.

Dependence: with ``horizon > every`` consecutive observations share most of their future, so they
are not independent; confidence intervals use a moving-block bootstrap with blocks of
``ceil(horizon / every)`` observations.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from analytics.imbalance import longs_at_risk, shorts_at_risk
from analytics.levels import LiquidationMap, auto_bin_edges
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams

from cascade_vocab.units import MINUTE_MS, HOUR_MS, DAY_MS
DEFAULT_WARMUP_MS = DAY_MS  # first step a day after the first candle, so the model has positions to show
MAX_HEAT_CELLS = 4_000_000  # steps x price bins per heatmap call
FORWARD_CELLS = 1_000_000  # steps x candles per pass over the forward windows
FEW_EVENTS = 5  # below this many (effective) events or non-events a bucket's bootstrap interval is widened
SMOOTH_USD = 1.0  # added to both sides of the ratio: an empty side stays finite
CAVEAT = ("An estimate of an estimate: the map is a model of positions, not the positions; past \u2260 future; "
          "overlapping horizons make observations dependent, so intervals use a block bootstrap.")
UP, DOWN, NEITHER = 1, -1, 0


# ----------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class StudyObservations:
    """One row per step with a complete horizon and a non-empty map; arrays in time order.

    ``first``: +1 the up band was reached first, -1 the down band, 0 neither (or both in one candle).
    ``heavier``: +1 shorts heavier (their band is the up band), -1 longs heavier, 0 equal.
    """

    at_ms: np.ndarray  # int64
    price: np.ndarray
    shorts_at_risk_usd: np.ndarray
    longs_at_risk_usd: np.ndarray
    forward_return_pct: np.ndarray
    max_up_pct: np.ndarray
    max_down_pct: np.ndarray  # <= 0
    first: np.ndarray  # int8
    heavier: np.ndarray  # int8

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            _freeze(self, name)

    def __len__(self) -> int:
        return len(self.at_ms)

    @property
    def ratio(self) -> np.ndarray:
        """Shorts at risk / longs at risk (each + 1 USD)."""
        return (self.shorts_at_risk_usd + SMOOTH_USD) / (self.longs_at_risk_usd + SMOOTH_USD)

    @property
    def log_ratio(self) -> np.ndarray:
        return np.log(self.shorts_at_risk_usd + SMOOTH_USD) - np.log(self.longs_at_risk_usd + SMOOTH_USD)

    @property
    def heavier_first(self) -> np.ndarray:
        """The heavier side's band price was reached first (bool)."""
        return (self.heavier != 0) & (self.first == self.heavier)


@dataclass(frozen=True)
class BucketStats:
    imbalance_min: float  # ratio shorts / longs
    imbalance_max: float
    n: int
    mean_return_pct: float
    return_ci: tuple[float, float]
    heavier_first_rate: float
    ci_low: float
    ci_high: float
    base_rate: float  # heavier-first rate expected here if the imbalance told nothing (see StudyResult)
    edge_ci: tuple[float, float]  # interval of heavier_first_rate - base_rate
    shorts_heavier_share: float  # part of the bucket where shorts were the heavier side


@dataclass(frozen=True)
class StudyResult:
    """What ``python main.py study`` prints. ``base_rate`` is the heavier-first rate to expect if the
    imbalance carried no information: each observation's heavier side paired with the unconditional
    chance that *its* band is reached first (``up_first_rate`` for shorts, ``down_first_rate`` for longs).
    Each bucket has the same number over its own observations."""

    observations: StudyObservations
    buckets: tuple[BucketStats, ...]
    bucket_index: np.ndarray  # per observation, its index in ``buckets``
    spearman: Optional[float]  # rank correlation of log(imbalance) and forward return
    spearman_ci: tuple[Optional[float], Optional[float]]
    base_rate: Optional[float]
    up_first_rate: Optional[float]
    down_first_rate: Optional[float]
    neither_rate: Optional[float]
    heavier_first_rate: Optional[float]
    every_ms: int
    horizon_ms: int
    band_pct: float
    block_len: int  # observations per bootstrap block
    n_boot: int
    confidence: float
    skipped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "bucket_index")

    @property
    def n(self) -> int:
        return len(self.observations)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "observations": self.n,
            "buckets": [{
                "imbalance_min": _num(b.imbalance_min), "imbalance_max": _num(b.imbalance_max), "n": b.n,
                "mean_return_pct": _num(b.mean_return_pct), "return_ci": [_num(b.return_ci[0]), _num(b.return_ci[1])],
                "heavier_first_rate": _num(b.heavier_first_rate), "ci_low": _num(b.ci_low), "ci_high": _num(b.ci_high),
                "base_rate": _num(b.base_rate), "edge_ci": [_num(b.edge_ci[0]), _num(b.edge_ci[1])],
                "shorts_heavier_share": _num(b.shorts_heavier_share),
            } for b in self.buckets],
            "spearman": _num(self.spearman),
            "spearman_ci": [_num(self.spearman_ci[0]), _num(self.spearman_ci[1])],
            "base_rate": _num(self.base_rate),
            "first_reached": {"up": _num(self.up_first_rate), "down": _num(self.down_first_rate),
                              "neither": _num(self.neither_rate)},
            "heavier_first_rate": _num(self.heavier_first_rate),
            "every": duration_text(self.every_ms),
            "horizon": duration_text(self.horizon_ms),
            "band_pct": self.band_pct,
            "block_len": self.block_len,
            "independent_windows": self.n / self.block_len if self.block_len else self.n,
            "confidence": self.confidence,
            "bootstrap": self.n_boot,
            "skipped": dict(self.skipped),
            "notes": list(self.notes) + [CAVEAT],
        }


def _freeze(obj, name: str) -> None:
    """Own a read-only copy of an array field: results are shared across threads, nobody may write into them."""
    a = np.array(getattr(obj, name), copy=True)
    a.flags.writeable = False
    object.__setattr__(obj, name, a)


def _num(x) -> Optional[float]:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def duration_text(ms: int) -> str:
    """'15m', '4h', '1d': the largest whole unit (the study's command, JSON and view all say it so)."""
    for unit, size in (("d", DAY_MS), ("h", HOUR_MS), ("m", MINUTE_MS)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def edge_word(edge_ci: tuple[float, float]) -> str:
    """Whether a bucket's interval of heavier-first rate minus base rate lies above, below or around zero."""
    lo, hi = edge_ci
    if lo > 0:
        return "above base"
    if hi < 0:
        return "below base"
    return "none"


# ----------------------------------------------------------------------------------------------
# Steps and the map as of each step


def step_times(first_ms: int, last_ms: int, every_ms: int, start_ms: int | None = None,
               end_ms: int | None = None, warmup_ms: int = DEFAULT_WARMUP_MS) -> np.ndarray:
    """Instants ``t`` on multiples of ``every_ms`` (UTC-aligned) within ``[start, end]``.

    ``first_ms``/``last_ms``: first candle open and last candle close. Without ``start_ms`` the steps
    begin ``warmup_ms`` after the first candle; without ``end_ms`` they run to the data's end.
    """
    if every_ms <= 0:
        raise ValueError("every must be positive")
    lo = first_ms + warmup_ms if start_ms is None else max(int(start_ms), first_ms)
    hi = last_ms if end_ms is None else min(int(end_ms), last_ms)
    t0 = -(-lo // every_ms) * every_ms
    if t0 > hi:
        return np.empty(0, np.int64)
    return np.arange(t0, hi + 1, every_ms, dtype=np.int64)


def step_maps(model: LiquidationModel, at_ms: np.ndarray, band_pct: float,
              prices: np.ndarray | None = None) -> Iterator[tuple[int, LiquidationMap]]:
    """The map as of each ``at_ms[j]``, yielded as ``(j, map)`` (grouped by bin size, not in time order).

    Bins are those of ``model.map_at(t)``'s default (``auto_bin_edges``: multiples of a round step that
    depends on the price) over ``price × (1 ± band)``, so for bands up to the default map's ±40 % the at-risk
    sums equal ``imbalance`` on the map the app shows at ``t`` (wider bands see levels that map cuts off).
    One heatmap per bin size (and per ``MAX_HEAT_CELLS``) reads many steps at once.
    """
    at_ms = np.asarray(at_ms, np.int64)
    if len(at_ms) == 0:
        return
    if np.any(np.diff(at_ms) <= 0):
        raise ValueError("step times must increase")
    band = band_pct / 100.0
    if prices is None:
        prices = np.array([model.price_at(int(t)) for t in at_ms])
    steps = np.full(len(at_ms), np.nan)
    for j, p in enumerate(prices):
        if math.isfinite(p) and p > 0:
            e = auto_bin_edges(p, model.params.bin_usd)
            steps[j] = e[1] - e[0]
    for step in np.unique(steps[np.isfinite(steps)]):
        group = np.flatnonzero(steps == step)
        p = prices[group]
        # Exactly i × step, like the default map's edges, covering every step's band with a bin to spare.
        i_lo = max(0, math.floor(p.min() * (1.0 - band) / step) - 1)
        i_hi = math.ceil(p.max() * (1.0 + band) / step) + 1
        edges = np.arange(i_lo, i_hi + 1, dtype=float) * step
        per_call = max(1, MAX_HEAT_CELLS // len(edges))  # bounds the heatmap's memory on long histories
        for a in range(0, len(group), per_call):
            idx = group[a : a + per_call]
            cols = at_ms[idx]
            heat = model.heatmap(np.r_[cols[0] - 1, cols], edges)
            for c, j in enumerate(idx):
                yield int(j), LiquidationMap(at_ms=int(at_ms[j]), price=float(prices[j]), bin_edges=edges,
                                             long_usd=heat.long_values[c].astype(float),
                                             short_usd=heat.short_values[c].astype(float))


def at_risk(model: LiquidationModel, at_ms: np.ndarray, band_pct: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(price, shorts at risk within +band %, longs at risk within -band %) as of each step; NaN price without data."""
    at_ms = np.asarray(at_ms, np.int64)
    prices = np.array([model.price_at(int(t)) for t in at_ms], dtype=float)
    shorts = np.zeros(len(at_ms))
    longs = np.zeros(len(at_ms))
    band = band_pct / 100.0
    for j, m in step_maps(model, at_ms, band_pct, prices):
        shorts[j] = shorts_at_risk(m, m.price * (1.0 + band))
        longs[j] = longs_at_risk(m, m.price * (1.0 - band))
    return prices, shorts, longs


# ----------------------------------------------------------------------------------------------
# What followed


@dataclass(frozen=True)
class _Reference:
    """Median over venues of high, low and close on a complete grid of candle open times (NaN = no candle)."""

    t0: int
    tf: int
    high: np.ndarray
    low: np.ndarray
    close_ffill: np.ndarray  # last known close at or before each slot

    @classmethod
    def build(cls, candles: pd.DataFrame, tf: int) -> "_Reference":
        ts = candles["ts"].to_numpy(np.int64)
        if len(ts) == 0:
            return cls(0, tf, np.empty(0), np.empty(0), np.empty(0))
        t0 = int(ts.min())
        slot = (ts - t0) // tf
        n = int(slot.max()) + 1
        codes, _names = pd.factorize(candles["exchange"].to_numpy())
        nv = int(codes.max()) + 1
        out = {}
        for col in ("high", "low", "close"):
            grid = np.full((nv, n), np.nan)
            grid[codes, slot] = candles[col].to_numpy(float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # slots no venue has
                out[col] = np.nanmedian(grid, axis=0) if nv > 1 else grid[0]
        close = pd.Series(out["close"]).ffill().to_numpy()
        return cls(t0, tf, out["high"], out["low"], close)


def forward_outcomes(candles: pd.DataFrame, timeframe_ms: int, at_ms: np.ndarray, price: np.ndarray,
                     horizon_ms: int, band_pct: float) -> dict[str, np.ndarray]:
    """What followed each step over ``horizon_ms``: candles opened in ``[t, t + horizon)``.

    Returns arrays: ``complete`` (bool: the whole horizon is in the data), ``forward_return_pct``,
    ``max_up_pct``, ``max_down_pct``, ``first`` (+1 up band first, -1 down band first, 0 neither or same candle).
    """
    if horizon_ms <= 0 or horizon_ms % timeframe_ms:
        raise ValueError("horizon must be a positive multiple of the candle timeframe")
    ref = _Reference.build(candles, timeframe_ms)
    at_ms = np.asarray(at_ms, np.int64)
    m = len(at_ms)
    w = horizon_ms // timeframe_ms
    band = band_pct / 100.0
    out = {k: np.full(m, np.nan) for k in ("forward_return_pct", "max_up_pct", "max_down_pct")}
    first = np.zeros(m, np.int8)
    complete = np.zeros(m, bool)
    n = len(ref.high)
    if n == 0 or m == 0:
        return {**out, "first": first, "complete": complete}
    ja = -(-(at_ms - ref.t0) // timeframe_ms)  # first candle opening at or after t
    ok = (ja >= 0) & (ja + w <= n) & np.isfinite(price) & (price > 0)
    chunk = max(1, FORWARD_CELLS // w)  # steps per pass: windows of (steps x candles) stay a few MB
    for a in range(0, m, chunk):
        sel = np.flatnonzero(ok[a : a + chunk]) + a
        if len(sel) == 0:
            continue
        idx = ja[sel, None] + np.arange(w)[None, :]
        hi = ref.high[idx]
        lo = ref.low[idx]
        p = price[sel]
        has = np.isfinite(hi).any(axis=1)
        sel, hi, lo, p = sel[has], hi[has], lo[has], p[has]
        up_hit = hi >= (p * (1.0 + band))[:, None]
        dn_hit = lo <= (p * (1.0 - band))[:, None]
        t_up = np.where(up_hit.any(axis=1), up_hit.argmax(axis=1), w)
        t_dn = np.where(dn_hit.any(axis=1), dn_hit.argmax(axis=1), w)
        first[sel] = np.where(t_up < t_dn, UP, np.where(t_dn < t_up, DOWN, NEITHER))
        end_close = ref.close_ffill[ja[sel] + w - 1]
        out["forward_return_pct"][sel] = (end_close / p - 1.0) * 100.0
        out["max_up_pct"][sel] = np.maximum(np.nanmax(hi, axis=1) / p - 1.0, 0.0) * 100.0
        out["max_down_pct"][sel] = np.minimum(np.nanmin(lo, axis=1) / p - 1.0, 0.0) * 100.0
        complete[sel] = True
    return {**out, "first": first, "complete": complete}


def observe(candles: pd.DataFrame, open_interest: pd.DataFrame, at_ms: np.ndarray, *, band_pct: float = 10.0,
            horizon_ms: int = DAY_MS, params: ModelParams | None = None, timeframe_ms: int = MINUTE_MS,
            model: LiquidationModel | None = None) -> tuple[StudyObservations, dict[str, int]]:
    """Imbalance as of each step and what followed. Returns (observations, skipped counts by reason).

    ``model`` (optional) must be built on the same candles and OI; it is computed once otherwise.
    """
    if not 0 < band_pct < 100:
        raise ValueError("band must be between 0 and 100 %")
    at_ms = np.asarray(at_ms, np.int64)
    if model is None:
        model = LiquidationModel.from_history(candles, open_interest, params, timeframe_ms)
    price, shorts, longs = at_risk(model, at_ms, band_pct)
    fwd = forward_outcomes(candles, timeframe_ms, at_ms, price, horizon_ms, band_pct)
    no_price = ~np.isfinite(price)
    empty = ~no_price & (shorts <= 0) & (longs <= 0)
    incomplete = ~no_price & ~empty & ~fwd["complete"]
    keep = ~(no_price | empty | incomplete)
    skipped = {"no_price": int(no_price.sum()), "empty_map": int(empty.sum()),
               "incomplete_horizon": int(incomplete.sum())}
    heavier = np.sign(shorts - longs).astype(np.int8)
    obs = StudyObservations(
        at_ms=at_ms[keep], price=price[keep], shorts_at_risk_usd=shorts[keep], longs_at_risk_usd=longs[keep],
        forward_return_pct=fwd["forward_return_pct"][keep], max_up_pct=fwd["max_up_pct"][keep],
        max_down_pct=fwd["max_down_pct"][keep], first=fwd["first"][keep], heavier=heavier[keep],
    )
    return obs, skipped


# ----------------------------------------------------------------------------------------------
# Statistics


def rank_average(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    x = np.asarray(x, float)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    new = np.r_[True, xs[1:] != xs[:-1]]
    group = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(x)]
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x))
    ranks[order] = avg[group]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> Optional[float]:
    """Spearman rank correlation (Pearson on average ranks); None when either side is constant or n < 3."""
    if len(x) < 3:
        return None
    rx, ry = rank_average(x), rank_average(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / den) if den > 0 else None


def block_indices(n: int, block_len: int, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Moving-block bootstrap replicates: each concatenates ``ceil(n / block_len)`` runs of ``block_len``
    consecutive observation indices with uniformly drawn starts, cut to ``n``."""
    block_len = max(1, min(block_len, n))
    k = -(-n // block_len)
    for _ in range(n_boot):
        starts = rng.integers(0, n - block_len + 1, size=k)
        yield (starts[:, None] + np.arange(block_len)[None, :]).ravel()[:n]


def bootstrap_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` interval of bootstrap replicates (NaN ones left out)."""
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return float("nan"), float("nan")
    a = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(v, [a, 1.0 - a])
    return float(lo), float(hi)


def wilson_interval(hits: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (``hits`` and ``n`` may be fractional: effective counts)."""
    if n <= 0:
        return float("nan"), float("nan")
    z = _normal_quantile(0.5 + confidence / 2.0)
    p = hits / n
    den = 1.0 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def _normal_quantile(q: float) -> float:
    """Inverse standard normal CDF by bisection on erf (a handful of calls, no scipy)."""
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def _hull(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return float(np.nanmin([a[0], b[0]])), float(np.nanmax([a[1], b[1]]))


def bucket_of(log_ratio: np.ndarray, buckets: int = 5, thresholds: Sequence[float] | None = None) -> tuple[np.ndarray, int]:
    """Bucket index per observation and the number of buckets.

    Quantile buckets of the log imbalance by default; with ``thresholds`` (ratios shorts/longs, e.g.
    ``(1/3, 1, 3)``) the buckets are ``< 1/3``, ``[1/3, 1)``, ``[1, 3)``, ``>= 3``.
    """
    if thresholds is not None:
        cuts = np.log(np.sort(np.asarray(thresholds, float)))
    else:
        if buckets < 1:
            raise ValueError("buckets must be at least 1")
        cuts = np.quantile(log_ratio, np.linspace(0, 1, buckets + 1)[1:-1]) if len(log_ratio) else np.empty(0)
    return np.searchsorted(cuts, log_ratio, side="right"), len(cuts) + 1


def summarize(obs: StudyObservations, *, every_ms: int, horizon_ms: int, band_pct: float, buckets: int = 5,
              thresholds: Sequence[float] | None = None, n_boot: int = 1000, confidence: float = 0.95,
              seed: int = 0, skipped: Mapping[str, int] | None = None) -> StudyResult:
    """Bucket the observations by imbalance and compare each bucket with the no-information base rate.

    Intervals: moving-block bootstrap (blocks of ``ceil(horizon / every)`` observations, bucket edges
    fixed), percentile intervals at ``confidence``. Deterministic for a given ``seed``.
    """
    n = len(obs)
    block_len = max(1, -(-horizon_ms // every_ms))
    notes = []
    if block_len > 1:
        notes.append(f"Horizons overlap: consecutive observations share up to {block_len - 1}/{block_len} of their "
                     f"future, so the {n} observations hold about {n / block_len:.0f} independent windows; "
                     f"intervals come from a moving-block bootstrap with blocks of {block_len} observations.")
    notes.append("base_rate: the heavier-first rate expected if the imbalance told nothing, i.e. each "
                 "observation's heavier side paired with the unconditional rate at which that side's band "
                 "(up for shorts, down for longs) is reached first; an edge is a bucket whose interval excludes it.")
    if n == 0:
        return StudyResult(obs, (), np.zeros(0, np.int64), None, (None, None), None, None, None, None, None, every_ms, horizon_ms,
                           band_pct, block_len, n_boot, confidence, dict(skipped or {}), tuple(notes))
    lr = obs.log_ratio
    ret = obs.forward_return_pct
    hf = obs.heavier_first.astype(float)
    up = (obs.first == UP).astype(float)
    dn = (obs.first == DOWN).astype(float)
    sh = (obs.heavier == 1).astype(float)
    lh = (obs.heavier == -1).astype(float)
    b, k = bucket_of(lr, buckets, thresholds)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), b] = 1.0

    def stats(weights: np.ndarray) -> dict[str, np.ndarray]:
        """Per-bucket statistics under observation weights (rows = replicates)."""
        w = np.atleast_2d(weights)
        tot = w.sum(axis=1)
        p_up = (w @ up) / tot
        p_dn = (w @ dn) / tot
        nb = w @ onehot
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = (w @ (onehot * hf[:, None])) / nb
            base = ((w @ (onehot * sh[:, None])) * p_up[:, None] + (w @ (onehot * lh[:, None])) * p_dn[:, None]) / nb
            mean_ret = (w @ (onehot * ret[:, None])) / nb
        return {"rate": rate, "base": base, "edge": rate - base, "ret": mean_ret, "n": nb}

    point = stats(np.ones(n))
    rng = np.random.default_rng(seed)
    boot: dict[str, list[np.ndarray]] = {key: [] for key in ("rate", "edge", "ret")}
    rho_boot: list[Optional[float]] = []
    batch = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    done = 0
    blocks = block_indices(n, block_len, n_boot, rng)
    while done < n_boot:
        idxs = [next(blocks) for _ in range(min(batch, n_boot - done))]
        counts = np.stack([np.bincount(i, minlength=n) for i in idxs]).astype(float)
        s = stats(counts)
        for key in boot:
            boot[key].append(s[key])
        for i in idxs:
            rho_boot.append(spearman(lr[i], ret[i]))
        done += len(idxs)
    bt = {key: np.concatenate(v) if v else np.empty((0, k)) for key, v in boot.items()}
    out: list[Any] = []
    widened = 0
    position = np.full(k, -1, np.int64)
    for j in range(k):
        sel = b == j
        if not sel.any():
            continue
        position[j] = len(out)
        ratio = obs.ratio[sel]
        rate_ci = bootstrap_interval(bt["rate"][:, j], confidence)
        edge_ci = bootstrap_interval(bt["edge"][:, j], confidence)
        base_j = float(point["base"][0, j])
        # A bootstrap never draws an event the sample lacks: with few events (counted per block) its
        # interval collapses, so it is widened to the Wilson interval on the effective sample size.
        n_eff, k_eff = sel.sum() / block_len, hf[sel].sum() / block_len
        if min(k_eff, n_eff - k_eff) < FEW_EVENTS:
            w = wilson_interval(k_eff, n_eff, confidence)
            rate_ci = _hull(rate_ci, w)
            edge_ci = _hull(edge_ci, (w[0] - base_j, w[1] - base_j))
            widened += 1
        out.append(BucketStats(
            imbalance_min=float(ratio.min()), imbalance_max=float(ratio.max()), n=int(sel.sum()),
            mean_return_pct=float(point["ret"][0, j]), return_ci=bootstrap_interval(bt["ret"][:, j], confidence),
            heavier_first_rate=float(point["rate"][0, j]), ci_low=rate_ci[0], ci_high=rate_ci[1],
            base_rate=base_j, edge_ci=edge_ci, shorts_heavier_share=float(sh[sel].mean()),
        ))
    if widened:
        notes.append(f"{widened} bucket(s) saw fewer than {FEW_EVENTS} heavier-first events or non-events per "
                     f"{block_len}-observation block: their intervals are widened to the Wilson interval on "
                     "n / block (a bootstrap cannot draw events the sample lacks).")
    rho = spearman(lr, ret)
    rhos = np.array([r for r in rho_boot if r is not None], float)
    rho_ci = bootstrap_interval(rhos, confidence) if len(rhos) else (float("nan"), float("nan"))
    p_up, p_dn = float(up.mean()), float(dn.mean())
    base = float((sh * p_up + lh * p_dn).mean())
    return StudyResult(
        observations=obs, buckets=tuple(out), bucket_index=position[b], spearman=rho,
        spearman_ci=(_num(rho_ci[0]), _num(rho_ci[1])), base_rate=base, up_first_rate=p_up,
        down_first_rate=p_dn, neither_rate=1.0 - p_up - p_dn, heavier_first_rate=float(hf.mean()),
        every_ms=every_ms, horizon_ms=horizon_ms, band_pct=band_pct, block_len=block_len, n_boot=n_boot,
        confidence=confidence, skipped=dict(skipped or {}), notes=tuple(notes),
    )


def run_study(candles: pd.DataFrame, open_interest: pd.DataFrame, *, every_ms: int = HOUR_MS,
              horizon_ms: int = DAY_MS, band_pct: float = 10.0, start_ms: int | None = None,
              end_ms: int | None = None, params: ModelParams | None = None, timeframe_ms: int = MINUTE_MS,
              buckets: int = 5, thresholds: Sequence[float] | None = None, n_boot: int = 1000,
              confidence: float = 0.95, seed: int = 0, warmup_ms: int = DEFAULT_WARMUP_MS,
              model: LiquidationModel | None = None) -> StudyResult:
    """The whole study on one symbol's candles and OI (``MarketFrames.candles`` / ``.open_interest``).

    Steps every ``every_ms`` in ``[start_ms, end_ms]`` (default: from a day after the first candle to
    the end); each needs a full ``horizon_ms`` of candles after it. Pure: no I/O, no clock.
    """
    if every_ms <= 0 or every_ms % timeframe_ms:
        raise ValueError("every must be a positive multiple of the candle timeframe")
    if horizon_ms <= 0 or horizon_ms % timeframe_ms:
        raise ValueError("horizon must be a positive multiple of the candle timeframe")
    if len(candles) == 0:
        raise ValueError("no candles")
    ts = candles["ts"].to_numpy(np.int64)
    first, last = int(ts.min()), int(ts.max()) + timeframe_ms
    steps = step_times(first, last, every_ms, start_ms, end_ms, warmup_ms)
    obs, skipped = observe(candles, open_interest, steps, band_pct=band_pct, horizon_ms=horizon_ms, params=params,
                           timeframe_ms=timeframe_ms, model=model)
    return summarize(obs, every_ms=every_ms, horizon_ms=horizon_ms, band_pct=band_pct, buckets=buckets,
                     thresholds=thresholds, n_boot=n_boot, confidence=confidence, seed=seed, skipped=skipped)
