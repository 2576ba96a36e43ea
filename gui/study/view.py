"""StudyView: the signal study in the GUI. Parameters, a scatter of forward return against imbalance with
bucket means and their intervals, the heavier-side-first rate against its base rate, and a plain summary.

Clicking a point emits ``jump_requested(at_ms)``: the main window moves its replay to that moment, so the
trader sees the map exactly as it stood when the observation was made. The study runs in a StudyWorker
(a superqt worker); the view only submits requests and draws frozen results.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from analytics.params import ModelParams
from analytics.report import utc_minute
from analytics.study import DAY_MS, HOUR_MS, MINUTE_MS, StudyResult
from cascade_vocab.formatting import format_ratio
from gui.study.axis import RatioAxis
from gui.study.summary import summary_lines
from gui.study.worker import StudyRequest, StudyWorker
from gui.theme import DARK, Theme
from market.series import MarketFrames

EVERY_CHOICES = (("15m", 15 * MINUTE_MS), ("1h", HOUR_MS), ("4h", 4 * HOUR_MS), ("1d", DAY_MS))
HORIZON_CHOICES = (("1h", HOUR_MS), ("4h", 4 * HOUR_MS), ("12h", 12 * HOUR_MS), ("24h", DAY_MS), ("3d", 3 * DAY_MS), ("7d", 7 * DAY_MS))
# A first result one can read: ±10 % within a day is rarely reached on a month of data (on the 30-day demo
# 89 % of steps reached neither band and every bucket's interval spanned 0 to 40-50 %); ±2 % within 4 h
# is reached often enough for intervals about 15 points wide. The study command keeps its own defaults.
DEFAULT_EVERY, DEFAULT_HORIZON, DEFAULT_BAND = HOUR_MS, 4 * HOUR_MS, 2.0
SHUTDOWN_WAIT_MS = 10_000

DataProvider = Callable[[], Optional[tuple[MarketFrames, Optional[ModelParams]]]]


def _utc_edit() -> QtWidgets.QDateTimeEdit:
    edit = QtWidgets.QDateTimeEdit()
    edit.setTimeZone(QtCore.QTimeZone.utc())
    edit.setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'")
    edit.setCalendarPopup(True)
    return edit


def _qdt(ms: int) -> QtCore.QDateTime:
    return QtCore.QDateTime.fromMSecsSinceEpoch(int(ms), QtCore.QTimeZone.utc())


class StudyView(QtWidgets.QWidget):
    jump_requested = QtCore.Signal(object)  # int UTC ms of the clicked observation
    result_shown = QtCore.Signal(object)  # StudyResult, after it was drawn

    def __init__(self, theme: Theme = DARK, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setWindowTitle("Signal study \u2014 did the liquidation imbalance predict the next move?")
        self.frames: Optional[MarketFrames] = None
        self.params: Optional[ModelParams] = None
        self.data_provider: Optional[DataProvider] = None
        self.result: Optional[StudyResult] = None
        self.result_symbol = ""
        self._job = 0
        self._t0 = 0.0
        self._build_controls()
        self._build_plots()
        self.summary = QtWidgets.QLabel("Choose the parameters and press Run.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(self.controls)
        lay.addWidget(self.plots, 1)
        lay.addWidget(self.summary)

        self.worker = StudyWorker(self)
        self.worker.progressed.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.resize(980, 760)

    # -- building ---------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.every = QtWidgets.QComboBox()
        for label, ms in EVERY_CHOICES:
            self.every.addItem(label, ms)
        self.every.setCurrentIndex(self.every.findData(DEFAULT_EVERY))
        self.every.setToolTip("A step every this long: the imbalance is read from the map as of each step")
        self.horizon = QtWidgets.QComboBox()
        for label, ms in HORIZON_CHOICES:
            self.horizon.addItem(label, ms)
        self.horizon.setCurrentIndex(self.horizon.findData(DEFAULT_HORIZON))
        self.horizon.setToolTip("How long after each step the move is measured")
        self.band = QtWidgets.QDoubleSpinBox()
        self.band.setRange(0.1, 50.0)
        self.band.setDecimals(1)
        self.band.setSingleStep(0.5)
        self.band.setSuffix(" %")
        self.band.setValue(DEFAULT_BAND)
        self.band.setToolTip("Shorts at risk within +band % of the price against longs within \u2212band %")
        self.all_history = QtWidgets.QCheckBox("All history")
        self.all_history.setChecked(True)
        self.all_history.setToolTip("From a day after the first candle (the model needs history) to the end")
        self.start_edit = _utc_edit()
        self.end_edit = _utc_edit()
        self.all_history.toggled.connect(self._sync_range_enabled)
        self._sync_range_enabled(True)
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QtWidgets.QLabel("")
        self.controls = QtWidgets.QHBoxLayout()
        for text, w in (("Every", self.every), ("Horizon", self.horizon), ("Band \u00b1", self.band)):
            self.controls.addWidget(QtWidgets.QLabel(text))
            self.controls.addWidget(w)
        self.controls.addSpacing(8)
        self.controls.addWidget(self.all_history)
        self.controls.addWidget(QtWidgets.QLabel("from"))
        self.controls.addWidget(self.start_edit)
        self.controls.addWidget(QtWidgets.QLabel("to"))
        self.controls.addWidget(self.end_edit)
        self.controls.addWidget(self.run_button)
        self.controls.addWidget(self.cancel_button)
        self.controls.addWidget(self.status, 1)

    def _build_plots(self) -> None:
        t = self.theme
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(t.background)
        self.return_plot = self.plots.addPlot(row=0, col=0, axisItems={"bottom": RatioAxis("bottom")})
        self.rate_plot = self.plots.addPlot(row=1, col=0, axisItems={"bottom": RatioAxis("bottom")})
        self.plots.ci.layout.setRowStretchFactor(0, 3)
        self.plots.ci.layout.setRowStretchFactor(1, 2)
        self.rate_plot.setXLink(self.return_plot)
        for p in (self.return_plot, self.rate_plot):
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setMenuEnabled(False)
            p.getAxis("bottom").setLabel("imbalance: shorts at risk \u00f7 longs at risk (log scale)", color=t.muted)
        self.return_plot.setTitle("Forward return vs imbalance \u2014 a point per step (click: replay that moment); "
                                  "\u25c6 bucket mean with its interval", color=t.text, size="9pt")
        self.return_plot.getAxis("left").setLabel("forward return", units="%", color=t.muted)
        self.rate_plot.setTitle("Heavier side's band reached first, by bucket (bar: interval; dashed: base rate, "
                                "the rate if the imbalance told nothing)", color=t.text, size="9pt")
        self.rate_plot.getAxis("left").setLabel("heavier first", units="%", color=t.muted)

        muted = pg.mkPen(t.muted, width=1, style=QtCore.Qt.PenStyle.DashLine)
        self.zero_line = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(t.grid, width=1))
        self.balance_line = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(t.grid, width=1))
        self.mean_line = pg.InfiniteLine(0.0, angle=0, pen=muted, label="all steps: mean {value:+.2f}%",
                                         labelOpts={"position": 0.05, "color": t.muted, "anchors": [(0, 1), (0, 1)]})
        self.scatter = pg.ScatterPlotItem(size=6, pen=None, hoverable=True, tip=self._tip)
        self.scatter.sigClicked.connect(self.on_points_clicked)
        self.selected = pg.ScatterPlotItem(size=13, pen=pg.mkPen(t.accent, width=2), brush=None)
        self.bucket_bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), beam=0.0, pen=pg.mkPen(t.text, width=2))
        self.bucket_means = pg.ScatterPlotItem(symbol="d", size=12, pen=pg.mkPen(t.background), brush=pg.mkBrush(t.accent))
        self.bucket_means.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)  # clicks reach the points below
        for item in (self.zero_line, self.balance_line, self.mean_line, self.scatter, self.selected,
                     self.bucket_bars, self.bucket_means):
            self.return_plot.addItem(item)

        self.rate_bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), beam=0.0, pen=pg.mkPen(t.accent, width=3))
        self.rate_points = pg.ScatterPlotItem(symbol="o", size=9, pen=None, brush=pg.mkBrush(t.accent))
        self.base_segments = pg.PlotDataItem(pen=pg.mkPen(t.text, width=2, style=QtCore.Qt.PenStyle.DashLine), connect="pairs")
        self.base_line = pg.InfiniteLine(50.0, angle=0, pen=muted, label="base rate, all steps: {value:.0f}%",
                                         labelOpts={"position": 0.05, "color": t.muted, "anchors": [(0, 1), (0, 1)]})
        for item in (self.base_line, self.base_segments, self.rate_bars, self.rate_points):
            self.rate_plot.addItem(item)

    def _sync_range_enabled(self, all_history: bool) -> None:
        self.start_edit.setEnabled(not all_history)
        self.end_edit.setEnabled(not all_history)

    # -- data and requests ---------------------------------------------------------------------------
    def set_data(self, frames: Optional[MarketFrames], params: Optional[ModelParams] = None) -> None:
        """The frames a Run studies (and the model settings of the map they are compared with)."""
        self.frames, self.params = frames, params
        rng = frames.time_range() if frames is not None else None
        if rng is None:
            return
        for edit in (self.start_edit, self.end_edit):
            edit.setDateTimeRange(_qdt(rng[0]), _qdt(rng[1]))
        self.start_edit.setDateTime(_qdt(min(rng[0] + DAY_MS, rng[1])))
        self.end_edit.setDateTime(_qdt(rng[1]))

    def request(self) -> Optional[StudyRequest]:
        """The request the controls describe, or None without data."""
        if self.frames is None:
            return None
        start = end = None
        if not self.all_history.isChecked():
            start = int(self.start_edit.dateTime().toMSecsSinceEpoch())
            end = int(self.end_edit.dateTime().toMSecsSinceEpoch())
        return StudyRequest(self.frames, int(self.every.currentData()), int(self.horizon.currentData()),
                            float(self.band.value()), start, end, self.params, job=self._job + 1)

    def run(self) -> Optional[int]:
        """Submit the study the controls describe (replacing a running one); returns its job number."""
        if self.data_provider is not None:
            got = self.data_provider()
            if got is not None:
                self.set_data(*got)
        request = self.request()
        if request is None:
            self.status.setText("No data to study yet: wait for the history to load.")
            return None
        self._job = request.job
        self._t0 = time.monotonic()
        self.status.setText("Running\u2026 (the model is built once, then read as of each step)")
        self.cancel_button.setEnabled(True)
        self.worker.submit(request)
        return request.job

    def cancel(self) -> None:
        self.worker.cancel()

    def _on_finished(self, job: int, result: StudyResult) -> None:
        if job != self._job:
            return  # an older request finished after a newer one was submitted
        self.cancel_button.setEnabled(False)
        self.status.setText(f"Done in {time.monotonic() - self._t0:.1f} s.")
        self.show_result(result, self.frames.symbol if self.frames is not None else "")

    def _on_progress(self, what: str) -> None:
        if self.cancel_button.isEnabled():
            self.status.setText(f"Running\u2026 {what} ({time.monotonic() - self._t0:.1f} s)")

    def _on_failed(self, job: int, message: str) -> None:
        if job == self._job:
            self.cancel_button.setEnabled(False)
            self.status.setText(f"Could not run the study: {message}")

    def _on_cancelled(self, job: int) -> None:
        if job == self._job:
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelled.")

    # -- drawing --------------------------------------------------------------------------------------
    def show_result(self, result: StudyResult, symbol: str = "") -> None:
        """Draw ``result`` (from the GUI thread)."""
        self.result, self.result_symbol = result, symbol
        t = self.theme
        o = result.observations
        x = o.log_ratio
        y = o.forward_return_pct
        colors = {1: pg.mkBrush(t.up), -1: pg.mkBrush(t.down), 0: pg.mkBrush(t.muted)}
        brushes = [colors[int(f)] for f in o.first]
        self.scatter.setData(x=x, y=y, data=np.arange(len(o)), brush=brushes)
        self.selected.setData(x=[], y=[])
        self.mean_line.setValue(float(np.mean(y)) if len(y) else 0.0)
        self.mean_line.setVisible(len(y) > 0)

        k = len(result.buckets)
        xc = np.array([x[result.bucket_index == j].mean() for j in range(k)]) if k else np.zeros(0)
        x_lo = np.log([b.imbalance_min for b in result.buckets]) if k else np.zeros(0)
        x_hi = np.log([b.imbalance_max for b in result.buckets]) if k else np.zeros(0)
        mean = np.array([b.mean_return_pct for b in result.buckets])
        r_lo = np.array([b.return_ci[0] for b in result.buckets])
        r_hi = np.array([b.return_ci[1] for b in result.buckets])
        self.bucket_bars.setData(x=xc, y=mean, top=np.nan_to_num(r_hi - mean), bottom=np.nan_to_num(mean - r_lo))
        self.bucket_means.setData(x=xc, y=mean)

        rate = np.array([b.heavier_first_rate for b in result.buckets]) * 100.0
        lo = np.array([b.ci_low for b in result.buckets]) * 100.0
        hi = np.array([b.ci_high for b in result.buckets]) * 100.0
        self.rate_bars.setData(x=xc, y=rate, top=np.nan_to_num(hi - rate), bottom=np.nan_to_num(rate - lo))
        self.rate_points.setData(x=xc, y=rate)
        base = np.array([b.base_rate for b in result.buckets]) * 100.0
        self.base_segments.setData(x=np.column_stack([x_lo, x_hi]).ravel(), y=np.repeat(base, 2))
        self.base_line.setValue(100.0 * result.base_rate if result.base_rate is not None else 50.0)
        self.base_line.setVisible(result.base_rate is not None)
        top = np.nanmax(np.r_[hi, base, 100.0 * (result.base_rate or 0.0), 1.0]) if k else 100.0
        self.rate_plot.setYRange(0, min(100.0, top * 1.15), padding=0.02)
        self.return_plot.enableAutoRange()
        self.summary.setText("\n".join(summary_lines(result, symbol)))
        self.result_shown.emit(result)

    def bucket_centers(self) -> np.ndarray:
        """x of each bucket's marker: the mean log ratio of its observations."""
        return np.asarray(self.bucket_means.getData()[0])

    def _tip(self, x: float, y: float, data) -> str:
        r = self.result
        if r is None or data is None:
            return ""
        i = int(data)
        o = r.observations
        when = f"{utc_minute(int(o.at_ms[i]))} UTC"
        first = {1: "up band first", -1: "down band first", 0: "neither band first"}[int(o.first[i])]
        return (f"{when}\nimbalance {format_ratio(float(o.ratio[i]))} (shorts ${o.shorts_at_risk_usd[i] / 1e6:,.1f}M "
                f": longs ${o.longs_at_risk_usd[i] / 1e6:,.1f}M)\nforward return {o.forward_return_pct[i]:+.2f}%, "
                f"{first}\nclick: replay this moment")

    # -- clicks -----------------------------------------------------------------------------------------
    def on_points_clicked(self, _item, points, _event=None) -> None:
        """The scatter's sigClicked: highlight the (first) clicked observation and ask for a jump to it."""
        if self.result is None or points is None or len(points) == 0:
            return
        i = int(points[0].data())
        at_ms = int(self.result.observations.at_ms[i])
        self.select(i)
        self.jump_requested.emit(at_ms)

    def select(self, i: int) -> None:
        o = self.result.observations
        self.selected.setData(x=[float(o.log_ratio[i])], y=[float(o.forward_return_pct[i])])
        when = f"{utc_minute(int(o.at_ms[i]))} UTC"
        self.status.setText(f"Replay: {when} (imbalance {format_ratio(float(o.ratio[i]))}, "
                            f"then {o.forward_return_pct[i]:+.2f}% over the horizon)")

    # -- lifetime -------------------------------------------------------------------------------------
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.worker.cancel()  # a hidden view computes nothing
        super().closeEvent(event)

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> None:
        """Stop the worker (the window is closing). Waits for the running stage at most ``timeout_ms``."""
        self.worker.shutdown(timeout_ms)
