"""Model settings: leverage mix (default or calibrated to observed liquidations), price bin, taker split."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from PySide6 import QtWidgets

from analytics.params import ModelParams


class ModelSettingsDialog(QtWidgets.QDialog):
    """Edits a ModelParams; ``calibrate`` (optional) returns fitted params in the background."""

    def __init__(self, params: ModelParams, parent: QtWidgets.QWidget | None = None,
                 calibrate: Optional[Callable[[ModelParams, Callable[[Optional[ModelParams], str], None]], None]] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Liquidation model settings")
        self.params = params
        self._calibrate = calibrate
        self.table = QtWidgets.QTableWidget(len(params.leverages), 2)
        self.table.setHorizontalHeaderLabels(["Leverage ×", "Weight"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self._fill(params)
        self.bin = QtWidgets.QDoubleSpinBox()
        self.bin.setRange(0, 10_000)
        self.bin.setDecimals(2)
        self.bin.setSpecialValueText("auto")
        self.bin.setValue(params.bin_usd or 0)
        self.taker = QtWidgets.QCheckBox("Split new positions by taker buy share")
        self.taker.setChecked(params.taker_split)
        self.status = QtWidgets.QLabel("Weights: default mix")
        self.status.setWordWrap(True)
        default = QtWidgets.QPushButton("Default weights")
        default.clicked.connect(lambda: self._fill(ModelParams()))
        calibrated = QtWidgets.QPushButton("Calibrate to observed liquidations")
        calibrated.setEnabled(calibrate is not None)
        calibrated.clicked.connect(self._run_calibration)
        add = QtWidgets.QPushButton("Add tier")
        add.clicked.connect(lambda: self.table.insertRow(self.table.rowCount()))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout()
        form.addRow("Price bin (USD)", self.bin)
        form.addRow(self.taker)
        row = QtWidgets.QHBoxLayout()
        for b in (default, calibrated, add):
            row.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Leverage mix (weights are normalized):"))
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addLayout(form)
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet("color: #ff5c5c")
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _fill(self, params: ModelParams) -> None:
        self.table.setRowCount(len(params.leverages))
        for i, (lev, w) in enumerate(zip(params.leverages, params.normalized_weights())):
            self.table.setItem(i, 0, QtWidgets.QTableWidgetItem(f"{lev:g}"))
            self.table.setItem(i, 1, QtWidgets.QTableWidgetItem(f"{w:.4f}"))

    def _run_calibration(self) -> None:
        self.status.setText("Calibrating…")

        def done(params: Optional[ModelParams], message: str) -> None:
            if params is not None:
                self._fill(params)
            self.status.setText(message)

        self._calibrate(self.edited_params() or self.params, done)

    def edited_params(self) -> Optional[ModelParams]:
        """The params as edited, or None (with a message) when a cell is not a valid number."""
        levs, weights = [], []
        try:
            for r in range(self.table.rowCount()):
                a, b = self.table.item(r, 0), self.table.item(r, 1)
                if a is None or b is None or not a.text().strip():
                    continue
                levs.append(float(a.text()))
                weights.append(float(b.text()))
            return replace(self.params, leverages=tuple(levs), weights=tuple(weights), bin_usd=self.bin.value() or None, taker_split=self.taker.isChecked())
        except ValueError as exc:
            self.error.setText(f"Not valid: {exc}")
            return None

    def accept(self) -> None:
        params = self.edited_params()
        if params is None:
            return
        self.params = params
        super().accept()
