"""Panels of one line per exchange (open interest, funding): the same item set-up, different data."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gui.chart_data import ChartData, Series
from gui.items import lod
from gui.items.axes import CompactAxis, PercentAxis, format_compact
from gui.panels.base import ChartPanel
from gui.theme import Theme
from market.series import EXCHANGE_NAMES


class LinesPanel(ChartPanel):
    def __init__(self, theme: Theme, axis: pg.AxisItem, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, axis, parent)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.series: Mapping[str, Series] = {}
        self.legend = self.plot.addLegend(offset=(-4, 2), labelTextSize="8pt", colCount=4)
        self.legend.setParentItem(self.view)
        self.legend.anchor((1, 0), (1, 0), offset=(-4, 2))

    def _curve(self, name: str) -> pg.PlotDataItem:
        if name not in self.curves:
            curve = self.plot.plot(name=EXCHANGE_NAMES.get(name, name.capitalize()))
            # finplot/pyqtgraph LOD: draw only what is visible, peak-decimated to the pixels.
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            curve.setSkipFiniteCheck(True)
            self.curves[name] = curve
        return self.curves[name]

    def _pen(self, name: str):
        if name == "total":
            return pg.mkPen(self.theme.text, width=1.6)
        return pg.mkPen(self.theme.exchange_color(name), width=1.2)

    def show_series(self, series: Mapping[str, Series]) -> None:
        self.series = series
        for name in list(self.curves):
            if name not in series:
                self.legend.removeItem(self.curves[name])
                self.plot.removeItem(self.curves.pop(name))
        for name, s in series.items():
            curve = self._curve(name)
            curve.setPen(self._pen(name))
            curve.setData(s.x, s.y)

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        for name, curve in getattr(self, "curves", {}).items():
            curve.setPen(self._pen(name))
        if hasattr(self, "legend"):
            self.legend.setLabelTextColor(theme.muted)

    def fit_y(self, x0: float, x1: float) -> None:
        lo, hi = np.inf, -np.inf
        for s in self.series.values():
            a, b = lod.visible_slice(s.x, x0, x1)
            if b > a:
                v = s.y[a:b]
                v = v[np.isfinite(v)]
                if len(v):
                    lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        if np.isfinite(lo):
            pad = (hi - lo) * 0.1 or abs(hi) * 0.05 or 1e-6
            self.view.setYRange(lo - pad, hi + pad, padding=0)


class OpenInterestPanel(LinesPanel):
    title = "Open interest"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, CompactAxis("right"), parent)
        self.in_usd = False
        self._data: ChartData | None = None

    def set_usd(self, on: bool) -> None:
        self.in_usd = on
        if self._data is not None:
            self.set_data(self._data)

    def set_data(self, data: ChartData) -> None:
        self._data = data
        self.title = f"Open interest ({'USD' if self.in_usd else 'base'}) per exchange and total"
        self.title_item.setHtml(f"<span style='color:{self.theme.muted};font-size:9pt'>{self.title}</span>")
        self.show_series(data.oi_usd if self.in_usd else data.oi_base)

    def changes(self, x0: float, x1: float) -> dict[str, tuple[float, float]]:
        """Per series: (value at the end of the window, % change over the window)."""
        out = {}
        for name, s in self.series.items():
            a, b = lod.visible_slice(s.x, x0, x1)
            a = int(np.searchsorted(s.x, x0, "left"))
            b = int(np.searchsorted(s.x, x1, "right")) - 1
            if 0 <= a <= b < len(s.x) and s.y[a]:
                out[name] = (float(s.y[b]), (float(s.y[b]) / float(s.y[a]) - 1.0) * 100.0)
        return out


class FundingPanel(LinesPanel):
    title = "Funding rate per exchange"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, PercentAxis("right"), parent)
        self.zero = pg.InfiniteLine(pos=0, angle=0, movable=False, pen=pg.mkPen(theme.grid))
        self.plot.addItem(self.zero, ignoreBounds=True)

    def set_data(self, data: ChartData) -> None:
        self.show_series(data.funding)
        for curve in self.curves.values():
            curve.opts["stepMode"] = None

    def fit_y(self, x0: float, x1: float) -> None:
        super().fit_y(x0, x1)


def compact_usd(v: float) -> str:
    return "$" + format_compact(v)
