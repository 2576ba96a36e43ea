"""The chart area: price (+ heatmap, + liquidation map beside it), volume, OI, funding, liquidation events.

One shared time axis (x-linked panels, equal right-axis widths so times line up), y fitted to the visible
bars, auto-scroll only while the user is at the right edge (vn.py), a crosshair across all panels.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np
from PySide6 import QtCore, QtWidgets

from gui.chart_data import ChartData
from gui.heat_cell import heat_cell
from gui.items.heatmap import HeatScale, HeatmapStyle
from gui.leverage_classes import layers_text
from gui.items.measure import Measurement, MeasureItem
from gui.panels.base import PanelView
from gui.panels.liqmap import LiquidationMapPanel
from gui.panels.price import PricePanel
from gui.panels.registry import PANEL_NAMES, PANELS, default_sizes
from gui.theme import Theme
from gui.widgets.readout import Readout, readout_at
from gui.widgets.side_info import SideInfo
from gui.workers import ViewResult
from cascade_vocab.units import MINUTE_MS

SIDE_WIDTH = 230
MIN_BARS_IN_VIEW = 40  # after a timeframe change, widen the span to at least this many of the new bars
__all__ = ["PANEL_NAMES", "Terminal", "log_rows"]  # PANEL_NAMES: the registry's, kept importable from here


def log_rows(values: np.ndarray, price_edges: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The heatmap's linear price rows resampled onto rows even in log10(price), for the log axis.

    An image is drawn on an even grid; spreading linear bins evenly over a log axis put every level at
    the wrong price. Each log row takes the linear bin holding its centre price.
    Returns (values, log10 of the first edge, log10 step).
    """
    n = values.shape[1]
    lo, hi = np.log10(max(float(price_edges[0]), 1e-9)), np.log10(float(price_edges[-1]))
    step = (hi - lo) / n
    centres = 10 ** (lo + (np.arange(n) + 0.5) * step)
    idx = np.clip(np.searchsorted(price_edges, centres, "right") - 1, 0, n - 1)
    return values[:, idx], float(lo), float(step)


