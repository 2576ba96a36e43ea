"""The heatmap cell under the crosshair (no Qt): which time column and price row, and its USD by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from analytics.levels import Heatmap


@dataclass(frozen=True)
class HeatCell:
    t0_ms: int  # the column covers [t0, t1) and shows the levels open at t1
    t1_ms: int
    p0: float  # the row covers [p0, p1)
    p1: float
    long_usd: float
    short_usd: float


def heat_cell(heat: Optional[Heatmap], x_s: float, price: float) -> Optional[HeatCell]:
    """The cell of ``heat`` at time ``x_s`` (seconds) and ``price``; None outside it."""
    if heat is None or heat.long_values.size == 0:
        return None
    i = int(np.searchsorted(heat.time_edges, x_s * 1000.0, "right")) - 1
    j = int(np.searchsorted(heat.price_edges, price, "right")) - 1
    if not (0 <= i < heat.long_values.shape[0] and 0 <= j < heat.long_values.shape[1]):
        return None
    return HeatCell(int(heat.time_edges[i]), int(heat.time_edges[i + 1]), float(heat.price_edges[j]), float(heat.price_edges[j + 1]),
                    float(heat.long_values[i, j]), float(heat.short_values[i, j]))
