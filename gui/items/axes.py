"""Axes: a time axis in UTC or local time (named on the axis) and number axes with thousands separators."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg


def format_number(value: float, spacing: float) -> str:
    """``84,120`` / ``84,120.5`` / ``0.0123``: enough decimals to tell neighbouring ticks apart."""
    if spacing <= 0 or not math.isfinite(spacing):
        decimals = 2
    else:
        decimals = max(0, min(8, -int(math.floor(math.log10(spacing))) + (1 if spacing < 1 else 0)))
    return f"{value:,.{decimals}f}"


def format_compact(value: float) -> str:
    """``1.2B``, ``350M``, ``12.5k``: for USD and volume axes."""
    a = abs(value)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{value / div:.{1 if a < div * 100 else 0}f}{suffix}"
    return f"{value:.0f}" if a >= 10 else f"{value:.2g}"


class PriceAxis(pg.AxisItem):
    """Prices with thousands separators; on a log scale the view holds log10(price)."""

    def __init__(self, orientation: str = "right", **kw) -> None:
        super().__init__(orientation, **kw)
        self.log_scale = False
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal, maxVal, size):
        if not self.log_scale or not (maxVal > minVal) or maxVal > 20:
            return super().tickValues(minVal, maxVal, size)
        # The view holds log10(price): ticks at round prices (85,000, not 10**4.94 = 87,096).
        lo, hi = 10**minVal, 10**maxVal
        step = nice_price_step((hi - lo) / max(2, size / 60))
        first = math.ceil(lo / step) * step
        prices = np.arange(first, hi, step)
        self._log_step = step
        return [(math.log10(step), [math.log10(p) for p in prices if p > 0])]

    def tickStrings(self, values, scale, spacing):
        if self.log_scale:
            step = getattr(self, "_log_step", None)
            return [format_number(round(10**v / step) * step if step else 10**v, step or 10**v * spacing * math.log(10)) for v in values]
        return [format_number(v, spacing) for v in values]


def nice_price_step(raw: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least ``raw``."""
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


class CompactAxis(pg.AxisItem):
    def __init__(self, orientation: str = "right", suffix: str = "", **kw) -> None:
        super().__init__(orientation, **kw)
        self.suffix = suffix
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        return [format_compact(v) + self.suffix for v in values]


class PercentAxis(pg.AxisItem):
    """Funding rates, stored as fractions, shown as percent."""

    def __init__(self, orientation: str = "right", **kw) -> None:
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        decimals = max(0, min(6, -int(math.floor(math.log10(max(spacing * 100, 1e-12))))))
        return [f"{v * 100:.{decimals}f}%" for v in values]


class TimeAxis(pg.DateAxisItem):
    """UTC by default; 'local' follows the machine's zone per timestamp (DST-correct via pyqtgraph)."""

    def __init__(self, orientation: str = "bottom", zone: str = "UTC", **kw) -> None:
        super().__init__(orientation, utcOffset=0, **kw)
        self.set_zone(zone)

    def set_zone(self, zone: str) -> None:
        self.zone = "local" if zone == "local" else "UTC"
        self.utcOffset = 0 if self.zone == "UTC" else None
        self.setLabel(text="", units=None)
        self.picture = None
        self.update()

    def tickStrings(self, values, scale, spacing):
        strings = super().tickStrings(values, scale, spacing)
        if strings:
            # The zone is written once, on the last label, so it is always visible.
            strings[-1] = f"{strings[-1]} {self.zone}"
        return strings


def finite_range(values: np.ndarray) -> tuple[float, float] | None:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return None
    return float(v.min()), float(v.max())
