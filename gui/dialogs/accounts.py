"""Settings → Exchange accounts: add, test, rename and remove a read-only API key per exchange.

Keys go only to the OS keyring through ``CredentialStore``; QSettings gets ``AccountInfo.to_dict()``
(id, label, exchange) and nothing else. Every keyring call and every signed request runs on a worker
thread (a Secret Service may wait for an unlock prompt; an exchange may take seconds). Without a usable
keyring the dialog explains why and disables the account features: there is no plaintext fallback.
"""

from __future__ import annotations

from typing import Any, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from gui.positions.saved import load_accounts, save_accounts
from gui.positions.tasks import run_task
from market import accounts
from market.credentials import EXCHANGES, AccountInfo, AccountNotFound, ApiSecret, CredentialStore
from market.series import EXCHANGE_NAMES
from market.venues import needs_passphrase

STATUS_TITLES = {
    "accepted": "Accepted",
    "rejected_key": "Rejected key",
    "wrong_passphrase": "Wrong passphrase",
    "ip_not_whitelisted": "IP not whitelisted",
    "clock_skew": "Clock skew",
    "timeout": "Timeout",
    "error": "Error",
}
READ_ONLY_HINT = (
    "Cascade only reads positions and balances. Create a <b>read-only</b> API key (no trading, no withdrawals), "
    "ideally restricted to this computer's IP address."
)


def plain_message(message: str, warning: str | None = None) -> str:
    """The exchange result as the dialog shows it: "Binance — …" instead of "binance: …", and without the
    permission warning (the dialog shows that on its own line)."""
    if warning and message.endswith(warning):
        message = message[: -len(warning)].rstrip(" .")
    head, sep, rest = message.partition(": ")
    if sep and head in EXCHANGE_NAMES:
        return f"{EXCHANGE_NAMES[head]} — {rest}"
    return message


def _secret_field(placeholder: str) -> QtWidgets.QLineEdit:
    edit = QtWidgets.QLineEdit()
    edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    # Keep secrets out of the clipboard and input-method history.
    edit.setInputMethodHints(QtCore.Qt.InputMethodHint.ImhHiddenText | QtCore.Qt.InputMethodHint.ImhNoPredictiveText | QtCore.Qt.InputMethodHint.ImhSensitiveData)
    edit.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.NoContextMenu)
    return edit


