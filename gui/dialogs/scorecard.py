"""Tools → Model scorecard…: how right the map was on the liquidations recorded in the data on screen.

The scoring (``analytics.evaluate``, the same as ``python main.py evaluate``) runs on Qt's thread pool;
the dialog shows a plain summary, the scores with their baselines and intervals, and the caveat.
"""

from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtWidgets

from analytics.params import ModelParams
from gui.background import run_in_background


class ScorecardDialog(QtWidgets.QDialog):
    finished_scoring = QtCore.Signal(bool)  # True: scored; False: refused or failed (tests wait on it)

    def __init__(self, frames, params: ModelParams, exchanges: tuple[str, ...], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model scorecard")
        self.setMinimumWidth(560)
        self.result = None
        layout = QtWidgets.QVBoxLayout(self)
        self.summary = QtWidgets.QLabel("Scoring the map hour by hour on the recorded liquidations (in the background)…")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.table = QtWidgets.QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["score", "value (95 % interval)"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(230)  # the six scores without a scroll bar
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.caveat = QtWidgets.QLabel("")
        self.caveat.setWordWrap(True)
        self.caveat.setObjectName("estimate")
        self.caveat.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        for w in (self.summary, self.table, self.caveat, close):
            layout.addWidget(w)
        self._task = None
        self._start(frames, params, exchanges)

    def _start(self, frames, params: ModelParams, exchanges: tuple[str, ...]) -> None:
        if frames is None or len(frames.candles) == 0:
            self._refused("No data on screen to score.")
            return

        def score():
            from analytics.evaluate import evaluate

            pick = lambda df: df[df["exchange"].isin(exchanges)] if df is not None and len(df) else df  # noqa: E731
            minute_sums = getattr(frames, "liquidation_minutes", None)
            return evaluate(pick(frames.candles), pick(frames.open_interest), pick(frames.liquidations), pick(minute_sums),
                            params=params, timeframe_ms=frames.timeframe_ms, n_boot=200)

        self._task = run_in_background(score, self._scored, self._refused, self, describe=lambda exc: str(exc) or type(exc).__name__)

    def _scored(self, result) -> None:
        from analytics.evaluate import CAVEAT, scores_table, summary_text

        self.result = result
        self.summary.setText(summary_text(result))
        rows = list(scores_table(result).items())
        self.table.setRowCount(len(rows))
        for i, (k, v) in enumerate(rows):
            self.table.setItem(i, 0, QtWidgets.QTableWidgetItem(k))
            self.table.setItem(i, 1, QtWidgets.QTableWidgetItem(v))
        self.table.resizeColumnsToContents()
        notes = " ".join(result.notes)
        self.caveat.setText((notes + " " if notes else "") + CAVEAT)
        self.finished_scoring.emit(True)

    def _refused(self, message: Optional[str]) -> None:
        self.summary.setText(f"The map cannot be scored on this data: {message}")
        self.finished_scoring.emit(False)
