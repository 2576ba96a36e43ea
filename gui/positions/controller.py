"""PositionsController: the positions feature inside the main window.

Adds Settings → Exchange accounts… / What-if position…, draws the overlay on the price chart and the
liquidation map, keeps it in step with each analytics result (price, map, symbol), and runs the
PositionsWorker (a superqt worker) while accounts exist. Only the window's public surface is used
(menuBar, terminal.price/liqmap, result_applied, settings, theme, actions_by_name, statusBar).
"""

from __future__ import annotations

import time
from typing import Any, Optional

from PySide6 import QtCore, QtWidgets

from gui.positions.describe import from_position, from_what_if
from gui.positions.overlay import PositionOverlay
from gui.positions.saved import load_accounts, load_what_ifs
from gui.positions.worker import DEFAULT_INTERVAL_MS, PositionsUpdate, PositionsWorker
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

    def __init__(self, win, store: Optional[CredentialStore] = None, urls_override: Any = None,
                 interval_ms: int = DEFAULT_INTERVAL_MS, timeout_s: float = 10.0) -> None:
        super().__init__(win)
        self.win = win
        self.settings: QtCore.QSettings = win.settings
        self.store = store or CredentialStore()
        self.urls_override = urls_override
        self.interval_ms = interval_ms
        self.timeout_s = timeout_s
        self.overlay = PositionOverlay(win.terminal.price, win.terminal.liqmap, win.theme)
        self.accounts: tuple[AccountInfo, ...] = tuple(load_accounts(self.settings))
        self.what_ifs = tuple(load_what_ifs(self.settings))
        self.last_update: Optional[PositionsUpdate] = None
        self.worker: Optional[PositionsWorker] = None
        self._retired: list[PositionsWorker] = []  # stopping, not yet finished
        self.accounts_dialog = None
        self.what_if_dialog = None

        self._add_menu()
        win.result_applied.connect(self._on_result)
        actions = getattr(win, "actions_by_name", {})
        if "log_scale" in actions:
            actions["log_scale"].toggled.connect(lambda _on: self.overlay.redraw())
        if "theme_light" in actions:
            actions["theme_light"].toggled.connect(lambda _on: self.overlay.apply_theme(self.win.theme))
        win.installEventFilter(self)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.overlay.set_what_ifs([from_what_if(i, w) for i, w in enumerate(self.what_ifs)])
        if self.accounts:
            self._start_worker()

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
        self.set_what_ifs(load_what_ifs(self.settings))
        self.overlay.set_real([], [])
        if self.accounts:
            self._start_worker()

    # -- menu and dialogs ---------------------------------------------------------------------------
    def _add_menu(self) -> None:
        bar = self.win.menuBar()
        menu = next((a.menu() for a in bar.actions() if a.menu() is not None and a.text().replace("&", "") == "Settings"), None)
        if menu is None:
            # Before Help, where desktop conventions put it.
            help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
            menu = QtWidgets.QMenu("&Settings", bar)
            if help_action is not None:
                bar.insertMenu(help_action, menu)
            else:
                bar.addMenu(menu)
        self.menu = menu
        self.accounts_action = menu.addAction("Exchange &accounts…")
        self.accounts_action.triggered.connect(lambda _c=False: self.open_accounts())
        self.what_if_action = menu.addAction("&What-if position…")
        self.what_if_action.triggered.connect(lambda _c=False: self.open_what_if())
        self.refresh_action = menu.addAction("&Refresh positions now")
        self.refresh_action.triggered.connect(lambda _c=False: self.refresh())
        self.refresh_action.setEnabled(False)  # until an account is connected
        named = getattr(self.win, "actions_by_name", None)
        if isinstance(named, dict):
            named["accounts"] = self.accounts_action
            named["what_if"] = self.what_if_action
            named["refresh_positions"] = self.refresh_action

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
        if not self.accounts:
            self._stop_worker(wait=False)
            self.overlay.set_real([], [])
            return
        if self.worker is None:
            self._start_worker()
        else:
            self.worker.set_accounts(self.accounts)

    def refresh(self) -> None:
        if self.worker is not None:
            self.worker.refresh()

    def _start_worker(self) -> None:
        self.refresh_action.setEnabled(True)
        self.worker = PositionsWorker(self.store, self.accounts, self.interval_ms, self.urls_override, self.timeout_s)
        self.worker.updated.connect(self._on_update)
        self.worker.start()

    def _stop_worker(self, wait: bool = True) -> None:
        """Stop fetching. ``wait=False`` (from a dialog) returns at once: a fetch in flight may take up to
        its timeout, and the GUI thread must not wait for it; the thread ends after that round."""
        self.refresh_action.setEnabled(False)
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.request_stop()
            self._retired.append(worker)
        if wait:
            for old in self._retired:
                old.stop()
        self._retired = [w for w in self._retired if w.running]

    def _on_update(self, update: PositionsUpdate) -> None:
        if self.worker is None or self.sender() is not self.worker:
            return  # a round from a worker that was stopped meanwhile
        self.last_update = update
        known = {a.id for a in self.accounts}
        shown = [from_position(a, p) for a, p in update.positions() if a.id in known]
        errors = [f"{a.label} ({a.exchange}): {msg}" for a, msg in update.errors() if a.id in known]
        balances = [balance_line(s.account, s.balance, s.fetched_at) for s in update.accounts if s.balance is not None and s.account.id in known]
        self.overlay.set_real(shown, errors, balances)
        if errors:
            self.win.statusBar().showMessage("Positions: " + errors[0], 10_000)
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