class Terminal(QtWidgets.QWidget):
    targets_moved = QtCore.Signal(float, float)
    hovered = QtCore.Signal(object)  # Readout | None
    redrawn = QtCore.Signal()
    user_range_changed = QtCore.Signal()  # the user panned/zoomed (not a data update following the edge)
    measuring_changed = QtCore.Signal(bool)  # measure mode ended by itself (after one measurement)
    panels_changed = QtCore.Signal(object)  # tuple of the shown panels' names

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.price = PricePanel(theme)
        self.liqmap = LiquidationMapPanel(theme)
        self.price.set_side(self.liqmap, SIDE_WIDTH)
        from gui.widgets.colour_bar import install_colour_bar

        self.colour_bar = install_colour_bar(self.price, theme)
        self.colour_bar.toggled.connect(self.toggle_heat_scale)
        self.liqmap.link_price(self.price.view)
        self.panels = {p.name: p.cls(theme) for p in PANELS}
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(3)
        self.splitter.addWidget(self.price)
        self.side_info: dict[str, SideInfo] = {}
        for name, panel in self.panels.items():
            self.side_info[name] = SideInfo(theme)
            panel.set_side(self.side_info[name], SIDE_WIDTH)
            panel.plot.setXLink(self.price.plot)
            panel.setMinimumHeight(60)
            self.splitter.addWidget(panel)
        for p in PANELS:
            self.panels[p.name].setVisible(p.shown)
        self.splitter.setSizes(default_sizes())
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.result: Optional[ViewResult] = None
        self.chart: Optional[ChartData] = None
        self.lookback_s = 24 * 3600.0
        self.follow = True
        self.redraws = 0
        self.real_liquidations = True
        self.liquidations_simulated = False  # the recorded events are the demo simulator's
        self._fitting = False
        self._hovering = False
        self._applying = False
        self._shown_heat = None
        self.price.view.sigXRangeChanged.connect(self._on_x_range)
        self.price.targets_moved.connect(self.targets_moved)
        for panel in self.all_panels():
            panel.plot.scene().sigMouseMoved.connect(lambda pos, p=panel: self._on_mouse(p, pos))
        self.measure_item = MeasureItem(self.price.plot, theme.accent)
        self.measuring = False
        self._measure_start: Optional[tuple[float, float]] = None
        self._measure_done = False
        self.price.plot.scene().sigMouseClicked.connect(self._on_click)
        self._update_time_axes()

    def all_panels(self):
        return [self.price, *self.panels.values()]

    def show_empty(self, text: str) -> None:
        """Nothing to show (no source has data): say so over the panels instead of empty axes."""
        if not hasattr(self, "empty_state"):
            from gui.widgets.empty_state import EmptyState

            self.empty_state = EmptyState(self)
        self.empty_state.show_message(text)

    def is_empty_shown(self) -> bool:
        return hasattr(self, "empty_state") and self.empty_state.isVisible()

    def focus_chart(self) -> None:
        """Give the keyboard to the price chart (after the symbol box), where keys are shortcuts."""
        self.price.plot_widget.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    # -- data -------------------------------------------------------------------------------------
    def set_result(self, result: ViewResult) -> None:
        self._applying = True
        try:
            with self.liqmap.one_fit():
                self._set_result(result)
        finally:
            self._applying = False

    def _set_result(self, result: ViewResult) -> None:
        if hasattr(self, "empty_state") and len(result.chart.candles):
            self.empty_state.hide()
        first = self.chart is None or not len(self.chart.candles)
        new_tf = not first and self.chart.timeframe_ms != result.chart.timeframe_ms
        old_bounds = self.chart.time_bounds_s() if self.chart is not None else None
        was_at_edge = self._at_right_edge(old_bounds)
        shown_liq = self.result.liquidity if self.result is not None else None
        self.result = result
        chart = self.chart = result.chart
        self.price.set_data(chart)
        for name, panel in self.panels.items():
            panel.set_view(self.panel_view(name))
        liq = result.liquidity
        self.price.reference_price = float(liq.map.price) if liq is not None else None
        layers = layers_text(liq.tiers, result.request.model.leverages) if liq is not None else ""
        self.price.layers_text = self.liqmap.layers_text = layers
        if liq is None or liq is not shown_liq:  # the worker hands the same view back until the model moves
            self.liqmap.set_map(liq.map if liq is not None else None, liq.ensemble if liq is not None else None,
                                bool(liq is not None and liq.relative), liq.ranges if liq is not None else None,
                                bool(liq is not None and liq.ranges_pending))
        self.price.set_relative(bool(liq is not None and liq.relative))
        self.colour_bar.set_relative_units(bool(liq is not None and liq.relative))
        self._set_heatmap(liq)
        if result.imbalance is not None:
            self.price.set_targets(result.imbalance.up, result.imbalance.down)
        bounds = chart.time_bounds_s()
        if bounds is not None:
            if new_tf:
                self._keep_span(bounds, was_at_edge)
            elif first or (self.follow and was_at_edge):
                self.show_lookback(self.lookback_s, bounds)
            else:
                self._fit_all()
        if not self._hovering and len(chart.candles):
            # Until the mouse is over a chart, the readout shows the newest bar.
            c = chart.candles
            lu, su = self.liqmap.usd_at(float(c.close[-1]))
            self.hovered.emit(readout_at(chart, float(c.x[-1]), float(c.close[-1]), lu, su, self.liqmap.relative))
        self.redraws += 1
        self.redrawn.emit()

    def _set_heatmap(self, liq, force: bool = False) -> None:
        heat = liq.heatmap if liq is not None else None
        if heat is not None and heat is self._shown_heat and not force:
            return  # the worker reuses the heatmap between its refreshes: nothing to redraw
        self._shown_heat = heat
        if heat is None or heat.values.size == 0:
            self.price.heatmap.set_grid(np.zeros((0, 0)), 0, 1, 0, 1)
            return
        t, p = heat.time_edges, heat.price_edges
        values = heat.values
        if self.price.log_scale:
            values, p0, step = log_rows(values, p)
        else:
            p0, step = float(p[0]), (float(p[-1]) - float(p[0])) / values.shape[1]
        self.price.heatmap.set_grid(values, t[0] / 1000.0, (t[-1] - t[0]) / 1000.0 / values.shape[0], p0, step)

    def set_heatmap_style(self, style: HeatmapStyle) -> None:
        self.colour_bar.set_style(style)
        self.price.heatmap.set_style(style)

    def toggle_heat_scale(self) -> None:
        """Absolute (fixed USD) ↔ relative to the view: the colour bar's click."""
        style = self.price.heatmap.style
        scale = HeatScale.VIEW if style.scale is HeatScale.ABSOLUTE else HeatScale.ABSOLUTE
        self.set_heatmap_style(replace(style, scale=scale))

    @property
    def heatmap_style(self) -> HeatmapStyle:
        return self.price.heatmap.style

    # -- view range -----------------------------------------------------------------------------
    def _at_right_edge(self, bounds) -> bool:
        if bounds is None:
            return True
        (x0, x1), _ = self.price.view.viewRange()
        tf = self.chart.timeframe_ms / 1000.0 if self.chart else 60.0
        return x1 >= bounds[1] - 3 * tf

    def _keep_span(self, bounds: tuple[float, float], at_edge: bool) -> None:
        """A new timeframe shows the same time span (widened to MIN_BARS_IN_VIEW of its bars) and refits price.

        Keeping the bar range instead left a 1 h chart one bar wide after a 1 m zoom: a flat stripe.
        """
        x0, x1 = self.visible_x()
        tf = self.chart.timeframe_ms / 1000.0
        end = bounds[1] + 3 * tf if at_edge else min(x1, bounds[1] + 3 * tf)
        span = max(x1 - x0, MIN_BARS_IN_VIEW * tf)
        start = max(bounds[0], end - span)
        end = min(bounds[1] + 3 * tf, start + span)  # clipped at the first bar: widen to the right instead
        self.price.view.setXRange(start, max(end, start + tf), padding=0)
        self._fit_all()

    def show_lookback(self, seconds: float, bounds=None) -> None:
        self.lookback_s = float(seconds)
        bounds = bounds or (self.chart.time_bounds_s() if self.chart else None)
        if bounds is None:
            return
        end = bounds[1]
        margin = (self.chart.timeframe_ms / 1000.0) * 3 if self.chart else 0
        start = max(bounds[0], end - self.lookback_s)
        (x0, x1), _ = self.price.view.viewRange()
        if (x0, x1) != (start, end + margin):  # a tick inside the same bar: the range stays, no relayout
            self.price.view.setXRange(start, end + margin, padding=0)
        self._fit_all()

    def _on_x_range(self, *_args) -> None:
        if not self._fitting:
            self._fit_all()
        if not self._applying:
            self.user_range_changed.emit()

    def _fit_all(self) -> None:
        self._fitting = True
        try:
            (x0, x1), _ = self.price.view.viewRange()
            for panel in self.all_panels():
                panel.fit_y(x0, x1)
            self._update_side_info(x0, x1)
        finally:
            self._fitting = False

    def panel_view(self, name: str) -> PanelView:
        """What panel ``name`` draws from: the shown result, the source's facts, its own data."""
        chart = self.chart if self.chart is not None else ChartData("", MINUTE_MS, "", ())
        return PanelView(chart, self.result, self.real_liquidations, self.liquidations_simulated, chart.panel_data.get(name))

    def _update_side_info(self, x0: float, x1: float) -> None:
        """Numbers for the visible window beside each lower panel (each panel says its own)."""
        if self.chart is None or not len(self.chart.candles):
            return
        for name, panel in self.panels.items():
            info = panel.info(self.panel_view(name), x0, x1)
            if info is not None:
                self.side_info[name].set_rows(*info)

    def shown_panels(self) -> tuple[str, ...]:
        return tuple(n for n in PANEL_NAMES if self.panel_visible(n))

    def visible_x(self) -> tuple[float, float]:
        (x0, x1), _ = self.price.view.viewRange()
        return x0, x1

    # -- panels, theme ----------------------------------------------------------------------------
    def set_panel_visible(self, name: str, visible: bool) -> None:
        was = self.panel_visible(name)
        self.panels[name].setVisible(visible)
        self._update_time_axes()
        if was != visible:
            self.panels_changed.emit(self.shown_panels())

    def panel_visible(self, name: str) -> bool:
        return not self.panels[name].isHidden()

    def reset_sizes(self) -> None:
        self.splitter.setSizes(default_sizes())

    def set_oi_usd(self, on: bool) -> None:
        self.panels["open_interest"].set_usd(on)

    @property
    def time_zone(self) -> str:
        return self.price.time_axis.zone

    def _update_time_axes(self) -> None:
        visible = [p for p in self.all_panels() if not p.isHidden()]
        for p in self.all_panels():
            p.show_time_axis(p is visible[-1])
        self.price.plot.getAxis("bottom").setStyle(showValues=True)

    def set_time_zone(self, zone: str) -> None:
        for p in self.all_panels():
            p.time_axis.set_zone(zone)

    def set_log_scale(self, on: bool) -> None:
        self.price.set_log_scale(on)
        self.liqmap.log_scale = on
        self._fit_all()
        if self.result is not None:
            liq = self.result.liquidity
            self.liqmap.set_map(liq.map if liq else None, liq.ensemble if liq else None, bool(liq and liq.relative),
                                liq.ranges if liq else None, bool(liq and liq.ranges_pending))
            self._set_heatmap(self.result.liquidity, force=True)
        self._fit_all()

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        for p in self.all_panels():
            p.apply_theme(theme)
        self.liqmap.apply_theme(theme)
        for info in self.side_info.values():
            info.theme = theme
        self.colour_bar.theme = theme
        self.set_heatmap_style(replace(self.price.heatmap.style, colormap=theme.heatmap_colormap))
        if self.chart is not None and self.result is not None:
            self.set_result(self.result)

    # -- crosshair ------------------------------------------------------------------------------
    def _on_mouse(self, panel, pos) -> None:
        if not panel.plot.sceneBoundingRect().contains(pos):
            return
        point = panel.view.mapSceneToView(pos)
        price = self.price.from_view(point.y()) if panel is self.price else None
        self._hovering = True
        self.crosshair_at(point.x(), price)
        if panel is self.price and self.measuring and self._measure_start is not None:
            self.measure(self._measure_start, (point.x(), price))

    # -- measure tool ------------------------------------------------------------------------------
    def set_measuring(self, on: bool) -> None:
        """Measure mode: click a start point, move, click the end point; the mode then ends, the
        measurement stays until the next one (turning the mode off by hand clears it)."""
        ended_by_itself, self._measure_done = self._measure_done, False
        self.measuring = on
        self._measure_start = None
        if on or not ended_by_itself:
            self.measure_item.clear()

    def _on_click(self, event) -> None:
        if not self.measuring or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        if not self.price.plot.sceneBoundingRect().contains(pos):
            return
        point = self.price.view.mapSceneToView(pos)
        here = (point.x(), self.price.from_view(point.y()))
        if self._measure_start is None:
            self._measure_start = here
            self.measure_item.clear()
        else:
            self.measure(self._measure_start, here)
            self._measure_start = None
            self.measuring = False
            self._measure_done = True  # the mode ends; the toggled action must not clear the result
            self.measuring_changed.emit(False)
            self._measure_done = False
        event.accept()

    def measure(self, start: tuple[float, float], end: tuple[float, float]) -> Measurement:
        """Show the change from ``start`` to ``end`` (time in seconds, price)."""
        m = Measurement(start[0], start[1], end[0], end[1])
        self.measure_item.set(m, self.price.to_view(start[1]), self.price.to_view(end[1]))
        return m

    def crosshair_at(self, x: float, price: Optional[float]) -> Optional[Readout]:
        """Move the crosshair to time ``x`` (seconds) and, on the price chart, ``price``; return the readout."""
        self._hovering = True
        for p in self.all_panels():
            p.vline.setPos(x)
            p.vline.show()
        if price is not None:
            self.price.hline.setPos(self.price.to_view(price))
            self.price.hline.show()
        else:
            self.price.hline.hide()
        if self.chart is None:
            return None
        probe = price if price is not None else (self.chart.last_close or 0.0)
        cell = heat_cell(self._shown_heat, x, probe) if price is not None else None
        if cell is not None:  # the cell under the cursor, not the current map at that price
            r = readout_at(self.chart, x, probe, cell.long_usd, cell.short_usd, self.liqmap.relative)
            r = replace(r, cell=cell) if r is not None else None
        else:
            long_usd, short_usd = self.liqmap.usd_at(probe)
            r = readout_at(self.chart, x, probe, long_usd, short_usd, self.liqmap.relative)
        self.hovered.emit(r)
        return r

    def has_drawn_data(self) -> bool:
        return self.chart is not None and len(self.chart.candles) > 0 and self.redraws > 0
