"""Level of detail for bar items (finplot's trick, no Qt): draw only the visible slice, thinned to the pixels."""

from __future__ import annotations

import numpy as np

# A bar needs at least this many pixels to be worth drawing on its own; denser views merge bars.
MIN_PX_PER_BAR = 2.0
# Draw this many visible widths (the view plus one width each side) so small pans replay the cache.
BUFFER_WIDTHS = 3.0


def visible_slice(x: np.ndarray, x0: float, x1: float, pad: float = 0.0) -> tuple[int, int]:
    """Index range of bars with ``x0 - pad <= x <= x1 + pad`` (x sorted)."""
    lo = int(np.searchsorted(x, x0 - pad, "left"))
    hi = int(np.searchsorted(x, x1 + pad, "right"))
    return max(lo - 1, 0), min(hi + 1, len(x))


def buffered_range(x0: float, x1: float) -> tuple[float, float]:
    width = max(x1 - x0, 1e-9)
    extra = width * (BUFFER_WIDTHS - 1.0) / 2.0
    return x0 - extra, x1 + extra


def merge_factor(bars_visible: int, pixels: float) -> int:
    """How many bars to merge into one so each drawn bar gets ≥ MIN_PX_PER_BAR pixels."""
    if pixels <= 0 or bars_visible <= 0:
        return 1
    return max(1, int(np.ceil(bars_visible * MIN_PX_PER_BAR / pixels)))


def merge_ohlc(x, o, h, l, c, k: int):
    """Every ``k`` consecutive bars as one: first open, max high, min low, last close (aligned to groups)."""
    if k <= 1 or len(x) == 0:
        return x, o, h, l, c
    starts = np.arange(0, len(x), k)
    ends = np.minimum(starts + k, len(x)) - 1
    return x[starts], o[starts], np.maximum.reduceat(h, starts), np.minimum.reduceat(l, starts), c[ends]


def merge_sum(x, y, k: int):
    if k <= 1 or len(x) == 0:
        return x, y
    starts = np.arange(0, len(x), k)
    return x[starts], np.add.reduceat(y, starts)
