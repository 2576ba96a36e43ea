"""PositionsController: the positions feature inside the main window.

Adds Settings → Exchange accounts… / What-if position…, draws the overlay on the price chart and the
liquidation map, keeps it in step with each analytics result (price, map, symbol), and runs the
PositionsWorker in its own thread while accounts exist. It talks to the window's services only (the
Settings menu by id, actions, settings, theme, result_applied, the status line, the chart's panels).
"""

from __future__ import annotations

import time
from typing import Any, Optional

from PySide6 import QtCore, QtWidgets

from gui.positions.describe import from_position, from_what_if
from gui.positions.overlay import PositionOverlay
from gui.positions.saved import load_accounts, load_wallets, load_what_ifs
from gui.services import WindowServices
from gui.positions.worker import DEFAULT_INTERVAL_MS, PositionsUpdate, PositionsWorker
from gui.workers import WorkerThread
from market.credentials import AccountInfo, CredentialStore
from market.series import EXCHANGE_NAMES


def balance_line(account: AccountInfo, balance, fetched_at: Optional[float] = None) -> str:
    venue = EXCHANGE_NAMES.get(account.exchange, account.exchange)
    text = f"{venue} · {account.label}: wallet {balance.wallet:,.2f} {balance.currency}"
    if balance.equity is not None:
        text += f" · equity {balance.equity:,.2f}"
    if balance.available is not None:
        text += f" · available {balance.available:,.2f}"
    if fetched_at:
        text += f" · updated {time.strftime('%H:%M:%S', time.localtime(fetched_at))}"
    return text


