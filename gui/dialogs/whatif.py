"""What-if positions: entry, size, leverage, side, margin mode, wallet -> liquidation price. No key needed.

The liquidation price is analytics' (``WhatIfPosition.liquidation_price``: the exchange's published formula
with its maintenance-margin brackets), recomputed as the fields change (microseconds: fine on the GUI
thread). Saved positions live in QSettings as plain numbers and are drawn on the chart, dashed.
"""

from __future__ import annotations

import math
from typing import Optional

from PySide6 import QtCore, QtWidgets

from analytics.positions import WhatIfPosition, format_price
from gui.positions.describe import entry_label, from_what_if
from gui.positions.saved import load_what_ifs, save_what_ifs
from analytics.liqprice import EXCHANGE_RULES
from market.series import EXCHANGE_NAMES
from market.venues import VENUE_NAMES


def _spin(lo: float, hi: float, decimals: int, value: float, suffix: str = "", step: float = 1.0) -> QtWidgets.QDoubleSpinBox:
    s = QtWidgets.QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    s.setSingleStep(step)
    s.setValue(value)
    s.setGroupSeparatorShown(True)
    if suffix:
        s.setSuffix(suffix)
    return s


class WhatIfDialog(QtWidgets.QDialog):
    what_ifs_changed = QtCore.Signal(object)  # tuple[WhatIfPosition, ...], after QSettings was written

    def __init__(self, settings: QtCore.QSettings, price: Optional[float] = None, parent: Optional[QtWidgets.QWidget] = None,
                 wallet: Optional[float] = None) -> None:
        """``price`` pre-fills the entry (the chart's last price); ``wallet`` the cross wallet balance (a
        connected account's, when there is one)."""
        super().__init__(parent)
        self.setWindowTitle("What-if positions")
        self.settings = settings
        self.positions: list[WhatIfPosition] = load_what_ifs(settings)
        entry = float(price) if price and math.isfinite(price) and price > 0 else 80_000.0

        self.label_edit = QtWidgets.QLineEdit()
        self.label_edit.setPlaceholderText("optional name")
        self.exchange = QtWidgets.QComboBox()
        for ex in VENUE_NAMES:  # every registered venue whose published liquidation rule analytics has
            if ex in EXCHANGE_RULES:
                self.exchange.addItem(EXCHANGE_NAMES.get(ex, ex), ex)
        self.side = QtWidgets.QComboBox()
        self.side.addItem("Long", "long")
        self.side.addItem("Short", "short")
        self.margin_mode = QtWidgets.QComboBox()
        self.margin_mode.addItem("Isolated", "isolated")
        self.margin_mode.addItem("Cross", "cross")
        self.entry = _spin(0.01, 10_000_000, 2, round(entry, 2), " USDT", 10.0)
        self.qty = _spin(0.0001, 100_000, 4, 0.1, " BTC", 0.01)
        self.leverage = _spin(1, 125, 1, 10, "x", 1.0)
        self.wallet = _spin(0.01, 1e10, 2, round(wallet, 2) if wallet and wallet > 0 else 10_000, " USDT", 100.0)
        self.wallet_label = QtWidgets.QLabel("Wallet balance")
        self.preview = QtWidgets.QLabel("")
        self.preview.setObjectName("whatIfPreview")
        self.preview.setWordWrap(True)
        self.problem = QtWidgets.QLabel("")
        self.problem.setObjectName("whatIfProblem")
        self.problem.setWordWrap(True)
        self.add_button = QtWidgets.QPushButton("Add to chart")
        self.add_button.clicked.connect(self.add_current)

        form_box = QtWidgets.QGroupBox("New what-if position")
        form = QtWidgets.QFormLayout(form_box)
        form.addRow("Name", self.label_edit)
        form.addRow("Exchange rules", self.exchange)
        form.addRow("Side", self.side)
        form.addRow("Margin mode", self.margin_mode)
        form.addRow("Entry price", self.entry)
        form.addRow("Size", self.qty)
        form.addRow("Leverage", self.leverage)
        form.addRow(self.wallet_label, self.wallet)
        form.addRow(self.preview)
        form.addRow(self.problem)
        form.addRow(self.add_button)

        self.list = QtWidgets.QListWidget()
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        saved_box = QtWidgets.QGroupBox("On the chart (saved on this computer)")
        saved = QtWidgets.QVBoxLayout(saved_box)
        saved.addWidget(self.list)
        saved.addWidget(self.remove_button, 0, QtCore.Qt.AlignmentFlag.AlignRight)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(form_box)
        lay.addWidget(saved_box)
        lay.addWidget(close)

        for w in (self.side, self.margin_mode, self.exchange):
            w.currentIndexChanged.connect(self.update_preview)
        for w in (self.entry, self.qty, self.leverage, self.wallet):
            w.valueChanged.connect(self.update_preview)
        self._fill_list()
        self.update_preview()
        self.resize(460, 560)

    def current(self) -> WhatIfPosition:
        """The position the form describes (raises ValueError with a readable message when it is invalid)."""
        cross = self.margin_mode.currentData() == "cross"
        return WhatIfPosition(
            entry=float(self.entry.value()),
            qty=float(self.qty.value()),
            leverage=float(self.leverage.value()),
            side=str(self.side.currentData()),
            margin_mode="cross" if cross else "isolated",
            wallet=float(self.wallet.value()) if cross else None,
            exchange=str(self.exchange.currentData()),
            label=self.label_edit.text().strip(),
        )

    def update_preview(self, *_args) -> None:
        cross = self.margin_mode.currentData() == "cross"
        self.wallet.setEnabled(cross)
        self.wallet_label.setEnabled(cross)
        try:
            w = self.current()
            liq = w.liquidation_price()
            problem = w.leverage_problem()
        except ValueError as exc:
            self.preview.setText("")
            self.problem.setText(str(exc))
            self.add_button.setEnabled(False)
            return
        if liq > 0 and math.isfinite(liq):
            pct = (liq / w.entry - 1.0) * 100.0
            self.preview.setText(
                f"<b>Liquidation price: {format_price(liq)}</b> ({pct:+.2f}% from entry) · margin {w.initial_margin:,.2f} USDT"
                + (" · cross: the whole wallet backs it" if cross else "")
            )
        else:
            self.preview.setText("<b>No liquidation price</b>: the margin covers the whole position.")
        self.problem.setText(problem or "")
        self.add_button.setEnabled(True)

    def _fill_list(self) -> None:
        self.list.clear()
        for w in self.positions:
            try:
                liq = format_price(w.liquidation_price())
            except ValueError:
                liq = "—"
            name = f"{w.label}: " if w.label else ""
            self.list.addItem(f"{name}{entry_label_for(w)} · {w.margin_mode} · liq {liq}")
        self.remove_button.setEnabled(bool(self.positions))
        if self.positions:
            self.list.setCurrentRow(len(self.positions) - 1)

    def _persist(self) -> None:
        save_what_ifs(self.settings, self.positions)
        self.what_ifs_changed.emit(tuple(self.positions))

    def add_current(self) -> Optional[WhatIfPosition]:
        try:
            w = self.current()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return None
        self.positions.append(w)
        self._persist()
        self._fill_list()
        return w

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.positions):
            del self.positions[row]
            self._persist()
            self._fill_list()


def entry_label_for(w: WhatIfPosition) -> str:
    return entry_label(from_what_if(0, w)).replace("WHAT-IF ", "")
