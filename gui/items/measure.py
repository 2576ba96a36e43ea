"""The measure tool: a line between two chart points with its % change and duration."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtCore


@dataclass(frozen=True)
class Measurement:
    x0: float
    price0: float
    x1: float
    price1: float

    @property
    def pct(self) -> float:
        return (self.price1 / self.price0 - 1.0) * 100.0

    @property
    def seconds(self) -> float:
        return self.x1 - self.x0

    def text(self) -> str:
        s = abs(self.seconds)
        d, rem = divmod(int(round(s)), 86400)
        h, rem = divmod(rem, 3600)
        m = rem // 60
        span = (f"{d}d " if d else "") + (f"{h}h " if h or d else "") + f"{m}m"
        sign = "−" if self.seconds < 0 else ""
        return f"{self.pct:+.2f}% ({self.price1 - self.price0:+,.1f}) · {sign}{span}".replace("-", "−")


class MeasureItem:
    """Owns the line and the label on a plot; ``set`` shows a measurement, ``clear`` hides it."""

    def __init__(self, plot: pg.PlotItem, color: str) -> None:
        self.line = pg.PlotDataItem(pen=pg.mkPen(color, width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        self.label = pg.TextItem(anchor=(0, 1), color=color, fill=pg.mkBrush(0, 0, 0, 160))
        for item in (self.line, self.label):
            item.setZValue(80)
            plot.addItem(item, ignoreBounds=True)
        self.measurement: Measurement | None = None
        self.clear()

    def set(self, m: Measurement, y0: float, y1: float) -> None:
        """Draw ``m``; ``y0``/``y1`` are the view coordinates of its prices (log scale aware)."""
        self.measurement = m
        self.line.setData([m.x0, m.x1], [y0, y1])
        self.label.setText(m.text())
        self.label.setPos(m.x1, y1)
        self.line.show()
        self.label.show()

    def clear(self) -> None:
        self.measurement = None
        self.line.hide()
        self.label.hide()
