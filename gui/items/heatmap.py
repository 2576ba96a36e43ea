"""The liquidation heatmap behind the candles: a pg.ImageItem over (time × price) with fixed levels.

Colour controls work on a normalised copy, not on the levels of the item, so the colour bar keeps a USD
scale: ``threshold`` hides cells below a share of the clip level, ``gamma`` lifts faint clusters,
``clip`` is the share of the maximum that gets the brightest colour (outliers saturate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore


@dataclass(frozen=True)
class HeatmapStyle:
    colormap: str = "inferno"
    threshold: float = 0.04  # share of the clip level below which a cell is transparent
    gamma: float = 0.8
    clip: float = 0.995  # quantile of non-zero cells drawn at full intensity
    opacity: float = 0.85


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


class HeatmapItem(pg.ImageItem):
    def __init__(self) -> None:
        super().__init__()
        self.style = HeatmapStyle()
        self.values = np.zeros((0, 0))
        self.level_usd = 1.0  # the USD value drawn at full intensity
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
        self.level_usd = clip_level(self.values, self.style.clip)
        shown = np.clip(self.values / self.level_usd, 0.0, 1.0) ** self.style.gamma
        self.setLookupTable(colormap_lut(self.style.colormap, self.style.threshold))
        self.setImage(shown, levels=(0.0, 1.0), autoLevels=False)
        self.setRect(self._rect)

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
