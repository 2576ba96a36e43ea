"""The liquidation map beside the price chart, on the same price axis (CoinGlass-style).

Horizontal bars: estimated long (red) and short (green) liquidation notional per price bin, or stacked
by exchange in the venues' colours (CoinGlass's map; longs sit below the price, shorts above). A USD
scale runs along the bottom inside the plot (an axis would shorten the plot against the price chart,
whose prices it must line up with). Curves:
cumulative shorts from the price upward and cumulative longs from the price downward, scaled to the
panel's width (their totals are written at the top), each inside a shaded band: the 80 % range of that
cumulative figure over the plausible crowds (analytics.ensemble).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from analytics.ensemble import EnsembleMaps
from analytics.levels import LiquidationMap
from analytics.levels import nice_step
from gui.items.axes import CompactAxis, format_compact
from gui.items.text import HtmlText
from gui.theme import Theme
from market.series import EXCHANGE_NAMES, EXCHANGES

USD_TICKS = 3  # about this many USD gridlines across the map
Ranges = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # long low, long high, short low, short high


class LiquidationMapPanel(QtWidgets.QWidget):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": CompactAxis("bottom")}, enableMenu=False)
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
        self._ranges: Ranges | None = None
        self.ranges_pending = False  # the central map is drawn, its range is still being computed
        self.relative = False  # the volume-based map of candles-only data: relative units, no USD
        self.price_line = pg.InfiniteLine(angle=0, movable=False)
        for item in (self.longs, self.shorts, self.cum_long, self.cum_short):
            self.plot.addItem(item)
        self.plot.addItem(self.price_line, ignoreBounds=True)
        self.caption = HtmlText(anchor=(0, 0))
        self.caption.setParentItem(self.view)
        self.caption.setPos(4, 2)
        self.scale_text = ""
        self.layers_text = ""  # the chosen leverage layers, when not all of them
        self.map: LiquidationMap | None = None
        self.log_scale = False
        self.by_exchange = True
        self.venue_bars: dict[str, tuple[pg.BarGraphItem, pg.BarGraphItem]] = {}  # long, short per venue
        self.usd_ticks: list[tuple[float, str]] = []
        self._tick_items: list[tuple[pg.InfiniteLine, pg.TextItem]] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot_widget)
        self._batching = 0
        self._fit_pending = False
        self.view.sigYRangeChanged.connect(lambda *_: self._fit_x())
        self.apply_theme(theme)

    @contextmanager
    def one_fit(self) -> Iterator[None]:
        """Fit the bars and curves once, at the end: a new result sets the map and then moves the
        linked price range, each of which would refit (the curves, bands and caption) on its own."""
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
            if not self._batching and self._fit_pending:
                self._fit_x()

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
        # Thick enough to read over the bars (1.5 px vanished into them).
        self.cum_long.setPen(pg.mkPen(theme.long_liq, width=2.6))
        self.cum_short.setPen(pg.mkPen(theme.short_liq, width=2.6))
        for name, (lb, sb) in self.venue_bars.items():
            for bars in (lb, sb):
                bars.setOpts(brush=pg.mkBrush(theme.exchange_color(name)), pen=pg.mkPen(None))
        for line, text in self._tick_items:
            line.setPen(pg.mkPen(theme.grid, width=1, style=QtCore.Qt.PenStyle.DotLine))
            text.setColor(theme.muted)
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
            elif self.ranges_pending:
                text += "<br>80 % range: computing…"
        if self.scale_text and not self.relative:
            text += f"<br>widest bar {self.scale_text}"
        if self.layers_text:
            text += f"<br><b>{self.layers_text}</b>"
        if self.stacked():
            text += "<br>stacked: " + " ".join(
                f"<span style='color:{self.theme.exchange_color(n)}'>■ {EXCHANGE_NAMES.get(n, n)}</span>" for n in self._venues())
        fill = pg.mkColor(self.theme.background)
        fill.setAlpha(210)
        if self.caption.fill.color() != fill:
            self.caption.fill = pg.mkBrush(fill)
            self.caption.update()  # the HTML may be the same text (a theme change): repaint the fill anyway
        self.caption.setHtml(f"<div style='color:{self.theme.muted};font-size:8pt'>{text}</div>")

    def set_map(self, m: LiquidationMap | None, ensemble: EnsembleMaps | None = None, relative: bool = False,
                ranges: Ranges | None = None, ranges_pending: bool = False) -> None:
        """Draw ``m``; ``ranges``: the ensemble's cumulative ranges as the view worker computed them
        (computed here from ``ensemble`` when not given); ``ranges_pending``: they are still to come."""
        self.map = m
        self.ranges_pending = ranges_pending
        self.relative = relative
        same_bins = ensemble is not None and m is not None and len(ensemble.bin_edges) == len(m.bin_edges)
        self.ensemble = ensemble if same_bins else None
        if self.ensemble is None:
            self._ranges = None
        else:
            self._ranges = ranges if ranges is not None else self.ensemble.cumulative_ranges()
        if m is None or len(m.long_usd) == 0:
            for curve in self._band_curves:
                curve.setData([], [])
            for bars in (self.longs, self.shorts, *[b for pair in self.venue_bars.values() for b in pair]):
                bars.setOpts(x0=[], y=[], height=[], width=[])
            self._set_usd_ticks(0.0)
            self.cum_long.setData([], [])
            self.cum_short.setData([], [])
            self._caption()
            return
        conv = np.log10 if self.log_scale else (lambda a: a)
        edges = conv(np.maximum(m.bin_edges, 1e-9))
        centres = 0.5 * (edges[:-1] + edges[1:])
        heights = np.diff(edges) * 0.9
        if self.stacked():
            for bars in (self.longs, self.shorts):
                bars.setOpts(x0=[], y=[], height=[], width=[])
            left_l, left_s = np.zeros(len(centres)), np.zeros(len(centres))
            shown = set(self._venues())
            for name, (lb, sb) in self.venue_bars.items():
                if name not in shown:
                    lb.setOpts(x0=[], y=[], height=[], width=[])
                    sb.setOpts(x0=[], y=[], height=[], width=[])
            for name in self._venues():
                lb, sb = self._bars_of(name)
                lo, sh = m.per_exchange[name]
                lb.setOpts(x0=left_l.copy(), y=centres, height=heights, width=lo)
                sb.setOpts(x0=left_s.copy(), y=centres, height=heights, width=sh)
                left_l += lo
                left_s += sh
        else:
            for pair in self.venue_bars.values():
                for bars in pair:
                    bars.setOpts(x0=[], y=[], height=[], width=[])
            self.longs.setOpts(x0=np.zeros(len(centres)), y=centres, height=heights, width=m.long_usd)
            self.shorts.setOpts(x0=np.zeros(len(centres)), y=centres, height=heights, width=m.short_usd)
        if np.isfinite(m.price):
            self.price_line.setPos(float(conv(m.price)))
        self._fit_x()

    def _fit_x(self) -> None:
        """Scale bars to the largest bin in the visible price range (clusters far away do not squash them)."""
        if self._batching:
            self._fit_pending = True
            return
        self._fit_pending = False
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
                # Quietly: each band rebuilds its fill path once, below, not once per edge.
                curve.blockSignals(True)
                try:
                    curve.setData(values[sel] / norm * top, centres[sel])
                finally:
                    curve.blockSignals(False)
            for band in (self.band_long, self.band_short):
                band.updatePath()
        else:
            for curve in self._band_curves:
                curve.setData([], [])
        # Hidden, not only emptied: a fill between emptied curves kept drawing its last band (a map of
        # chosen leverage layers, which has no ranges, showed the all-tier shading).
        for band in (self.band_long, self.band_short):
            band.setVisible(self._ranges is not None)
        self.cum_long.setData(cl[below] / norm_l * top, centres[below])
        self.cum_short.setData(cs[above] / norm_s * top, centres[above])
        self.view.setXRange(0, top * 1.05, padding=0)
        self.scale_text = "$" + format_compact(top)
        self._set_usd_ticks(0.0 if self.relative else top, y0 if not self.log_scale else np.log10(y0))
        self._caption()

    # -- stacked by exchange, USD scale ---------------------------------------------------------
    def stacked(self) -> bool:
        return bool(self.by_exchange and self.map is not None and not self.relative and len(self._venues()) > 0)

    def _venues(self) -> list[str]:
        m = self.map
        if m is None:
            return []
        names = [n for n in EXCHANGES if n in m.per_exchange] + sorted(n for n in m.per_exchange if n not in EXCHANGES)
        return [n for n in names if len(m.per_exchange[n][0]) == len(m.long_usd)]

    def _bars_of(self, name: str) -> tuple[pg.BarGraphItem, pg.BarGraphItem]:
        if name not in self.venue_bars:
            brush = pg.mkBrush(self.theme.exchange_color(name))
            pair = tuple(pg.BarGraphItem(x0=[0], y=[0], height=[0], width=[0], brush=brush, pen=pg.mkPen(None)) for _ in range(2))
            for bars in pair:
                bars.setZValue(-1)  # under the cumulative curves
                self.plot.addItem(bars)
            self.venue_bars[name] = pair
        return self.venue_bars[name]

    def set_by_exchange(self, on: bool) -> None:
        self.by_exchange = bool(on)
        self.set_map(self.map, self.ensemble, self.relative, self._ranges, self.ranges_pending)

    def _set_usd_ticks(self, top: float, y_bottom: float = 0.0) -> None:
        """Dotted USD gridlines with their values along the bottom of the plot (none for relative units)."""
        ticks: list[tuple[float, str]] = []
        if top > 0:
            step = nice_step(top / USD_TICKS)
            ticks = [(k * step, "$" + format_compact(k * step)) for k in range(1, int(top * 1.05 // step) + 1)]
        self.usd_ticks = ticks
        while len(self._tick_items) < len(ticks):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(self.theme.grid, width=1, style=QtCore.Qt.PenStyle.DotLine))
            text = pg.TextItem(anchor=(1.0, 1.0), color=self.theme.muted)
            text.setFont(QtGui.QFont(text.textItem.font().family(), 7))
            self.plot.addItem(line, ignoreBounds=True)
            self.plot.addItem(text, ignoreBounds=True)
            self._tick_items.append((line, text))
        for i, (line, text) in enumerate(self._tick_items):
            if i < len(ticks):
                x, label = ticks[i]
                line.setPos(x)
                text.setText(label)
                text.setPos(x, y_bottom)
                line.show()
                text.show()
            else:
                line.hide()
                text.hide()

    def usd_at(self, price: float) -> tuple[float, float]:
        """(long USD, short USD) of the bin holding ``price``."""
        m = self.map
        if m is None:
            return 0.0, 0.0
        b = int(np.searchsorted(m.bin_edges, price, "right")) - 1
        if 0 <= b < len(m.long_usd):
            return float(m.long_usd[b]), float(m.short_usd[b])
        return 0.0, 0.0
