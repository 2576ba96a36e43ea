"""Candles for 43k bars: bodies in one drawRects call per colour, wicks in one drawLines call per colour.

Only the buffered visible range is prepared (``lod``), merged to the pixel density, and cached until the
view leaves the buffer, the density changes or the data changes. paint() replays four batched calls.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from gui.items import lod


class CandleItem(pg.GraphicsObject):
    def __init__(self, up: str = "#26a69a", down: str = "#ef5350") -> None:
        super().__init__()
        self._x = self._o = self._h = self._l = self._c = np.empty(0)
        self._bar_width = 60.0
        self._cache_key: tuple | None = None
        self._arrays: dict[str, internals.PrimitiveArray] = {}
        self._bounds = QtCore.QRectF()
        self.drawn_bars = 0  # bars prepared for the last paint (after merging), for tests and benchmarks
        self.set_colors(up, down)

    # -- data ------------------------------------------------------------------------------------
    def set_colors(self, up: str, down: str) -> None:
        self._up, self._down = QtGui.QColor(up), QtGui.QColor(down)
        self._cache_key = None
        self.update()

    def set_data(self, x: np.ndarray, o: np.ndarray, h: np.ndarray, l: np.ndarray, c: np.ndarray, bar_width: float) -> None:
        self.prepareGeometryChange()
        self._x, self._o, self._h, self._l, self._c = (np.asarray(a, dtype=np.float64) for a in (x, o, h, l, c))
        self._bar_width = float(bar_width)
        if len(self._x):
            lo, hi = float(np.nanmin(self._l)), float(np.nanmax(self._h))
            self._bounds = QtCore.QRectF(self._x[0], lo, self._x[-1] - self._x[0] + self._bar_width, hi - lo)
        else:
            self._bounds = QtCore.QRectF()
        self._cache_key = None
        self.update()

    def data(self) -> tuple[np.ndarray, ...]:
        return self._x, self._o, self._h, self._l, self._c

    def y_range(self, x0: float, x1: float) -> tuple[float, float] | None:
        """Low and high of the bars in view, for fitting the price axis."""
        lo, hi = lod.visible_slice(self._x, x0, x1)
        if hi <= lo:
            return None
        return float(np.nanmin(self._l[lo:hi])), float(np.nanmax(self._h[lo:hi]))

    # -- QGraphicsItem ---------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def _prepare(self, x0: float, x1: float, pixels: float) -> None:
        visible = lod.visible_slice(self._x, x0, x1)
        k = lod.merge_factor(visible[1] - visible[0], pixels)
        key = (self._cache_key_data(), k)
        if self._cache_key is not None and self._cache_key[0] == key and self._cache_key[1][0] <= x0 and x1 <= self._cache_key[1][1]:
            return
        b0, b1 = lod.buffered_range(x0, x1)
        lo, hi = lod.visible_slice(self._x, b0, b1)
        lo -= lo % k  # align merge groups so panning does not make candles flicker
        x, o, h, l, c = lod.merge_ohlc(self._x[lo:hi], self._o[lo:hi], self._h[lo:hi], self._l[lo:hi], self._c[lo:hi], k)
        width = self._bar_width * k
        up = c >= o
        for name, mask in (("up", up), ("down", ~up)):
            rects = self._arrays.setdefault(name + "_rects", internals.PrimitiveArray(QtCore.QRectF, 4))
            n = int(mask.sum())
            rects.resize(n)
            m = rects.ndarray()
            m[:, 0] = x[mask] + width * 0.1
            m[:, 1] = np.minimum(o[mask], c[mask])
            m[:, 2] = width * 0.8
            m[:, 3] = np.abs(c[mask] - o[mask])
            lines = self._arrays.setdefault(name + "_lines", internals.PrimitiveArray(QtCore.QLineF, 4))
            lines.resize(n)
            w = lines.ndarray()
            w[:, 0] = w[:, 2] = x[mask] + width * 0.5
            w[:, 1] = l[mask]
            w[:, 3] = h[mask]
        self.drawn_bars = len(x)
        self._cache_key = (key, (b0, b1))

    def _cache_key_data(self) -> tuple:
        return (id(self._x), len(self._x), self._bar_width)

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if not len(self._x):
            return
        vb = self.getViewBox()
        if vb is None:
            x0, x1, pixels = float(self._x[0]), float(self._x[-1]) + self._bar_width, 1000.0
        else:
            (x0, x1), _ = vb.viewRange()
            pixels = max(vb.width(), 1.0)
        self._prepare(x0, x1, pixels)
        for name, color in (("up", self._up), ("down", self._down)):
            p.setPen(pg.mkPen(color, width=1, cosmetic=True))
            p.drawLines(*self._arrays[name + "_lines"].drawargs())
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(QtGui.QBrush(color))
            p.drawRects(*self._arrays[name + "_rects"].drawargs())
