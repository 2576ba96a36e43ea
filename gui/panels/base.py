"""Common set-up of a chart panel: a PlotWidget with a right value axis, a shared time axis and crosshair line."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gui.items.axes import TimeAxis
from gui.theme import Theme

AXIS_WIDTH = 78  # every panel's right axis has this width so time positions line up across panels


class ChartPanel(QtWidgets.QWidget):
    """One row of the terminal: a plot on the left, an optional side widget of fixed width on the right."""

    title = ""

    def __init__(self, theme: Theme, value_axis: pg.AxisItem, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.time_axis = TimeAxis("bottom")
        self.value_axis = value_axis
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.time_axis, "right": value_axis})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideAxis("left")
        self.plot.showAxis("right")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.layout.setContentsMargins(0, 0, 0, 0)
        value_axis.setWidth(AXIS_WIDTH)
        self.view: pg.ViewBox = self.plot.getViewBox()
        self.view.setMouseEnabled(x=True, y=False)
        self.title_item = pg.TextItem(anchor=(0, 0))
        self.title_item.setParentItem(self.view)
        self.title_item.setPos(4, 2)
        self.title_item.setZValue(1000)  # above the data (a stacked OI fill hid the title)
        self.vline = pg.InfiniteLine(angle=90, movable=False)
        self.vline.setZValue(50)
        self.vline.hide()
        self.plot.addItem(self.vline, ignoreBounds=True)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot_widget, 1)
        self.side: QtWidgets.QWidget | None = None
        self.apply_theme(theme)

    def set_side(self, widget: QtWidgets.QWidget, width: int) -> None:
        self.side = widget
        widget.setFixedWidth(width)
        self.layout().addWidget(widget)

    def show_time_axis(self, visible: bool) -> None:
        self.plot.showAxis("bottom", visible)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot_widget.setBackground(theme.background)
        for name in ("bottom", "right"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.grid))
            axis.setTextPen(pg.mkPen(theme.muted))
        # No grid: pyqtgraph draws it inside the axis picture, which then repaints with every data
        # update (≈60% of a redraw here); the heatmap and the side read-outs carry the levels instead.
        self.plot.showGrid(x=False, y=False)
        self.vline.setPen(pg.mkPen(theme.muted, width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.title_item.setHtml(f"<span style='color:{theme.muted};font-size:9pt'>{self.title}</span>")

    def fit_y(self, x0: float, x1: float) -> None:
        """Fit the value axis to what is visible; panels override."""
