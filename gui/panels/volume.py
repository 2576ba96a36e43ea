"""Volume bars under the price chart, coloured by the candle's direction."""

from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from gui.chart_data import ChartData
from gui.items.axes import CompactAxis, format_compact
from gui.items.bars import BarsItem
from gui.panels.base import ChartPanel, InfoRows, PanelView
from gui.theme import Theme


class VolumePanel(ChartPanel):
    title = "Volume (base, selected exchanges)"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        self.bars = BarsItem((theme.up, theme.down))
        super().__init__(theme, CompactAxis("right"), parent)
        self.plot.addItem(self.bars)

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        self.bars.set_colors((theme.up, theme.down))

    def set_data(self, data: ChartData) -> None:
        c = data.candles
        down = (c.close < c.open).astype(np.int8)
        self.bars.set_data(c.x, c.volume, down, data.timeframe_ms / 1000.0)

    def fit_y(self, x0: float, x1: float) -> None:
        top = self.bars.y_max(x0, x1)
        self.view.setYRange(0, top * 1.1 if top > 0 else 1.0, padding=0)

    def info(self, view: PanelView, x0: float, x1: float) -> InfoRows:
        c, tf = view.chart.candles, view.chart.timeframe_ms / 1000.0
        # Bars overlapping the view (a bar opened before x0 still covers part of it).
        a, b = int(np.searchsorted(c.x, x0 - tf, "right")), int(np.searchsorted(c.x, x1, "right"))
        vol = float(c.volume[a:b].sum())
        usd = float((c.volume[a:b] * c.close[a:b]).sum())
        return "In view", [("Volume", format_compact(vol), ""), ("≈ USD", "$" + format_compact(usd), "")]
