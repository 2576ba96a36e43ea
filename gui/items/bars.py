"""Bars from a baseline (volume, liquidation events): one drawRects call per colour, visible range only."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from gui.items import lod


class BarsItem(pg.GraphicsObject):
    """Bars of height ``y`` at ``x``; ``color_index`` picks one of ``colors`` per bar (0, 1, …)."""

    def __init__(self, colors: tuple[str, ...] = ("#26a69a", "#ef5350")) -> None:
        super().__init__()
        self._x = self._y = np.empty(0)
        self._ci = np.empty(0, dtype=np.int8)
        self._w = 60.0
        self._arrays: list[internals.PrimitiveArray] = []
        self._key: tuple | None = None
        self._bounds = QtCore.QRectF()
        self.set_colors(colors)

    def set_colors(self, colors: tuple[str, ...]) -> None:
        self._colors = [QtGui.QColor(c) for c in colors]
        self._arrays = [internals.PrimitiveArray(QtCore.QRectF, 4) for _ in colors]
        self._key = None
        self.update()

    def set_data(self, x: np.ndarray, y: np.ndarray, color_index: np.ndarray | None, bar_width: float) -> None:
        self.prepareGeometryChange()
        self._x = np.asarray(x, dtype=np.float64)
        self._y = np.nan_to_num(np.asarray(y, dtype=np.float64))
        self._ci = np.zeros(len(self._x), dtype=np.int8) if color_index is None else np.asarray(color_index, dtype=np.int8)
        self._w = float(bar_width)
        if len(self._x):
            lo, hi = min(0.0, float(self._y.min())), max(0.0, float(self._y.max()))
            self._bounds = QtCore.QRectF(self._x[0], lo, self._x[-1] - self._x[0] + self._w, hi - lo)
        else:
            self._bounds = QtCore.QRectF()
        self._key = None
        self.update()

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def _merge_k(self, x0: float, x1: float) -> int:
        vb = self.getViewBox()
        lo, hi = lod.visible_slice(self._x, x0, x1)
        return lod.merge_factor(hi - lo, max(vb.width(), 1.0) if vb is not None else 1000.0)

    def y_max(self, x0: float, x1: float) -> float:
        """Largest |bar| in view as drawn (merged bars hold the sum of the bars they stand for)."""
        lo, hi = lod.visible_slice(self._x, x0, x1)
        if hi <= lo:
            return 0.0
        k = self._merge_k(x0, x1)
        lo -= lo % k
        y = self._y[lo:hi]
        if k > 1:
            y = np.add.reduceat(y, np.arange(0, len(y), k))
        return float(np.abs(y).max())

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def _prepare(self, x0: float, x1: float, pixels: float) -> None:
        lo, hi = lod.visible_slice(self._x, x0, x1)
        k = lod.merge_factor(hi - lo, pixels)
        if self._key is not None and self._key[0] == (id(self._x), len(self._x), k) and self._key[1] <= x0 and x1 <= self._key[2]:
            return
        b0, b1 = lod.buffered_range(x0, x1)
        lo, hi = lod.visible_slice(self._x, b0, b1)
        lo -= lo % k
        x, y, ci = self._x[lo:hi], self._y[lo:hi], self._ci[lo:hi]
        if k > 1:
            starts = np.arange(0, len(x), k)
            x, ci = x[starts], ci[starts]
            y = np.add.reduceat(y, starts)  # a wider bar holds its whole period (volume per 2 h, not per minute)
        width = self._w * k
        for i, arr in enumerate(self._arrays):
            mask = ci == i
            arr.resize(int(mask.sum()))
            m = arr.ndarray()
            m[:, 0] = x[mask] + width * 0.1
            m[:, 1] = 0.0
            m[:, 2] = width * 0.8
            m[:, 3] = y[mask]
        self._key = ((id(self._x), len(self._x), k), b0, b1)

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if not len(self._x):
            return
        vb = self.getViewBox()
        (x0, x1), _ = vb.viewRange() if vb is not None else ((self._x[0], self._x[-1]), None)
        self._prepare(x0, x1, max(vb.width(), 1.0) if vb is not None else 1000.0)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        for color, arr in zip(self._colors, self._arrays):
            p.setBrush(QtGui.QBrush(color))
            p.drawRects(*arr.drawargs())
