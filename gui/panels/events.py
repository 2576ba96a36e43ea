"""Liquidation events per bar: shorts liquidated upward (green), longs downward (red)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from gui.chart_data import ChartData
from gui.items.axes import CompactAxis, format_compact
from gui.items.bars import BarsItem
from gui.panels.base import ChartPanel, InfoRows, PanelView
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

    @staticmethod
    def _unknown(view: PanelView) -> bool:
        """Nothing recorded and no open interest to estimate from: unknown, never "$0"."""
        liq = view.result.liquidity if view.result is not None else None
        return not view.real_liquidations and (liq is None or liq.relative)

    def set_view(self, view: PanelView) -> None:
        liq = view.result.liquidity if view.result is not None else None
        rel = liq is not None and liq.relative
        self.set_data(view.chart, view.real_liquidations, view.liquidations_simulated, unknown=rel and not view.real_liquidations)

    def info(self, view: PanelView, x0: float, x1: float) -> InfoRows:
        t, ev = self.theme, view.chart.liquidations
        if self._unknown(view):
            return "Liquidated in view: unknown", [("no recorded events,", "", t.muted), ("no open interest", "", t.muted)]
        e0, e1 = int(np.searchsorted(ev.x, x0, "left")), int(np.searchsorted(ev.x, x1, "right"))
        kind = ("simulated" if view.liquidations_simulated else "reported") if view.real_liquidations else "ESTIMATED"
        return f"Liquidated in view ({kind})", [
            ("Longs", "$" + format_compact(float(ev.long_usd[e0:e1].sum())), t.long_liq),
            ("Shorts", "$" + format_compact(float(ev.short_usd[e0:e1].sum())), t.short_liq),
        ]

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
