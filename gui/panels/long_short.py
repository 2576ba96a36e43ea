"""The long/short account ratio per exchange: long accounts ÷ short accounts, as the venues publish it.

Every venue reports it (Binance's globalLongShortAccountRatio, OKX's long-short-account-ratio, Bybit's
account-ratio), the demo simulates it; it counts accounts, not position sizes, so 2.0 means twice as
many accounts long as short, not twice the money.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from gui.chart_data import ChartData, Series, series_per_exchange
from gui.items.axes import CompactAxis
from gui.panels.base import InfoRows, PanelView
from gui.panels.lines import LinesPanel
from gui.theme import Theme
from market.series import EXCHANGE_NAMES


class LongShortPanel(LinesPanel):
    title = "Long/short account ratio (long accounts ÷ short accounts)"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, CompactAxis("right"), parent)
        self.even = pg.InfiniteLine(pos=1.0, angle=0, movable=False, pen=pg.mkPen(theme.grid))
        self.plot.addItem(self.even, ignoreBounds=True)

    @staticmethod
    def data_from(frames, chart: ChartData) -> Mapping[str, Series]:
        return series_per_exchange(frames.long_short, "ratio", chart.exchanges, chart.timeframe_ms)

    def set_view(self, view: PanelView) -> None:
        self.show_series(view.data or {})

    def fit_y(self, x0: float, x1: float) -> None:
        super().fit_y(x0, x1)
        if not self.series:
            self.view.setYRange(0.5, 1.5, padding=0)  # nothing to fit: keep the 1 : 1 line in view

    def info(self, view: PanelView, x0: float, x1: float) -> InfoRows:
        t, lines, rows = self.theme, view.data or {}, []
        for name in view.chart.exchanges:
            label = EXCHANGE_NAMES.get(name, name)
            s = lines.get(name)
            i = int(np.searchsorted(s.x, x1, "right")) - 1 if s is not None else -1
            if i < 0 or not np.isfinite(s.y[i]):
                rows.append((label, "not available", t.muted))
                continue
            r = float(s.y[i])
            rows.append((label, f"{r:.2f} · {r / (1 + r) * 100:.0f}% long", t.up if r >= 1 else t.down))
        return "Accounts long ÷ short (end of view)", rows
