"""PositionsWorker: fetches the connected accounts' positions and balances on an interval, in its own thread.

Each round reads every account's secret from the keyring (so a key removed meanwhile stops being used),
calls the exchange through ``market.accounts`` (blocking ccxt calls: fine here, never on the GUI thread)
and emits one frozen ``PositionsUpdate``. Failures become a scrubbed sentence per account.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from PySide6 import QtCore

from gui.positions.tasks import safe_message
from market.credentials import AccountInfo, CredentialStore

if TYPE_CHECKING:  # market.accounts (ccxt client, asyncio) is loaded by the first fetch, not at start-up
    from market.accounts import Balance, Position

DEFAULT_INTERVAL_MS = 30_000  # positions change slowly; well within every exchange's private rate limits


@dataclass(frozen=True)
class AccountSnapshot:
    account: AccountInfo
    positions: tuple["Position", ...]
    balance: Optional["Balance"]
    error: str  # "" when both calls worked; never contains a secret
    fetched_at: float  # time.time()


@dataclass(frozen=True)
class PositionsUpdate:
    accounts: tuple[AccountSnapshot, ...]
    round: int

    def positions(self) -> tuple[tuple[AccountInfo, "Position"], ...]:
        return tuple((s.account, p) for s in self.accounts for p in s.positions)

    def errors(self) -> tuple[tuple[AccountInfo, str], ...]:
        return tuple((s.account, s.error) for s in self.accounts if s.error)


def fetch_account(store: CredentialStore, account: AccountInfo, urls_override: Any = None, timeout_s: float = 10.0) -> AccountSnapshot:
    """One account's positions and balance (blocking). Never raises."""
    from market import accounts
    from market.venues import VENUES, load

    venue = VENUES.get(account.exchange)
    if venue is not None and venue.wallet:  # a public wallet address: no keyring, no key
        try:
            positions, balance = load(venue.wallet).fetch(account.id, urls_override, timeout_s)
            return AccountSnapshot(account, tuple(positions), balance, "", time.time())
        except Exception as exc:
            return AccountSnapshot(account, (), None, safe_message(exc), time.time())
    try:
        secret = store.get_secret(account.id)
        positions = tuple(accounts.fetch_positions(account, secret, urls_override, timeout_s))
        try:
            balance: Optional["Balance"] = accounts.fetch_balance(account, secret, urls_override, timeout_s)
        except accounts.AccountError as exc:
            # Positions without a balance are still worth drawing.
            return AccountSnapshot(account, positions, None, f"balance: {safe_message(exc)}", time.time())
        return AccountSnapshot(account, positions, balance, "", time.time())
    except Exception as exc:
        return AccountSnapshot(account, (), None, safe_message(exc), time.time())


class PositionsWorker(QtCore.QObject):
    """Lives in a QThread (gui.workers.WorkerThread). ``updated`` carries a PositionsUpdate."""

    updated = QtCore.Signal(object)
    _refresh_now = QtCore.Signal()

    def __init__(self, store: CredentialStore, account_list: tuple[AccountInfo, ...] = (), interval_ms: int = DEFAULT_INTERVAL_MS,
                 urls_override: Any = None, timeout_s: float = 10.0) -> None:
        super().__init__()
        self._store = store
        self._lock = threading.Lock()
        self._accounts = tuple(account_list)
        self._interval_ms = int(interval_ms)
        self._urls = urls_override
        self._timeout_s = timeout_s
        self._timer: Optional[QtCore.QTimer] = None
        self._stopped = threading.Event()
        self.rounds = 0
        self._refresh_now.connect(self.fetch_round, QtCore.Qt.ConnectionType.QueuedConnection)

    def set_accounts(self, account_list: tuple[AccountInfo, ...]) -> None:
        """Thread-safe: the next round uses these accounts; a round is started at once."""
        with self._lock:
            self._accounts = tuple(account_list)
        self._refresh_now.emit()

    def refresh(self) -> None:
        """Thread-safe: fetch now instead of waiting for the interval."""
        self._refresh_now.emit()

    @QtCore.Slot()
    def start(self) -> None:
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self.fetch_round)
        self._timer.start()
        self.fetch_round()

    @QtCore.Slot()
    def fetch_round(self) -> None:
        if self._stopped.is_set():
            return
        with self._lock:
            todo = self._accounts
        snaps = []
        for account in todo:
            if self._stopped.is_set():
                return
            snaps.append(fetch_account(self._store, account, self._urls, self._timeout_s))
        self.rounds += 1
        self.updated.emit(PositionsUpdate(tuple(snaps), self.rounds))

    def request_stop(self) -> None:
        self._stopped.set()

    @QtCore.Slot()
    def stop(self) -> None:
        self._stopped.set()
        if self._timer is not None:
            self._timer.stop()

    @QtCore.Slot()
    def stop_and_quit(self) -> None:
        """Queued from the GUI thread: runs after a round in flight, stops the timer in its own thread
        (Qt timers cannot be stopped from another one), then ends the thread's event loop."""
        self.stop()
        QtCore.QThread.currentThread().quit()
