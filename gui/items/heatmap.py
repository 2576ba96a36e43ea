"""The liquidation heatmap behind the candles: a pg.ImageItem over (time × price) with fixed levels.

Colour controls work on a normalised copy, not on the levels of the item, so the colour bar keeps a USD
scale: ``threshold`` hides cells below a share of the clip level, ``gamma`` lifts faint clusters,
``clip`` is the share of the maximum that gets the brightest colour (outliers saturate).

``scale`` says which USD range the colours span (``colour_levels``): ABSOLUTE is one fixed USD range, so
a colour means the same dollars in every view and at every time (it used to re-scale with each zoom);
VIEW spans the visible cells; ZSCORE colours a cell by how many standard deviations it stands above the
visible mean, as Kingfisher does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore


class HeatScale(str, Enum):
    ABSOLUTE = "absolute"  # a fixed USD range: comparable across views and time
    VIEW = "view"  # relative: 0 up to the visible clip level
    ZSCORE = "zscore"  # relative: the visible mean up to mean + ZSCORE_TOP standard deviations

    @property
    def label(self) -> str:
        return {"absolute": "absolute", "view": "relative to view", "zscore": "z-score in view"}[self.value]


ZSCORE_TOP = 3.0  # a cell this many standard deviations above the mean gets the brightest colour


@dataclass(frozen=True)
class HeatmapStyle:
    colormap: str = "inferno"
    threshold: float = 0.04  # share of the clip level below which a cell is transparent
    gamma: float = 0.8
    clip: float = 0.995  # quantile of non-zero cells drawn at full intensity
    opacity: float = 0.85
    scale: HeatScale = HeatScale.ABSOLUTE
    absolute_usd: float = 0.0  # ABSOLUTE's full-colour USD per cell; 0: fixed at the first view's clip level


def colormap_lut(name: str, threshold: float, n: int = 256) -> np.ndarray:
    """RGBA lookup table; entries below ``threshold`` are fully transparent so candles stay readable."""
    cmap = pg.colormap.get(name)
    lut = cmap.getLookupTable(0.0, 1.0, n, alpha=True).astype(np.ubyte)
    ramp = np.clip(np.linspace(0, 1, n) / max(threshold * 4, 1e-6), 0, 1)
    lut[:, 3] = (255 * ramp).astype(np.ubyte)
    lut[: max(1, int(threshold * n)), 3] = 0
    return lut


def clip_level(values: np.ndarray, clip: float) -> float:
    nz = values[values > 0]
    if len(nz) == 0:
        return 1.0
    return float(np.quantile(nz, min(max(clip, 0.5), 1.0))) or 1.0


def colour_levels(values: np.ndarray, style: HeatmapStyle, locked_usd: float = 0.0) -> tuple[float, float]:
    """(USD drawn at the lowest colour, USD drawn at full colour) for these cells under ``style``."""
    if style.scale is HeatScale.ZSCORE:
        nz = values[values > 0]
        if len(nz) < 2:
            return 0.0, clip_level(values, style.clip)
        mean, sd = float(nz.mean()), float(nz.std())
        return mean, mean + ZSCORE_TOP * sd if sd > 0 else mean + 1.0
    if style.scale is HeatScale.ABSOLUTE:
        fixed = style.absolute_usd if style.absolute_usd > 0 else locked_usd
        if fixed > 0:
            return 0.0, float(fixed)
    return 0.0, clip_level(values, style.clip)


class HeatmapItem(pg.ImageItem):
    levels_changed = QtCore.Signal(float, float)  # USD at the lowest and at the full colour

    def __init__(self) -> None:
        super().__init__()
        self.style = HeatmapStyle()
        self.values = np.zeros((0, 0))
        self.level_usd = 1.0  # the USD value drawn at full intensity
        self.low_usd = 0.0  # the USD value drawn at the lowest colour (above 0 only for ZSCORE)
        self.locked_usd = 0.0  # ABSOLUTE without a set level: the first view's clip level, kept
        self.setZValue(-10)
        self.setOpacity(self.style.opacity)

    def set_style(self, style: HeatmapStyle) -> None:
        self.style = style
        self.setOpacity(style.opacity)
        self._redraw()

    def set_grid(self, values: np.ndarray, x0: float, x_step: float, p0: float, p_step: float) -> None:
        """``values[i, j]``: USD at time column ``i`` (from ``x0`` seconds) and price row ``j`` (from ``p0``)."""
        self.values = np.asarray(values, dtype=np.float32)
        self._rect = QtCore.QRectF(x0, p0, x_step * self.values.shape[0], p_step * self.values.shape[1]) if self.values.size else None
        self._redraw()

    def _redraw(self) -> None:
        if not self.values.size or self._rect is None:
            self.clear()
            return
        if self.style.scale is HeatScale.ABSOLUTE and self.style.absolute_usd <= 0 and self.locked_usd <= 0:
            self.locked_usd = clip_level(self.values, self.style.clip)
        self.low_usd, self.level_usd = colour_levels(self.values, self.style, self.locked_usd)
        span = max(self.level_usd - self.low_usd, 1e-12)
        shown = np.clip((self.values - self.low_usd) / span, 0.0, 1.0) ** self.style.gamma
        self.setLookupTable(colormap_lut(self.style.colormap, self.style.threshold))
        self.setImage(shown, levels=(0.0, 1.0), autoLevels=False)
        self.setRect(self._rect)
        self.levels_changed.emit(self.low_usd, self.level_usd)

    def reset_scale(self) -> None:
        """A new market (another symbol or source): ABSOLUTE fixes its level again on the first view."""
        self.locked_usd = 0.0

    def value_at(self, x: float, price: float) -> float:
        """USD of the cell under (x, price), 0 outside."""
        if not self.values.size or self._rect is None:
            return 0.0
        r = self._rect
        i = int((x - r.left()) / r.width() * self.values.shape[0])
        j = int((price - r.top()) / r.height() * self.values.shape[1])
        if 0 <= i < self.values.shape[0] and 0 <= j < self.values.shape[1]:
            return float(self.values[i, j])
        return 0.0
