"""The price chart: candles over the liquidation heatmap, last-price line and the two target lines."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gui.chart_data import ChartData
from gui.items.axes import PriceAxis, format_number
from gui.items.candles import CandleItem
from gui.items.heatmap import HeatmapItem
from gui.items.text import HtmlText
from gui.panels.base import ChartPanel
from gui.theme import Theme


class PricePanel(ChartPanel):
    title = "Price"
    targets_moved = QtCore.Signal(float, float)  # up, down (prices), when the user drags a target line

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        self.candles = CandleItem(theme.up, theme.down)
        self.heatmap = HeatmapItem()
        super().__init__(theme, PriceAxis("right"), parent)
        self.plot.addItem(self.heatmap)
        self.plot.addItem(self.candles)
        self.log_scale = False
        self.last_line = pg.InfiniteLine(angle=0, movable=False)
        self.last_line.setZValue(40)
        self.plot.addItem(self.last_line, ignoreBounds=True)
        self.hline = pg.InfiniteLine(angle=0, movable=False)
        self.hline.setZValue(50)
        self.hline.hide()
        self.plot.addItem(self.hline, ignoreBounds=True)
        self.up_line = self._target_line()
        self.down_line = self._target_line()
        self.estimate_label = HtmlText(anchor=(0, 1))
        self.estimate_label.setParentItem(self.view)
        self._data: ChartData | None = None
        self.dragging_target = False  # while a target line is dragged, the price axis stays put
        self.reference_price: float | None = None  # the model's price (median of the venues), if known
        self.apply_theme(theme)

    def _target_line(self) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=0, movable=True, label="", labelOpts={"position": 0.97, "anchors": [(1, 1), (1, 1)]})
        line.setZValue(60)
        line.setVisible(False)
        line.sigPositionChangeFinished.connect(self._on_target_released)
        line.sigDragged.connect(self._on_target_drag)
        self.plot.addItem(line, ignoreBounds=True)
        return line

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        if not hasattr(self, "last_line"):
            return
        self.candles.set_colors(theme.up, theme.down)
        self.last_line.setPen(pg.mkPen(theme.accent, width=1, style=QtCore.Qt.PenStyle.DotLine))
        self.hline.setPen(pg.mkPen(theme.muted, width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.up_line.setPen(pg.mkPen(theme.short_liq, width=2, style=QtCore.Qt.PenStyle.DashLine))
        self.down_line.setPen(pg.mkPen(theme.long_liq, width=2, style=QtCore.Qt.PenStyle.DashLine))
        for line, color in ((self.up_line, theme.short_liq), (self.down_line, theme.long_liq)):
            line.setHoverPen(pg.mkPen(color, width=3))
            line.label.setColor(color)
        self.set_relative(getattr(self, "relative", False))

    def set_relative(self, relative: bool) -> None:
        """Label the heatmap: the OI model's estimate, or the volume-based RELATIVE map of candles-only data."""
        self.relative = relative
        muted = self.theme.muted if hasattr(self, "theme") else "#888"
        text = ("Heatmap: <b>RELATIVE</b> liquidation levels from traded volume (no open interest: no USD, heaviest = 1)"
                if relative else "Heatmap: <i>estimated</i> liquidation levels (model, not exchange data)")
        if getattr(self, "layers_text", ""):
            text += f" · <b>{self.layers_text}</b>"
        self.estimate_label.setHtml(f"<span style='color:{muted};font-size:8pt'>{text}</span>")

    # -- data --------------------------------------------------------------------------------------
    def to_view(self, price: float) -> float:
        return math.log10(price) if self.log_scale else price

    def from_view(self, y: float) -> float:
        return 10**y if self.log_scale else y

    def set_data(self, data: ChartData) -> None:
        self._data = data
        from market.series import EXCHANGE_NAMES, TIMEFRAMES_MS

        tf = next((k for k, v in TIMEFRAMES_MS.items() if v == data.timeframe_ms), f"{data.timeframe_ms // 60000}m")
        venue = EXCHANGE_NAMES.get(data.price_exchange, data.price_exchange)
        self.title_item.setHtml(f"<span style='color:{self.theme.text};font-size:10pt'><b>{data.symbol}</b></span> "
                                f"<span style='color:{self.theme.muted};font-size:9pt'>{venue} price · {tf}</span>")
        c = data.candles
        conv = np.log10 if self.log_scale else (lambda a: a)
        self.candles.set_data(c.x, conv(c.open), conv(c.high), conv(c.low), conv(c.close), data.timeframe_ms / 1000.0)
        if len(c):
            self.last_line.setPos(self.to_view(float(c.close[-1])))
            self.last_line.label = None

    def set_log_scale(self, on: bool) -> None:
        if on == self.log_scale:
            return
        up, down = self.targets()
        self.log_scale = on
        self.value_axis.log_scale = on
        if self._data is not None:
            self.set_data(self._data)
        if up and down:
            self.set_targets(up, down)

    def set_targets(self, up: float, down: float) -> None:
        if self.dragging_target:
            return  # the mouse holds the line; a result computed for an earlier position must not move it
        for line, value in ((self.up_line, up), (self.down_line, down)):
            line.blockSignals(True)
            line.setPos(self.to_view(value))
            line.blockSignals(False)
            line.setVisible(True)
        self._label_targets()

    def targets(self) -> tuple[float, float]:
        if not self.up_line.isVisible():
            return 0.0, 0.0
        return self.from_view(self.up_line.value()), self.from_view(self.down_line.value())

    def _label_targets(self) -> None:
        up, down = self.targets()
        self.up_line.label.setFormat(f"↑ {format_number(up, 1)}")
        self.down_line.label.setFormat(f"↓ {format_number(down, 1)}")

    def _on_target_drag(self, *_args) -> None:
        self.dragging_target = True
        self._keep_sides()
        self._label_targets()
        up, down = self.targets()
        self.targets_moved.emit(up, down)

    def _on_target_released(self, *_args) -> None:
        self._on_target_drag()
        self.dragging_target = False
        if self._data is not None and len(self._data.candles):
            x0, x1 = self.view.viewRange()[0]
            self.fit_y(x0, x1)

    def _keep_sides(self) -> None:
        """An up-target stays above the price and a down-target below it, by 0.05 % at least (the chart's
        venue and the model's median price differ a little, and the price moves while the mouse is down)."""
        last = self._data.last_close if self._data is not None else None
        if last is None:
            return
        prices = [last] + ([self.reference_price] if self.reference_price else [])
        gap = max(last * 5e-4, 1e-9)
        hi, lo = max(prices) + gap, min(prices) - gap
        for line, ok, bound in ((self.up_line, lambda p: p >= hi, hi), (self.down_line, lambda p: p <= lo, lo)):
            if not ok(self.from_view(line.value())):
                line.blockSignals(True)
                line.setPos(self.to_view(bound))
                line.blockSignals(False)

    def fit_y(self, x0: float, x1: float) -> None:
        if self.dragging_target:
            return  # rescaling under the mouse made the line run ahead of the cursor
        rng = self.candles.y_range(x0, x1)
        if rng is None:
            return
        lo, hi = rng
        if self.up_line.isVisible():
            # Reach toward the targets (and the clusters before them), but by at most one candle range
            # each side, so far targets never squash the candles into a thin band.
            span = max(hi - lo, abs(hi) * 1e-4)
            targets = (self.up_line.value(), self.down_line.value())
            lo = max(min(lo, *targets), lo - span)
            hi = min(max(hi, *targets), hi + span)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 1.0
        self.view.setYRange(lo - pad, hi + pad, padding=0)
        self.estimate_label.setPos(4, self.view.height() - 2)
