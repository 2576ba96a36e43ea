"""The imbalance axis: the view holds ln(shorts / longs), the ticks read as ratios (1 : 3, 1 : 1, 3 : 1).

A log axis keeps 1 : 3 and 3 : 1 the same distance from balance, so neither side looks more extreme.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from cascade_vocab.formatting import format_ratio

NICE = (1.0, 2.0, 3.0, 5.0)



def ratio_ticks(lo: float, hi: float, max_ticks: int = 9) -> list[float]:
    """Log-ratio tick positions within ``[lo, hi]`` at nice ratios (and their inverses), thinned to ``max_ticks``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    up = {m * 10.0**k for k in range(0, 7) for m in NICE}  # 1, 2, 3, 5, 10, 20 ... and their inverses
    ratios = sorted(up | {1.0 / r for r in up})
    ticks = [math.log(r) for r in ratios if lo <= math.log(r) <= hi]
    for keep in (1, 2, 3, 4, 6, 12):  # fewer, evenly spaced, always keeping 1 (= 0) when shown
        if len(ticks[::keep]) <= max_ticks:
            break
    if 0.0 in ticks:
        i0 = ticks.index(0.0)
        return [t for i, t in enumerate(ticks) if (i - i0) % keep == 0]
    return ticks[::keep]


class RatioAxis(pg.AxisItem):
    """Bottom axis of the study plots: positions are ln(ratio), labels are ratios."""

    def __init__(self, orientation: str = "bottom", **kw) -> None:
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal, maxVal, size):
        max_ticks = max(2, int(size / 55))  # about one label per 55 px
        return [(1.0, ratio_ticks(min(minVal, maxVal), max(minVal, maxVal), max_ticks))]

    def tickStrings(self, values, scale, spacing):
        return [format_ratio(math.exp(v), None) for v in values]
