"""Common set-up of a chart panel: a PlotWidget with a right value axis, a shared time axis and crosshair line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gui.chart_data import ChartData
from gui.items.axes import TimeAxis
from gui.items.text import HtmlText
from gui.theme import Theme

AXIS_WIDTH = 78  # every panel's right axis has this width so time positions line up across panels

InfoRows = tuple[str, Sequence[tuple[str, str, str]]]  # (title, [(label, value, colour or "")])


@dataclass(frozen=True)
class PanelView:
    """What a panel is given to draw: the chart, the whole result, the source's facts, its own data."""

    chart: ChartData
    result: Any = None  # the ViewResult (liquidity, imbalance), or None
    real_liquidations: bool = True
    liquidations_simulated: bool = False
    data: Any = None  # what the panel's ``data_from`` computed in the view worker, or None


class ChartPanel(QtWidgets.QWidget):
    """One row of the terminal: a plot on the left, an optional side widget of fixed width on the right."""

    title = ""

    def __init__(self, theme: Theme, value_axis: pg.AxisItem, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.time_axis = TimeAxis("bottom")
        self.value_axis = value_axis
        # No context menu: asked for at construction, so pyqtgraph does not build one per plot at start-up.
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.time_axis, "right": value_axis}, enableMenu=False)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideAxis("left")
        self.plot.showAxis("right")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.layout.setContentsMargins(0, 0, 0, 0)
        value_axis.setWidth(AXIS_WIDTH)
        self.view: pg.ViewBox = self.plot.getViewBox()
        self.view.setMouseEnabled(x=True, y=False)
        self.title_item = HtmlText(anchor=(0, 0))
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

    # -- what a panel fills in (vn.py's ChartItem: draw, fit, say its numbers) ---------------------
    @staticmethod
    def data_from(frames, chart: ChartData) -> Any:
        """The panel's own data from the shown frames (selected venues, as of the replay time).

        Runs in the view worker, never on the GUI thread: numpy/pandas only, no Qt. None: the panel
        draws from ``chart`` alone.
        """
        return None

    def set_view(self, view: PanelView) -> None:
        self.set_data(view.chart)

    def set_data(self, data: ChartData) -> None:
        """Draw ``data``; panels override (or override ``set_view`` when they need more)."""

    def info(self, view: PanelView, x0: float, x1: float) -> Optional[InfoRows]:
        """The side read-out for the visible window [x0, x1] (seconds), or None for none."""
        return None

    def fit_y(self, x0: float, x1: float) -> None:
        """Fit the value axis to what is visible; panels override."""
