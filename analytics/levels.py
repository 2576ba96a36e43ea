"""Result types of the liquidation-level model: the map at a time and the heatmap over time.

Frozen so a worker thread can hand them to widgets. Notionals are USD valued at the liquidation price
(what would be force-sold there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np


@dataclass(frozen=True)
class LiquidationMap:
    """Estimated open liquidation levels at ``at_ms``: USD per price bin, for longs and for shorts.

    ``long_usd[b]`` / ``short_usd[b]`` hold levels with ``bin_edges[b] <= price < bin_edges[b + 1]``.
    ``per_exchange[name] = (long_usd, short_usd)`` on the same bins; the summed arrays are their sum.
    ``price`` is the reference price at ``at_ms`` (median of the venues' last closes), NaN without data.
    """

    at_ms: int
    price: float
    bin_edges: np.ndarray
    long_usd: np.ndarray
    short_usd: np.ndarray
    per_exchange: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def prices(self) -> np.ndarray:
        """Bin centres."""
        return 0.5 * (self.bin_edges[:-1] + self.bin_edges[1:])

    @property
    def bin_usd(self) -> float:
        return float(self.bin_edges[1] - self.bin_edges[0]) if len(self.bin_edges) > 1 else float("nan")

    def total_long_usd(self) -> float:
        return float(self.long_usd.sum())

    def total_short_usd(self) -> float:
        return float(self.short_usd.sum())

    def cumulative_long(self) -> np.ndarray:
        """Longs liquidated if price falls to each bin: sum from the bin up to the current price."""
        below = np.where(self.prices < self.price, self.long_usd, 0.0)
        return np.cumsum(below[::-1])[::-1]

    def cumulative_short(self) -> np.ndarray:
        """Shorts liquidated if price rises to each bin: sum from the current price up to the bin."""
        above = np.where(self.prices > self.price, self.short_usd, 0.0)
        return np.cumsum(above)


@dataclass(frozen=True)
class Heatmap:
    """The map over time: ``values[c, b]`` = long + short USD in price bin b as of ``time_edges[c + 1]``.

    Column c covers ``[time_edges[c], time_edges[c + 1])`` and shows the levels open at its end.
    ``long_values`` / ``short_values`` split it by side; all float32, shape (columns, bins).
    """

    time_edges: np.ndarray
    price_edges: np.ndarray
    long_values: np.ndarray
    short_values: np.ndarray

    @property
    def values(self) -> np.ndarray:
        return self.long_values + self.short_values


def nice_step(raw: float) -> float:
    """The round number (1, 2, 2.5 or 5 × 10^k) nearest above ``raw``."""
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    exp = math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = m * 10.0**exp
        if step >= raw * 0.999999:
            return step
    return 10.0 ** (exp + 1)


def auto_bin_edges(price: float, bin_usd: float | None = None, span: float = 0.4, bins_hint: int = 400) -> np.ndarray:
    """Bin edges covering ``price × (1 ± span)`` with a round bin size (about ``bins_hint`` bins unless given)."""
    if not (price > 0 and math.isfinite(price)):
        return np.array([0.0, 1.0])
    step = float(bin_usd) if bin_usd else nice_step(2 * span * price / bins_hint)
    lo = max(0, math.floor(price * (1 - span) / step))
    hi = math.ceil(price * (1 + span) / step)
    # Edges are exactly i × step (see grid_origin): bins can then be found arithmetically.
    return np.arange(lo, hi + 1, dtype=float) * step


def grid_origin(edges: np.ndarray) -> tuple[float, int] | None:
    """(step, i0) if ``edges`` are exactly ``(i0 + j) × step`` for a positive step, else None."""
    if len(edges) < 2:
        return None
    raw = float(edges[-1] - edges[0]) / (len(edges) - 1)
    for step in (float(f"{raw:.12g}"), raw):  # the step the edges were made with is usually round
        if not (step > 0 and math.isfinite(step)):
            return None
        i0 = round(float(edges[0]) / step)
        if np.array_equal(np.arange(i0, i0 + len(edges), dtype=float) * step, edges):
            return step, i0
    return None


def grid_index(prices: np.ndarray, step: float) -> np.ndarray:
    """``floor(price / step)`` exactly as comparisons with the edges ``i × step`` decide it."""
    with np.errstate(invalid="ignore"):
        q = np.floor(np.divide(prices, step))
    bad = ~np.isfinite(q)
    if bad.any():  # NaN and -inf -> -2**62, +inf -> 2**62
        q[bad] = np.where(q[bad] > 0, 2.0**62, -(2.0**62))
    g = q.astype(np.int64)
    gf = g.astype(float)
    g -= prices < np.multiply(gf, step, out=q)
    gf += 1.0
    gf *= step
    g += prices >= gf
    return g


def bin_index(prices: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each price (``edges[b] <= p < edges[b + 1]``), -1 outside."""
    edges = np.asarray(edges, float)
    nb = len(edges) - 1
    step = (edges[-1] - edges[0]) / nb if nb > 0 else 0.0
    if nb > 0 and step > 0 and np.all(np.abs(np.diff(edges) - step) <= 1e-9 * step):
        # Even bins: arithmetic, then a one-step correction so edges decide exactly as searchsorted would.
        with np.errstate(invalid="ignore"):
            b = np.floor((prices - edges[0]) / step)
        b = np.clip(np.nan_to_num(b, nan=-1.0), -1, nb).astype(np.int64)
        inner = np.clip(b, 0, nb)
        b = np.where(prices < edges[inner], b - 1, b)
        b = np.where(prices >= edges[np.clip(b + 1, 0, nb)], b + 1, b)
    else:
        b = np.searchsorted(edges, prices, side="right") - 1
    b[(b >= nb) | (b < 0)] = -1
    return b
