"""The heatmap's colour legend in USD, over the price chart's top-right corner.

It shows the colours the heatmap draws from its lowest to its full level with the USD per cell at
three points, and which scale is on (absolute, relative to the view, z-score). A click switches
absolute ↔ relative; Tools → Heatmap colours… offers all three and the fixed USD level.
Painted by hand rather than with pyqtgraph's ColorBarItem: that item lives in a plot layout and would
narrow the price chart's time axis against the panels below it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gui.items.axes import format_compact
from gui.items.heatmap import HeatScale, HeatmapStyle
from gui.theme import Theme

BAR_SIZE = QtCore.QSize(236, 46)


def tick_labels(low: float, high: float, relative_units: bool) -> list[tuple[float, str]]:
    """(position 0…1 along the bar, label) at the low end, the middle and the top (which saturates)."""
    def fmt(v: float) -> str:
        return f"{v:.2f}" if relative_units else "$" + format_compact(v)

    mid = 0.5 * (low + high)
    return [(0.0, fmt(low)), (0.5, fmt(mid)), (1.0, "≥" + fmt(high))]


def gradient_colours(style: HeatmapStyle, n: int = 64) -> list[QtGui.QColor]:
    """The colours along the bar, linear in USD: the heatmap raises its normalised values to ``gamma``."""
    cmap = pg.colormap.get(style.colormap)
    pos = np.linspace(0.0, 1.0, n) ** style.gamma
    return [QtGui.QColor(*[int(c) for c in rgba]) for rgba in cmap.map(pos, mode="byte")]


class HeatColourBar(QtWidgets.QWidget):
    toggled = QtCore.Signal()  # the user clicked: switch absolute ↔ relative

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setFixedSize(BAR_SIZE)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Heatmap colour scale in USD per cell (estimate).\n"
                        "Click: absolute (fixed USD, comparable across views and time) ↔ relative (per view).\n"
                        "Tools → Heatmap colours… for the z-score scale and the fixed level.")
        self.style_ = HeatmapStyle()
        self.low, self.high = 0.0, 1.0
        self.relative_units = False  # the volume-based map: no USD, heaviest cell = 1
        self.title = ""
        self.labels: list[tuple[float, str]] = []
        self._update_text()

    def set_levels(self, low: float, high: float) -> None:
        self.low, self.high = float(low), float(high)
        self._update_text()

    def set_style(self, style: HeatmapStyle) -> None:
        self.style_ = style
        self._update_text()

    def set_relative_units(self, on: bool) -> None:
        self.relative_units = bool(on)
        self._update_text()

    def _update_text(self) -> None:
        unit = "relative units (heaviest = 1)" if self.relative_units else "USD per cell"
        self.title = f"Heatmap {unit} · {self.style_.scale.label}"
        self.labels = tick_labels(self.low, self.high, self.relative_units)
        if self.style_.scale is HeatScale.ZSCORE:
            self.labels[0] = (0.0, self.labels[0][1] + " (mean)")
        self.update()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            self.toggled.emit()
            event.accept()
            return
        super().mousePressEvent(event)

    def paintEvent(self, _event) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        bg = QtGui.QColor(self.theme.background)
        bg.setAlpha(215)
        p.fillRect(self.rect(), bg)
        font = p.font()
        font.setPointSizeF(7.5)
        p.setFont(font)
        p.setPen(QtGui.QColor(self.theme.muted))
        w = self.width()
        p.drawText(QtCore.QRectF(6, 1, w - 12, 14), QtCore.Qt.AlignmentFlag.AlignLeft, self.title)
        bar = QtCore.QRectF(8, 16, w - 16, 10)
        grad = QtGui.QLinearGradient(bar.topLeft(), bar.topRight())
        colours = gradient_colours(self.style_)
        for i, c in enumerate(colours):
            grad.setColorAt(i / (len(colours) - 1), c)
        p.fillRect(bar, QtGui.QBrush(grad))
        p.setPen(QtGui.QColor(self.theme.grid))
        p.drawRect(bar)
        p.setPen(QtGui.QColor(self.theme.text))
        for pos, text in self.labels:
            x = bar.left() + pos * bar.width()
            p.drawLine(QtCore.QPointF(x, bar.bottom()), QtCore.QPointF(x, bar.bottom() + 3))
            left = x - 100 * pos  # the label's box starts at, centres on or ends at its tick
            align = (QtCore.Qt.AlignmentFlag.AlignLeft if pos == 0 else
                     QtCore.Qt.AlignmentFlag.AlignRight if pos == 1 else QtCore.Qt.AlignmentFlag.AlignHCenter)
            p.drawText(QtCore.QRectF(left, bar.bottom() + 3, 100, 14), align, text)
        p.end()


class _Corner(QtCore.QObject):
    """Keeps the bar in the plot's top-right corner, left of the price axis, as the plot resizes."""

    def __init__(self, bar: HeatColourBar, host: QtWidgets.QWidget, right_margin: int) -> None:
        super().__init__(bar)
        self.bar, self.host, self.right_margin = bar, host, right_margin
        host.installEventFilter(self)
        self.place()

    def place(self) -> None:
        self.bar.move(max(0, self.host.width() - self.right_margin - self.bar.width() - 6), 4)
        self.bar.raise_()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.host and event.type() == QtCore.QEvent.Type.Resize:
            self.place()
        return False


def install_colour_bar(price_panel, theme: Theme) -> HeatColourBar:
    """A colour bar over ``price_panel``'s plot that follows its heatmap's levels and style."""
    from gui.panels.base import AXIS_WIDTH

    heat = price_panel.heatmap
    bar = HeatColourBar(theme, price_panel.plot_widget)
    bar.set_style(heat.style)
    bar._corner = _Corner(bar, price_panel.plot_widget, AXIS_WIDTH)
    heat.levels_changed.connect(bar.set_levels)
    bar.show()
    return bar
