"""Wallet addresses: positions read from a public address (Hyperliquid), no key, nothing secret.

The venues offered are the registry's with a ``wallet`` module (market.venues). An address is public, so
it is kept in QSettings (``positions/wallets``), never in the keyring; a malformed one is refused with one
plain line in the dialog.
"""

from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtWidgets

from gui.positions.saved import load_wallets, save_wallets
from market.credentials import AccountInfo
from market.venues import VENUES, load


class WalletsDialog(QtWidgets.QDialog):
    wallets_changed = QtCore.Signal(object)  # tuple[AccountInfo, ...] (id = address), after QSettings was written

    def __init__(self, settings: QtCore.QSettings, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Wallet addresses")
        self.settings = settings
        self.wallets: list[AccountInfo] = load_wallets(settings)

        self.exchange = QtWidgets.QComboBox()
        for v in VENUES.values():
            if v.wallet:
                self.exchange.addItem(v.label, v.name)
        self.address_edit = QtWidgets.QLineEdit()
        self.address_edit.setPlaceholderText("0x… (public wallet address)")
        self.label_edit = QtWidgets.QLineEdit()
        self.label_edit.setPlaceholderText("optional name")
        self.add_button = QtWidgets.QPushButton("&Add wallet")
        self.add_button.clicked.connect(self.add_wallet)
        self.remove_button = QtWidgets.QPushButton("&Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.list = QtWidgets.QListWidget()
        self.list.currentRowChanged.connect(lambda _r: self._update_enabled())
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        note = QtWidgets.QLabel("A wallet's positions are public: no key is needed, and the address is kept in "
                                "Cascade's settings, not in the keyring. Liquidation prices use the venue's "
                                "published formula.")
        note.setWordWrap(True)

        form = QtWidgets.QFormLayout()
        form.addRow("Exchange", self.exchange)
        form.addRow("Address", self.address_edit)
        form.addRow("Name", self.label_edit)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.list)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self._refresh_list()

    def _refresh_list(self) -> None:
        self.list.clear()
        for w in self.wallets:
            self.list.addItem(f"{VENUES[w.exchange].label} — {w.label} ({w.id[:6]}…{w.id[-4:]})")
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.remove_button.setEnabled(self.list.currentRow() >= 0)
        self.add_button.setEnabled(self.exchange.count() > 0)

    def _save(self) -> None:
        save_wallets(self.settings, self.wallets)
        self.wallets_changed.emit(tuple(self.wallets))

    def add_wallet(self) -> None:
        exchange = self.exchange.currentData()
        try:
            address = load(VENUES[exchange].wallet).check_address(self.address_edit.text())
        except ValueError as exc:
            self.message.setText(f"Not added: {exc}.")
            return
        if any(w.id.lower() == address.lower() and w.exchange == exchange for w in self.wallets):
            self.message.setText("This wallet is already watched.")
            return
        label = self.label_edit.text().strip() or f"{address[:6]}…{address[-4:]}"
        self.wallets.append(AccountInfo(address, label, exchange))
        self.address_edit.clear()
        self.label_edit.clear()
        self.message.setText(f"Watching {label}: its positions appear on the chart after the next fetch.")
        self._save()
        self._refresh_list()

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        gone = self.wallets.pop(row)
        self.message.setText(f"Removed {gone.label}.")
        self._save()
        self._refresh_list()