class AccountsDialog(QtWidgets.QDialog):
    accounts_changed = QtCore.Signal(object)  # tuple[AccountInfo, ...], after QSettings was written
    test_finished = QtCore.Signal(object)  # accounts.ConnectionResult
    keyring_checked = QtCore.Signal(bool)

    def __init__(self, settings: QtCore.QSettings, store: Optional[CredentialStore] = None, urls_override: Any = None,
                 parent: Optional[QtWidgets.QWidget] = None, timeout_s: float = 10.0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Exchange accounts")
        self.setObjectName("accountsDialog")
        self.settings = settings
        self.store = store or CredentialStore()
        self.urls_override = urls_override
        self.timeout_s = timeout_s
        self.accounts: list[AccountInfo] = load_accounts(settings)
        self.keyring_ok: Optional[bool] = None  # None while checking
        self.busy = False
        self.writing = False  # a keyring write is in flight: closing now could orphan its entry
        self._tasks: list[Any] = []

        self.keyring_label = QtWidgets.QLabel("Checking the system keyring…")
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setWordWrap(True)
        hint = QtWidgets.QLabel(READ_ONLY_HINT)
        hint.setWordWrap(True)

        self.list = QtWidgets.QListWidget()
        self.list.setMinimumHeight(90)
        self.list.currentRowChanged.connect(self._on_selected)
        self.rename_edit = QtWidgets.QLineEdit()
        self.rename_edit.setPlaceholderText("New name")
        self.rename_button = QtWidgets.QPushButton("Rename")
        self.rename_button.clicked.connect(lambda: self.rename_selected(self.rename_edit.text()))
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.test_selected_button = QtWidgets.QPushButton("Test connection")
        self.test_selected_button.clicked.connect(self.test_selected)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.rename_edit, 1)
        row.addWidget(self.rename_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.test_selected_button)
        saved_box = QtWidgets.QGroupBox("Saved accounts")
        saved_lay = QtWidgets.QVBoxLayout(saved_box)
        saved_lay.addWidget(self.list)
        saved_lay.addLayout(row)

        self.exchange = QtWidgets.QComboBox()
        for ex in EXCHANGES:
            self.exchange.addItem(EXCHANGE_NAMES.get(ex, ex), ex)
        self.exchange.currentIndexChanged.connect(self._on_exchange)
        self.label_edit = QtWidgets.QLineEdit()
        self.label_edit.setPlaceholderText("e.g. Main futures account")
        self.key_edit = _secret_field("API key")
        self.secret_edit = _secret_field("Secret key")
        self.passphrase_edit = _secret_field("Passphrase (OKX)")
        self.passphrase_label = QtWidgets.QLabel("Passphrase")
        self.test_new_button = QtWidgets.QPushButton("Test connection")
        self.test_new_button.clicked.connect(self.test_fields)
        self.add_button = QtWidgets.QPushButton("Add account")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.add_account)
        add_box = QtWidgets.QGroupBox("Add a read-only API key")
        form = QtWidgets.QFormLayout(add_box)
        form.addRow("Exchange", self.exchange)
        form.addRow("Name", self.label_edit)
        form.addRow("API key", self.key_edit)
        form.addRow("Secret", self.secret_edit)
        form.addRow(self.passphrase_label, self.passphrase_edit)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_new_button)
        buttons.addWidget(self.add_button)
        form.addRow(buttons)
        self.add_box = add_box
        self.saved_box = saved_box

        self.result_label = QtWidgets.QLabel("")
        self.result_label.setObjectName("testResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning_label = QtWidgets.QLabel("")
        self.warning_label.setObjectName("keyWarning")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)

        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.keyring_label)
        lay.addWidget(hint)
        lay.addWidget(saved_box)
        lay.addWidget(add_box)
        lay.addWidget(self.result_label)
        lay.addWidget(self.warning_label)
        lay.addWidget(close)
        self.resize(560, 520)
        self._fill_list()
        self._on_exchange()
        self._update_enabled()
        self._check_keyring()

    # -- state ----------------------------------------------------------------------------------
    def _palette_color(self, name: str) -> str:
        theme = getattr(self.parent(), "theme", None)
        return getattr(theme, name, {"error": "#ff5c5c", "warning": "#f5a623", "up": "#26a69a"}.get(name, "#888"))

    def _update_enabled(self) -> None:
        ok = bool(self.keyring_ok) and not self.busy
        has_sel = self.selected() is not None
        self.add_box.setEnabled(ok)
        self.add_button.setEnabled(ok)
        self.test_new_button.setEnabled(ok)
        for w in (self.rename_button, self.remove_button, self.test_selected_button, self.rename_edit):
            w.setEnabled(ok and has_sel)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_enabled()

    def _fill_list(self) -> None:
        row = self.list.currentRow()
        self.list.clear()
        for a in self.accounts:
            self.list.addItem(f"{EXCHANGE_NAMES.get(a.exchange, a.exchange)} — {a.label}")
        if self.accounts:
            self.list.setCurrentRow(min(max(row, 0), len(self.accounts) - 1))

    def selected(self) -> Optional[AccountInfo]:
        row = self.list.currentRow()
        return self.accounts[row] if 0 <= row < len(self.accounts) else None

    def _on_selected(self, _row: int) -> None:
        a = self.selected()
        self.rename_edit.setText(a.label if a else "")
        self._update_enabled()

    def _on_exchange(self, *_args) -> None:
        needed = needs_passphrase(self.exchange.currentData())
        self.passphrase_edit.setVisible(needed)
        self.passphrase_label.setVisible(needed)

    def _show(self, text: str, color: Optional[str] = None) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"color: {color};" if color else "")

    def _persist(self) -> None:
        save_accounts(self.settings, self.accounts)
        self.accounts_changed.emit(tuple(self.accounts))

    def _run(self, fn, on_done, on_failed, writes: bool = False) -> None:
        self._set_busy(True)
        self.writing = writes

        def done(value):
            self.writing = False
            self._set_busy(False)
            on_done(value)

        def failed(message: str):
            self.writing = False
            self._set_busy(False)
            on_failed(message)

        self._tasks.append(run_task(fn, done, failed, self))

    # -- keyring ----------------------------------------------------------------------------------
    def _check_keyring(self) -> None:
        store = self.store
        self.busy = True
        self._tasks.append(run_task(store.available, self._on_keyring, lambda msg: self._on_keyring((False, msg)), self))

    def _on_keyring(self, outcome) -> None:
        ok, text = outcome
        self.keyring_ok = bool(ok)
        self.busy = False
        if ok:
            self.keyring_label.setText(f"{text}. Cascade never writes a key to a file.")
            self.keyring_label.setStyleSheet("")
        else:
            where = "" if "file" in text else (
                " Cascade keeps API keys only in the operating system's keyring (GNOME Keyring / KWallet on Linux, "
                "Keychain on macOS, Credential Manager on Windows), never in a file."
            )
            self.keyring_label.setText(
                f"<b>Exchange accounts are disabled:</b> {text[0].upper() + text[1:]}.{where}<br>"
                "What-if positions (Settings → What-if position…) work without a key."
            )
            self.keyring_label.setStyleSheet(f"color: {self._palette_color('error')};")
        self._update_enabled()
        self.keyring_checked.emit(self.keyring_ok)

    # -- actions ----------------------------------------------------------------------------------
    def _field_secret(self) -> ApiSecret:
        exchange = self.exchange.currentData()
        return ApiSecret(self.key_edit.text().strip(), self.secret_edit.text().strip(),
                         self.passphrase_edit.text() if needs_passphrase(exchange) else "")

    def _clear_secret_fields(self) -> None:
        for edit in (self.key_edit, self.secret_edit, self.passphrase_edit):
            edit.clear()

    def add_account(self) -> None:
        exchange = self.exchange.currentData()
        label = self.label_edit.text().strip() or f"{EXCHANGE_NAMES.get(exchange, exchange)} account"
        secret = self._field_secret()
        if not secret.key or not secret.secret:
            self._show("Enter both the API key and the secret.", self._palette_color("error"))
            return
        if needs_passphrase(exchange) and not secret.passphrase:
            self._show(f"An {EXCHANGE_NAMES.get(exchange, exchange)} API key needs its passphrase.", self._palette_color("error"))
            return
        info = AccountInfo.new(label, exchange)
        store = self.store

        def added(_none) -> None:
            self._clear_secret_fields()
            self.label_edit.clear()
            self.accounts.append(info)
            self._persist()
            self._fill_list()
            self.list.setCurrentRow(len(self.accounts) - 1)
            self._show(f"Added “{info.label}”: its key is in the system keyring.", None)

        self._run(lambda: store.add(info, secret), added, lambda msg: self._show(f"Could not store the key: {msg}", self._palette_color("error")), writes=True)

    def rename_selected(self, new_label: str) -> None:
        account = self.selected()
        if account is None:
            return
        if not new_label.strip():
            self._show("An account needs a name.", self._palette_color("error"))
            return
        store = self.store

        def renamed(updated: AccountInfo) -> None:
            self.accounts = [updated if a.id == updated.id else a for a in self.accounts]
            self._persist()
            self._fill_list()
            self._show(f"Renamed to “{updated.label}”.")

        self._run(lambda: store.rename(account, new_label), renamed, lambda msg: self._show(f"Could not rename: {msg}", self._palette_color("error")))

    def remove_selected(self) -> None:
        account = self.selected()
        if account is None:
            return
        store = self.store

        def remove():
            try:
                store.remove(account.id)
            except AccountNotFound:
                pass  # already gone from the keyring: removing it from the list is still right

        def removed(_none) -> None:
            self.accounts = [a for a in self.accounts if a.id != account.id]
            self._persist()
            self._fill_list()
            self._on_selected(self.list.currentRow())
            self._show(f"Removed “{account.label}” and deleted its key from the keyring.")

        self._run(remove, removed, lambda msg: self._show(f"Could not remove: {msg}", self._palette_color("error")), writes=True)

    def test_fields(self) -> None:
        """Test the key typed into the form (before adding it)."""
        exchange = self.exchange.currentData()
        secret = self._field_secret()
        if not secret.key or not secret.secret:
            self._show("Enter the API key and the secret to test them.", self._palette_color("error"))
            return
        info = AccountInfo("untested", "untested", exchange)
        urls, timeout = self.urls_override, self.timeout_s
        self._start_test(lambda: accounts.test_connection(info, secret, urls, timeout), EXCHANGE_NAMES.get(exchange, exchange))

    def test_selected(self) -> None:
        """Test a saved account (its key is read from the keyring on the worker thread)."""
        account = self.selected()
        if account is None:
            return
        store, urls, timeout = self.store, self.urls_override, self.timeout_s
        self._start_test(lambda: accounts.test_connection(account, store.get_secret(account.id), urls, timeout), account.label)

    def _start_test(self, fn, what: str) -> None:
        self._show(f"Testing {what}…")
        self.warning_label.hide()
        self._run(fn, self._on_tested, lambda msg: self._show(f"Error: {msg}", self._palette_color("error")))

    def _on_tested(self, result) -> None:
        title = STATUS_TITLES.get(result.status, result.status)
        color = self._palette_color("up") if result.ok else self._palette_color("error")
        warning = result.warning
        self._show(f"{title}: {plain_message(result.message, warning)}", color)
        if warning:
            self.warning_label.setText(f"⚠ {warning}")
            self.warning_label.setStyleSheet(f"color: {self._palette_color('warning')}; font-weight: bold;")
            self.warning_label.show()
        elif result.ok and result.can_trade is False and result.can_withdraw is not True:
            self.warning_label.setText("Read-only key: it cannot trade or withdraw.")
            self.warning_label.setStyleSheet("")
            self.warning_label.show()
        self.test_finished.emit(result)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self.writing:
            # The keyring is being written: closing now would lose the account list entry for it.
            self._show("Still saving to the keyring: close the dialog when it is done.")
            event.ignore()
            return
        self._clear_secret_fields()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Close button, Escape: same rule as closing the window
        if self.writing:
            self._show("Still saving to the keyring: close the dialog when it is done.")
            return
        self._clear_secret_fields()
        super().done(result)
