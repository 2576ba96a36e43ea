"""Liquidation events per bar: shorts liquidated upward (green), longs downward (red)."""

from __future__ import annotations

from PySide6 import QtWidgets

from gui.chart_data import ChartData
from gui.items.axes import CompactAxis
from gui.items.bars import BarsItem
from gui.panels.base import ChartPanel
from gui.theme import Theme


class LiquidationEventsPanel(ChartPanel):
    title = "Liquidations (USD): shorts ↑ · longs ↓"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        self.shorts = BarsItem((theme.short_liq,))
        self.longs = BarsItem((theme.long_liq,))
        super().__init__(theme, CompactAxis("right"), parent)
        self.plot.addItem(self.shorts)
        self.plot.addItem(self.longs)
        self.real = True

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        self.shorts.set_colors((theme.short_liq,))
        self.longs.set_colors((theme.long_liq,))

    def set_data(self, data: ChartData, real: bool = True, simulated: bool = False, unknown: bool = False) -> None:
        ev = data.liquidations
        self.real = real
        kind = ("simulated by the demo market" if simulated else "reported by the source") if real else "ESTIMATED"
        if unknown:
            kind = "unknown: no recorded events and no open interest to estimate them"
        self.title_item.setHtml(f"<span style='color:{self.theme.muted};font-size:9pt'>{self.title} — {kind}</span>")
        width = data.timeframe_ms / 1000.0
        self.shorts.set_data(ev.x, ev.short_usd, None, width)
        self.longs.set_data(ev.x, -ev.long_usd, None, width)

    def fit_y(self, x0: float, x1: float) -> None:
        top = max(self.shorts.y_max(x0, x1), self.longs.y_max(x0, x1))
        top = top * 1.1 if top > 0 else 1.0
        self.view.setYRange(-top, top, padding=0)
