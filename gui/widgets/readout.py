"""The crosshair readout: time, OHLC, volume, OI and the estimated liquidation notional at the hovered price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

import numpy as np
from PySide6 import QtWidgets

from gui.chart_data import ChartData
from gui.heat_cell import HeatCell
from gui.items.axes import format_compact
from gui.theme import Theme


@dataclass(frozen=True)
class Readout:
    x: float  # bar open time, seconds
    open: float
    high: float
    low: float
    close: float
    volume: float
    oi_total: Optional[float]
    price: float  # hovered price
    long_usd: float  # estimated long liquidations in the hovered price bin
    short_usd: float
    relative: bool = False  # the map is the volume-based one: relative units, not USD
    cell: Optional[HeatCell] = None  # the heatmap cell hovered: long/short_usd are then that cell's


def readout_at(chart: ChartData, x: float, price: float, long_usd: float = 0.0, short_usd: float = 0.0,
               relative: bool = False) -> Optional[Readout]:
    """The bar under ``x`` (the last bar opened at or before it), or None outside the data."""
    c = chart.candles
    if not len(c):
        return None
    i = int(np.searchsorted(c.x, x, "right")) - 1
    if i < 0:
        return None
    i = min(i, len(c) - 1)
    oi = None
    total = chart.oi_base.get("total")
    if total is not None and len(total.x):
        j = int(np.searchsorted(total.x, c.x[i], "right")) - 1
        oi = float(total.y[j]) if j >= 0 else None
    return Readout(float(c.x[i]), float(c.open[i]), float(c.high[i]), float(c.low[i]), float(c.close[i]), float(c.volume[i]), oi, float(price), long_usd, short_usd, relative)


def format_time(seconds: float, zone: str) -> str:
    if zone == "local":
        dt = datetime.fromtimestamp(seconds).astimezone()
        return dt.strftime("%Y-%m-%d %H:%M %Z")
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


class ReadoutLabel(QtWidgets.QLabel):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.readout: Optional[Readout] = None
        self.zone = "UTC"
        self.setText("")

    def _where(self, r: Readout) -> str:
        """Which numbers follow: the hovered heatmap cell (time × price), or the current map at a price."""
        c = r.cell
        if c is None:
            return f"map now @ {r.price:,.1f}"
        t0 = format_time(c.t0_ms / 1000.0, self.zone)
        t1 = format_time(c.t1_ms / 1000.0, self.zone).split(" ")[1]
        return f"heatmap cell {t0.rsplit(' ', 1)[0]}–{t1} · {c.p0:,.0f}–{c.p1:,.0f}"

    def set_readout(self, r: Optional[Readout]) -> None:
        self.readout = r
        if r is None:
            self.setText("")
            return
        t = self.theme
        color = t.up if r.close >= r.open else t.down
        oi = f"{format_compact(r.oi_total)}" if r.oi_total is not None else "—"
        self.setText(
            f"<span style='color:{t.muted}'>{format_time(r.x, self.zone)}</span> "
            f"O <span style='color:{color}'>{r.open:,.1f}</span> H <span style='color:{color}'>{r.high:,.1f}</span> "
            f"L <span style='color:{color}'>{r.low:,.1f}</span> C <span style='color:{color}'>{r.close:,.1f}</span> "
            f"· Vol {format_compact(r.volume)} · OI {oi} · {self._where(r)}: "
            + (f"<span style='color:{t.long_liq}'>longs {r.long_usd:.2f}</span> / "
               f"<span style='color:{t.short_liq}'>shorts {r.short_usd:.2f}</span> <i>relative</i>" if r.relative else
               f"<span style='color:{t.long_liq}'>longs ${format_compact(r.long_usd)}</span> / "
               f"<span style='color:{t.short_liq}'>shorts ${format_compact(r.short_usd)}</span> <i>est.</i>")
        )
