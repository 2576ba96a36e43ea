"""The liquidation map beside the price chart, on the same price axis (CoinGlass-style).

Horizontal bars: estimated long (red) and short (green) liquidation notional per price bin. Curves:
cumulative shorts from the price upward and cumulative longs from the price downward, scaled to the
panel's width (their totals are written at the top), each inside a shaded band: the 80 % range of that
cumulative figure over the plausible crowds (analytics.ensemble).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from analytics.ensemble import EnsembleMaps
from analytics.levels import LiquidationMap
from gui.items.axes import CompactAxis, format_compact
from gui.theme import Theme


class LiquidationMapPanel(QtWidgets.QWidget):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": CompactAxis("bottom")})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideAxis("left")
        # No axes: its plot area must have exactly the price chart's height so the y-link lines up prices.
        self.plot.hideAxis("bottom")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.view = self.plot.getViewBox()
        self.view.setMouseEnabled(x=False, y=False)
        self.longs = pg.BarGraphItem(x0=[0], y=[0], height=[0], width=[0])
        self.shorts = pg.BarGraphItem(x0=[0], y=[0], height=[0], width=[0])
        self.cum_long = pg.PlotDataItem()
        self.cum_short = pg.PlotDataItem()
        # The ranges: a fill between an invisible low and high curve per side, drawn under the curves.
        self._band_curves = [pg.PlotDataItem() for _ in range(4)]  # long low/high, short low/high
        self.band_long = pg.FillBetweenItem(self._band_curves[0], self._band_curves[1])
        self.band_short = pg.FillBetweenItem(self._band_curves[2], self._band_curves[3])
        for item in (*self._band_curves, self.band_long, self.band_short):
            self.plot.addItem(item)
        self.ensemble: EnsembleMaps | None = None
        # The ensemble's cumulative ranges, computed once per map: _fit_x runs on every pan and zoom.
        self._ranges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.relative = False  # the volume-based map of candles-only data: relative units, no USD
        self.price_line = pg.InfiniteLine(angle=0, movable=False)
        for item in (self.longs, self.shorts, self.cum_long, self.cum_short):
            self.plot.addItem(item)
        self.plot.addItem(self.price_line, ignoreBounds=True)
        self.caption = pg.TextItem(anchor=(0, 0))
        self.caption.setParentItem(self.view)
        self.caption.setPos(4, 2)
        self.scale_text = ""
        self.map: LiquidationMap | None = None
        self.log_scale = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot_widget)
        self.view.sigYRangeChanged.connect(lambda *_: self._fit_x())
        self.apply_theme(theme)

    def link_price(self, price_view: pg.ViewBox) -> None:
        self.view.setYLink(price_view)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot_widget.setBackground(theme.background)
        axis = self.plot.getAxis("bottom")
        axis.setPen(pg.mkPen(theme.grid))
        axis.setTextPen(pg.mkPen(theme.muted))
        self.longs.setOpts(brush=pg.mkBrush(theme.long_liq), pen=pg.mkPen(None))
        self.shorts.setOpts(brush=pg.mkBrush(theme.short_liq), pen=pg.mkPen(None))
        self.cum_long.setPen(pg.mkPen(theme.long_liq, width=1.5))
        self.cum_short.setPen(pg.mkPen(theme.short_liq, width=1.5))
        for curve in self._band_curves:
            curve.setPen(pg.mkPen(None))
        for band, colour in ((self.band_long, theme.long_liq), (self.band_short, theme.short_liq)):
            c = pg.mkColor(colour)
            c.setAlpha(80)
            band.setBrush(pg.mkBrush(c))
            band.setPen(pg.mkPen(None))
        self.price_line.setPen(pg.mkPen(theme.accent, style=QtCore.Qt.PenStyle.DotLine))
        self._caption()

    def _caption(self) -> None:
        m = self.map
        if m is None:
            text = "Liquidation map — waiting for the model"
        elif self.relative:
            text = ("Liquidation map <b>RELATIVE</b> · from traded volume, no open interest<br>"
                    "heaviest bin = 1 · no USD can be read from it")
        else:
            up = float(m.cumulative_short()[-1]) if len(m.short_usd) else 0.0
            down = float(m.cumulative_long()[0]) if len(m.long_usd) else 0.0
            text = (
                f"Liquidation map <i>(estimate)</i> · bin ${m.bin_usd:,.0f}<br>"
                f"<span style='color:{self.theme.short_liq}'>shorts above ${format_compact(up)}</span> · "
                f"<span style='color:{self.theme.long_liq}'>longs below ${format_compact(down)}</span>"
            )
            if self._ranges is not None:
                lo_l, hi_l, lo_s, hi_s = self._ranges
                text += (f"<br>80 % range ${format_compact(float(lo_s.max()))}–{format_compact(float(hi_s.max()))}"
                         f" · ${format_compact(float(lo_l.max()))}–{format_compact(float(hi_l.max()))} (shaded)")
        if self.scale_text and not self.relative:
            text += f"<br>widest bar {self.scale_text}"
        fill = pg.mkColor(self.theme.background)
        fill.setAlpha(210)
        self.caption.fill = pg.mkBrush(fill)
        self.caption.setHtml(f"<div style='color:{self.theme.muted};font-size:8pt'>{text}</div>")

    def set_map(self, m: LiquidationMap | None, ensemble: EnsembleMaps | None = None, relative: bool = False) -> None:
        self.map = m
        self.relative = relative
        same_bins = ensemble is not None and m is not None and len(ensemble.bin_edges) == len(m.bin_edges)
        self.ensemble = ensemble if same_bins else None
        self._ranges = self.ensemble.cumulative_ranges() if self.ensemble is not None else None
        if m is None or len(m.long_usd) == 0:
            for curve in self._band_curves:
                curve.setData([], [])
            for bars in (self.longs, self.shorts):
                bars.setOpts(x0=[], y=[], height=[], width=[])
            self.cum_long.setData([], [])
            self.cum_short.setData([], [])
            self._caption()
            return
        conv = np.log10 if self.log_scale else (lambda a: a)
        edges = conv(np.maximum(m.bin_edges, 1e-9))
        centres = 0.5 * (edges[:-1] + edges[1:])
        heights = np.diff(edges) * 0.9
        self.longs.setOpts(x0=np.zeros(len(centres)), y=centres, height=heights, width=m.long_usd)
        self.shorts.setOpts(x0=np.zeros(len(centres)), y=centres, height=heights, width=m.short_usd)
        if np.isfinite(m.price):
            self.price_line.setPos(float(conv(m.price)))
        self._fit_x()

    def _fit_x(self) -> None:
        """Scale bars to the largest bin in the visible price range (clusters far away do not squash them)."""
        m = self.map
        if m is None or len(m.long_usd) == 0:
            return
        _, (y0, y1) = self.view.viewRange()
        if self.log_scale:
            if y1 > 20:  # the view still holds linear prices (switching scale): fit on the next range change
                return
            y0, y1 = 10**y0, 10**y1
        sel = (m.prices >= y0) & (m.prices <= y1)
        top = float(max(m.long_usd[sel].max(initial=0.0), m.short_usd[sel].max(initial=0.0)))
        if top <= 0:
            top = float(max(m.long_usd.max(), m.short_usd.max(), 1.0))
        cl, cs = m.cumulative_long(), m.cumulative_short()
        below, above = m.prices < m.price, m.prices > m.price
        conv = np.log10 if self.log_scale else (lambda a: a)
        centres = conv(m.prices)
        norm_l, norm_s = max(float(cl.max()), 1.0), max(float(cs.max()), 1.0)
        if self._ranges is not None:
            lo_l, hi_l, lo_s, hi_s = self._ranges
            # One scale for a side's curve and its band, so the band's top fits the panel too.
            norm_l, norm_s = max(norm_l, float(hi_l.max())), max(norm_s, float(hi_s.max()))
            for curve, values, sel, norm in ((self._band_curves[0], lo_l, below, norm_l), (self._band_curves[1], hi_l, below, norm_l),
                                             (self._band_curves[2], lo_s, above, norm_s), (self._band_curves[3], hi_s, above, norm_s)):
                curve.setData(values[sel] / norm * top, centres[sel])
        else:
            for curve in self._band_curves:
                curve.setData([], [])
        self.cum_long.setData(cl[below] / norm_l * top, centres[below])
        self.cum_short.setData(cs[above] / norm_s * top, centres[above])
        self.view.setXRange(0, top * 1.05, padding=0)
        self.scale_text = "$" + format_compact(top)
        self._caption()

    def usd_at(self, price: float) -> tuple[float, float]:
        """(long USD, short USD) of the bin holding ``price``."""
        m = self.map
        if m is None:
            return 0.0, 0.0
        b = int(np.searchsorted(m.bin_edges, price, "right")) - 1
        if 0 <= b < len(m.long_usd):
            return float(m.long_usd[b]), float(m.short_usd[b])
        return 0.0, 0.0