class PositionsController(QtCore.QObject):
    update_applied = QtCore.Signal(object)  # PositionsUpdate, after the overlay drew it

    def __init__(self, sv: WindowServices, store: Optional[CredentialStore] = None, urls_override: Any = None,
                 interval_ms: int = DEFAULT_INTERVAL_MS, timeout_s: float = 10.0) -> None:
        super().__init__(sv)
        self.services = sv
        self.win = sv.parent_widget  # the dialogs' parent; its close stops the worker
        self.settings: QtCore.QSettings = sv.settings
        self.store = store or CredentialStore()
        self.urls_override = urls_override
        self.interval_ms = interval_ms
        self.timeout_s = timeout_s
        self.overlay = PositionOverlay(sv.terminal.price, sv.terminal.liqmap, sv.theme)
        self.accounts: tuple[AccountInfo, ...] = tuple(load_accounts(self.settings))
        self.wallets: tuple[AccountInfo, ...] = tuple(load_wallets(self.settings))  # public addresses, no key
        self.what_ifs = tuple(load_what_ifs(self.settings))
        self.last_update: Optional[PositionsUpdate] = None
        self.worker: Optional[PositionsWorker] = None
        self.thread: Optional[WorkerThread] = None
        self._retired: list[tuple[PositionsWorker, WorkerThread]] = []  # stopping, not yet finished
        self.accounts_dialog = None
        self.what_if_dialog = None
        self.wallets_dialog = None

        self._add_menu()
        sv.result_applied.connect(self._on_result)
        actions = sv.actions
        if "log_scale" in actions:
            actions["log_scale"].toggled.connect(lambda _on: self.overlay.redraw())
        if "theme_light" in actions:
            actions["theme_light"].toggled.connect(lambda _on: self.overlay.apply_theme(self.services.theme))
        self.win.installEventFilter(self)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.overlay.set_what_ifs([from_what_if(i, w) for i, w in enumerate(self.what_ifs)])
        if self.watched():
            self._start_worker()

    def watched(self) -> tuple[AccountInfo, ...]:
        """What the worker fetches: the key accounts and the wallet addresses."""
        return self.accounts + self.wallets

    def configure(self, store: Optional[CredentialStore] = None, urls_override: Any = None, interval_ms: Optional[int] = None) -> None:
        """Use another keyring store / exchange address / interval (tests, demos) and reload the saved
        accounts and what-ifs from the settings; the worker restarts if there are accounts."""
        self._stop_worker(wait=True)
        if store is not None:
            self.store = store
        if urls_override is not None:
            self.urls_override = urls_override
        if interval_ms:
            self.interval_ms = int(interval_ms)
        self.accounts = tuple(load_accounts(self.settings))
        self.wallets = tuple(load_wallets(self.settings))
        self.set_what_ifs(load_what_ifs(self.settings))
        self.overlay.set_real([], [])
        if self.watched():
            self._start_worker()

    # -- menu and dialogs ---------------------------------------------------------------------------
    def _add_menu(self) -> None:
        menu = self.menu = self.services.menu("settings")  # before Help, where desktop conventions put it
        self.accounts_action = menu.addAction("Exchange &accounts…")
        self.accounts_action.triggered.connect(lambda _c=False: self.open_accounts())
        self.what_if_action = menu.addAction("&What-if position…")
        self.what_if_action.triggered.connect(lambda _c=False: self.open_what_if())
        self.wallets_action = menu.addAction("Wa&llet addresses…")
        self.wallets_action.triggered.connect(lambda _c=False: self.open_wallets())
        self.refresh_action = menu.addAction("&Refresh positions now")
        self.refresh_action.triggered.connect(lambda _c=False: self.refresh())
        self.refresh_action.setEnabled(False)  # until an account is connected
        for name, action in (("accounts", self.accounts_action), ("what_if", self.what_if_action), ("wallets", self.wallets_action),
                             ("refresh_positions", self.refresh_action)):
            self.services.add_action(None, name, action)

    def open_accounts(self):
        from gui.dialogs.accounts import AccountsDialog

        if self.accounts_dialog is None:
            self.accounts_dialog = AccountsDialog(self.settings, self.store, self.urls_override, self.win, self.timeout_s)
            self.accounts_dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            self.accounts_dialog.accounts_changed.connect(self.set_accounts)
            self.accounts_dialog.finished.connect(self._forget_accounts_dialog)
        self.accounts_dialog.show()
        self.accounts_dialog.raise_()
        return self.accounts_dialog

    def open_wallets(self):
        from gui.positions.wallets import WalletsDialog

        if self.wallets_dialog is None:
            self.wallets_dialog = WalletsDialog(self.settings, self.win)
            self.wallets_dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            self.wallets_dialog.wallets_changed.connect(self.set_wallets)
            self.wallets_dialog.finished.connect(lambda *_: setattr(self, "wallets_dialog", None))
        self.wallets_dialog.show()
        self.wallets_dialog.raise_()
        return self.wallets_dialog

    def _forget_accounts_dialog(self, *_args) -> None:
        self.accounts_dialog = None

    def account_wallet(self) -> Optional[float]:
        """The first connected account's USDT wallet balance (pre-fills a cross what-if), if known."""
        if self.last_update is None:
            return None
        return next((s.balance.wallet for s in self.last_update.accounts if s.balance is not None), None)

    def open_what_if(self):
        from gui.dialogs.whatif import WhatIfDialog

        if self.what_if_dialog is None:
            self.what_if_dialog = WhatIfDialog(self.settings, self.overlay.last_price, self.win, self.account_wallet())
            self.what_if_dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            self.what_if_dialog.what_ifs_changed.connect(self.set_what_ifs)
            self.what_if_dialog.finished.connect(lambda *_: setattr(self, "what_if_dialog", None))
        self.what_if_dialog.show()
        self.what_if_dialog.raise_()
        return self.what_if_dialog

    # -- data -----------------------------------------------------------------------------------
    def set_what_ifs(self, what_ifs) -> None:
        self.what_ifs = tuple(what_ifs)
        self.overlay.set_what_ifs([from_what_if(i, w) for i, w in enumerate(self.what_ifs)])

    def set_accounts(self, account_list) -> None:
        self.accounts = tuple(account_list)
        self._watch_changed()

    def set_wallets(self, wallets) -> None:
        self.wallets = tuple(wallets)
        self._watch_changed()

    def _watch_changed(self) -> None:
        if not self.watched():
            self._stop_worker(wait=False)
            self.overlay.set_real([], [])
            return
        if self.worker is None:
            self._start_worker()
        else:
            self.worker.set_accounts(self.watched())

    def refresh(self) -> None:
        if self.worker is not None:
            self.worker.refresh()

    def _start_worker(self) -> None:
        self.refresh_action.setEnabled(True)
        self.worker = PositionsWorker(self.store, self.watched(), self.interval_ms, self.urls_override, self.timeout_s)
        self.thread = WorkerThread(self.worker, "positions")
        self.worker.updated.connect(self._on_update)
        self.thread.start(self.worker.start)

    def _stop_worker(self, wait: bool = True) -> None:
        """Stop fetching. ``wait=False`` (from a dialog) returns at once: a fetch in flight may take up to
        its timeout, and the GUI thread must not wait for it; the thread ends after that round."""
        self.refresh_action.setEnabled(False)
        worker, thread = self.worker, self.thread
        self.worker = self.thread = None
        if worker is not None and thread is not None:
            worker.request_stop()
            self._retired.append((worker, thread))
            if thread.thread.isRunning():
                QtCore.QMetaObject.invokeMethod(worker, "stop_and_quit", QtCore.Qt.ConnectionType.QueuedConnection)
        if wait:
            for _worker, old in self._retired:
                old.thread.wait(int((self.timeout_s * 2 + 5) * 1000))
        self._retired = [(w, t) for w, t in self._retired if t.thread.isRunning()]

    def _on_update(self, update: PositionsUpdate) -> None:
        if self.worker is None or self.sender() is not self.worker:
            return  # a round from a worker that was stopped meanwhile
        self.last_update = update
        known = {a.id for a in self.watched()}
        shown = [from_position(a, p) for a, p in update.positions() if a.id in known]
        errors = [f"{a.label} ({a.exchange}): {msg}" for a, msg in update.errors() if a.id in known]
        balances = [balance_line(s.account, s.balance, s.fetched_at) for s in update.accounts if s.balance is not None and s.account.id in known]
        self.overlay.set_real(shown, errors, balances)
        if errors:
            self.services.status("Positions: " + errors[0], 10_000)
        self.update_applied.emit(update)

    def _on_result(self, result) -> None:
        chart = getattr(result, "chart", None)
        liq = getattr(result, "liquidity", None)
        price = getattr(chart, "last_close", None) if chart is not None else None
        self.overlay.set_market(getattr(chart, "symbol", None), price, liq.map if liq is not None else None)

    # -- lifetime -------------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        if watched is self.win and event.type() == QtCore.QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        self._stop_worker()
