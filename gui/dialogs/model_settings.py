"""Model settings: leverage mix, holding time and scale (default, edited, or fitted to the data on screen),
price bin, taker split; and what a fit rested on (which data, how many events or minutes, which span)."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from PySide6 import QtCore, QtWidgets

from analytics.calibrate import SINK_LEVERAGE
from analytics.fit_summary import FitSummary
from analytics.params import ModelParams
from market.venues import label as venue_label
from cascade_vocab.units import HOUR_MS

# A calibration callback: given the params to start from, run in the background and call ``done`` with
# the fit (or None) and a line for the status.
Calibrator = Callable[[ModelParams, Callable[[Optional[FitSummary], str], None]], None]
NOT_FITTED = "Not fitted: the settings are the defaults or as edited."


class ModelSettingsDialog(QtWidgets.QDialog):
    """Edits a ModelParams. ``calibrate`` fits it to the recorded liquidations, ``calibrate_oi`` to candles
    and OI alone (both optional, in the background); ``fit`` is the fit the current settings came from."""

    def __init__(self, params: ModelParams, parent: QtWidgets.QWidget | None = None,
                 calibrate: Optional[Calibrator] = None, calibrate_oi: Optional[Calibrator] = None,
                 fit: Optional[FitSummary] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Liquidation model settings")
        self.params = params
        self.fit: Optional[FitSummary] = fit if fit is not None and fit.params == params else None
        self._calibrate = calibrate
        self._calibrate_oi = calibrate_oi
        self._filled: tuple[ModelParams, list[tuple[str, str]]] | None = None
        self._scale = params.scale
        self.table = QtWidgets.QTableWidget(len(params.leverages), 2)
        self.table.setHorizontalHeaderLabels(["Leverage ×", "Weight"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.hold = QtWidgets.QDoubleSpinBox()
        self.hold.setRange(0, 24 * 60)
        self.hold.setDecimals(1)
        self.hold.setSuffix(" h")
        self.hold.setSpecialValueText("off (net OI only)")
        self._fill(params)
        self.bin = QtWidgets.QDoubleSpinBox()
        self.bin.setRange(0, 10_000)
        self.bin.setDecimals(2)
        self.bin.setSpecialValueText("auto")
        self.bin.setValue(params.bin_usd or 0)
        self.taker = QtWidgets.QCheckBox("Split new positions by taker buy share")
        self.taker.setChecked(params.taker_split)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        self.fit_label = QtWidgets.QLabel(self.fit.text(venue_label) if self.fit is not None else NOT_FITTED)
        self.fit_label.setWordWrap(True)
        self.fit_label.setObjectName("fitSummary")
        # A wrapped label does not ask for the height of its lines: room for the longest summary.
        self.fit_label.setMinimumHeight(5 * self.fit_label.fontMetrics().lineSpacing())
        self.fit_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        default = QtWidgets.QPushButton("Default settings")
        default.clicked.connect(self._defaults)
        self.calibrate_button = QtWidgets.QPushButton("Calibrate to recorded liquidations")
        self.calibrate_button.setEnabled(calibrate is not None)
        self.calibrate_button.clicked.connect(lambda: self._run(self._calibrate))
        self.calibrate_oi_button = QtWidgets.QPushButton("Calibrate from candles and OI")
        self.calibrate_oi_button.setEnabled(calibrate_oi is not None)
        self.calibrate_oi_button.clicked.connect(lambda: self._run(self._calibrate_oi))
        add = QtWidgets.QPushButton("Add tier")
        add.clicked.connect(lambda: self.table.insertRow(self.table.rowCount()))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout()
        form.addRow("Holding time", self.hold)
        form.addRow("Price bin (USD)", self.bin)
        form.addRow(self.taker)
        row = QtWidgets.QHBoxLayout()
        for b in (default, add):
            row.addWidget(b)
        fit_row = QtWidgets.QHBoxLayout()
        for b in (self.calibrate_button, self.calibrate_oi_button):
            fit_row.addWidget(b)
        fitted = QtWidgets.QGroupBox("What was fitted")
        fit_box = QtWidgets.QVBoxLayout(fitted)
        fit_box.addWidget(self.fit_label)
        fit_box.addLayout(fit_row)
        fit_box.addWidget(self.status)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Leverage mix (weights are normalized):"))
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(fitted)
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet("color: #ff5c5c")
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(540, 680)

    def _texts(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.table.rowCount()):
            a, b = self.table.item(r, 0), self.table.item(r, 1)
            out.append((a.text() if a else "", b.text() if b else ""))
        return out

    def _fill(self, params: ModelParams) -> None:
        self.table.setRowCount(len(params.leverages))
        for i, (lev, w) in enumerate(zip(params.leverages, params.normalized_weights())):
            item = QtWidgets.QTableWidgetItem(f"{lev:g}")
            if lev <= SINK_LEVERAGE:
                item.setToolTip("Out of reach: positions at 2x or less, hedged or held by market makers, "
                                "which no ordinary move liquidates")
            self.table.setItem(i, 0, item)
            self.table.setItem(i, 1, QtWidgets.QTableWidgetItem(f"{w:.4f}"))
        self.hold.setValue((params.mean_hold_ms or 0) / HOUR_MS)
        self._scale = params.scale
        self._filled = (params, self._texts())

    def _defaults(self) -> None:
        self._fill(ModelParams())
        self.fit = None
        self.fit_label.setText(NOT_FITTED)

    def _run(self, calibrator: Optional[Calibrator]) -> None:
        if calibrator is None:
            return
        start = self.edited_params()
        if start is None:
            return
        self.status.setText("Calibrating in the background…")
        for b in (self.calibrate_button, self.calibrate_oi_button):
            b.setEnabled(False)

        def done(fit: Optional[FitSummary], message: str) -> None:
            self.calibrate_button.setEnabled(self._calibrate is not None)
            self.calibrate_oi_button.setEnabled(self._calibrate_oi is not None)
            if fit is not None:
                self._fill(fit.params)
                self.fit = fit
                self.fit_label.setText(fit.text(venue_label))
            self.status.setText(message)

        calibrator(start, done)

    def edited_params(self) -> Optional[ModelParams]:
        """The params as edited, or None (with a message) when a cell is not a valid number."""
        hold = self.hold.value() * HOUR_MS or None
        common = dict(bin_usd=self.bin.value() or None, taker_split=self.taker.isChecked(), mean_hold_ms=hold,
                      scale=self._scale)
        if self._filled is not None and self._texts() == self._filled[1]:
            # The mix as filled (a fit's or the defaults'), at full precision rather than as displayed.
            base = self._filled[0]
            if base.mean_hold_ms is not None and abs(base.mean_hold_ms - (hold or 0)) < 0.05 * HOUR_MS:
                common["mean_hold_ms"] = base.mean_hold_ms
            return replace(self.params, leverages=base.leverages, weights=base.weights, **common)
        levs, weights = [], []
        try:
            for r in range(self.table.rowCount()):
                a, b = self.table.item(r, 0), self.table.item(r, 1)
                if a is None or b is None or not a.text().strip():
                    continue
                levs.append(float(a.text()))
                weights.append(float(b.text()))
            return replace(self.params, leverages=tuple(levs), weights=tuple(weights), **common)
        except ValueError as exc:
            self.error.setText(f"Not valid: {exc}")
            return None

    def fit_is_current(self) -> bool:
        """Whether the accepted settings are still the fit's (not edited since)."""
        return self.fit is not None and self.fit.params == self.params

    def accept(self) -> None:
        params = self.edited_params()
        if params is None:
            return
        self.params = params
        super().accept()
