"""Panels of one line per exchange (open interest, funding): the same item set-up, different data."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from gui.chart_data import ChartData, Series
from gui.items import lod
from gui.items.axes import CompactAxis, PercentAxis, format_compact
from gui.panels.base import ChartPanel, InfoRows, PanelView
from gui.theme import Theme
from market.series import EXCHANGE_NAMES


def signature(series: Mapping[str, Series]) -> tuple:
    """Cheap identity of a set of lines: names, lengths, first and last points."""
    return tuple((n, len(s.x), float(s.x[0]), float(s.x[-1]), float(s.y[-1])) if len(s.x) else (n, 0) for n, s in series.items())


class LinesPanel(ChartPanel):
    def __init__(self, theme: Theme, axis: pg.AxisItem, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, axis, parent)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.series: Mapping[str, Series] = {}
        self.legend = self.plot.addLegend(offset=(-4, 2), labelTextSize="8pt", colCount=4)
        self.legend.setParentItem(self.view)
        self.legend.anchor((1, 0), (1, 0), offset=(-4, 2))
        self.legend.setZValue(1000)  # above the data, like the title

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
        sig = signature(series)
        if sig == getattr(self, "_shown", None):
            self.series = series
            return  # funding changes every few hours; a tick must not re-upload the lines
        self._shown = sig
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
        self._shown = None
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


def _ffill_on(x: np.ndarray, s: Series) -> np.ndarray:
    """``s`` sampled at ``x`` (last value at or before each x; NaN before its first row)."""
    i = np.searchsorted(s.x, x, "right") - 1
    out = s.y[np.maximum(i, 0)].astype(np.float64)
    out[i < 0] = np.nan
    return out


def _blend(color, background, alpha: float):
    c = pg.mkColor(color)
    b = pg.mkColor(background)
    return pg.mkColor(
        int(c.red() * alpha + b.red() * (1 - alpha)),
        int(c.green() * alpha + b.green() * (1 - alpha)),
        int(c.blue() * alpha + b.blue() * (1 - alpha)),
    )


class OpenInterestPanel(LinesPanel):
    """OI stacked per exchange (Binance at the bottom); the top edge is the total."""

    title = "Open interest"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, CompactAxis("right"), parent)
        self.in_usd = False
        self._data: ChartData | None = None
        self.stacked: dict[str, Series] = {}

    def set_usd(self, on: bool) -> None:
        self.in_usd = on
        if self._data is not None:
            self.set_data(self._data)

    def set_data(self, data: ChartData) -> None:
        self._data = data
        unit = "USD" if self.in_usd else "base"
        self.title = f"Open interest ({unit}), stacked per exchange"
        self.title_item.setHtml(f"<span style='color:{self.theme.muted};font-size:9pt'>{self.title}</span>")
        series = data.oi_usd if self.in_usd else data.oi_base
        sig = (self.in_usd, self.theme.name, signature(series))
        self.series = series
        if sig == getattr(self, "_shown", None):
            return
        self._shown = sig
        total = series.get("total")
        venues = [name for name in series if name != "total"]
        for name in list(self.curves):
            if name not in venues:
                self.legend.removeItem(self.curves[name])
                self.plot.removeItem(self.curves.pop(name))
        if total is None or not venues:
            return
        base = np.zeros(len(total.x))
        self.stacked = {}
        background = pg.mkColor(self.theme.background)
        for z, name in enumerate(venues):
            top = base + np.nan_to_num(_ffill_on(total.x, series[name]))
            self.stacked[name] = Series(total.x, top)
            curve = self._curve(name)
            color = pg.mkColor(self.theme.exchange_color(name))
            curve.setPen(pg.mkPen(color, width=1.2))
            # Opaque fills down to zero, the lowest venue in front: bands without FillBetweenItem,
            # whose Python path building costs ~100 ms per update on a week of minutes.
            curve.setBrush(pg.mkBrush(_blend(color, background, 0.35)))
            curve.setFillLevel(0.0)
            curve.setZValue(-z)
            curve.setData(total.x, top)
            base = top

    def fit_y(self, x0: float, x1: float) -> None:
        lo, hi = np.inf, -np.inf
        names = list(self.stacked)
        if not names:
            return
        first, top = self.stacked[names[0]], self.stacked[names[-1]]
        a, b = lod.visible_slice(top.x, x0, x1)
        if b <= a:
            return
        # A stacked area starts at 0: from a floor near the smallest band, the largest venue (at the
        # bottom) showed as a sliver.
        hi = float(np.nanmax(top.y[a:b]))
        if np.isfinite(hi) and hi > 0:
            self.view.setYRange(0.0, hi * 1.05, padding=0)

    def info(self, view: PanelView, x0: float, x1: float) -> InfoRows:
        t, rows = self.theme, []
        for name, (value, pct) in self.changes(x0, x1).items():
            label = "Total" if name == "total" else EXCHANGE_NAMES.get(name, name)
            rows.append((label, f"{format_compact(value)} {pct:+.1f}%".replace("-", "−"), t.up if pct >= 0 else t.down))
        return "OI now · change in view", rows

    def changes(self, x0: float, x1: float) -> dict[str, tuple[float, float]]:
        """Per venue and total: (value at the end of the window, % change over the window)."""
        out = {}
        for name, s in self.series.items():
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

    def info(self, view: PanelView, x0: float, x1: float) -> InfoRows:
        t, rows = self.theme, []
        for name, s in view.chart.funding.items():
            if len(s.y):
                rate = float(s.y[-1])
                rows.append((EXCHANGE_NAMES.get(name, name), f"{rate * 100:+.4f}%", t.up if rate >= 0 else t.down))
        return "Funding (last)", rows
