"""PositionsWorker: fetches the connected accounts' positions and balances on an interval, in its own thread.

Each round reads every account's secret from the keyring (so a key removed meanwhile stops being used),
calls the exchange through ``market.accounts`` (blocking ccxt calls: fine here, never on the GUI thread)
and emits one frozen ``PositionsUpdate``. Failures become a scrubbed sentence per account.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator, Optional

from PySide6 import QtCore
from superqt.utils import GeneratorWorker, create_worker

from gui import threads
from gui.positions.tasks import safe_message
from market.credentials import AccountInfo, CredentialStore

if TYPE_CHECKING:  # market.accounts (ccxt client, asyncio) is loaded by the first fetch, not at start-up
    from market.accounts import Balance, Position

log = logging.getLogger(__name__)  # never given an exception's text: a ccxt error could quote a request

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
    """Rounds of fetches in a superqt generator worker (a pool thread of its own while it runs): each round
    is yielded and arrives in the GUI thread as ``updated`` (a PositionsUpdate)."""

    updated = QtCore.Signal(object)

    def __init__(self, store: CredentialStore, account_list: tuple[AccountInfo, ...] = (), interval_ms: int = DEFAULT_INTERVAL_MS,
                 urls_override: Any = None, timeout_s: float = 10.0) -> None:
        super().__init__()
        self._store = store
        self._lock = threading.Lock()
        self._accounts = tuple(account_list)
        self._interval_ms = int(interval_ms)
        self._urls = urls_override
        self._timeout_s = timeout_s
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._ended = threading.Event()
        self._ended.set()
        self._worker: Optional[GeneratorWorker] = None
        self.rounds = 0

    def set_accounts(self, account_list: tuple[AccountInfo, ...]) -> None:
        """Thread-safe: the next round uses these accounts; a round is started at once."""
        with self._lock:
            self._accounts = tuple(account_list)
        self._wake.set()

    def refresh(self) -> None:
        """Thread-safe: fetch now instead of waiting for the interval."""
        self._wake.set()

    def start(self) -> None:
        """The first round at once, then one per interval (returns at once)."""
        if self._worker is not None:
            return
        self._ended.clear()
        worker = create_worker(self._rounds, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self.updated)
        worker.errored.connect(lambda exc: log.error("positions worker failed (%s)", type(exc).__name__))
        self._worker = worker
        threads.start(worker, long_lived=True)

    def request_stop(self) -> None:
        """Thread-safe, returns at once: no round starts after this; a fetch in flight ends by its timeout."""
        self._stopped.set()
        self._wake.set()

    def stop(self, timeout_ms: Optional[int] = None) -> bool:
        """Stop and wait until the round in flight ended (default: twice the fetch timeout); True if it did."""
        self.request_stop()
        wait_s = timeout_ms / 1000.0 if timeout_ms is not None else self._timeout_s * 2 + 5
        return self._ended.wait(wait_s)

    @property
    def running(self) -> bool:
        return not self._ended.is_set()

    def _rounds(self) -> Generator[PositionsUpdate, None, None]:
        try:
            while not self._stopped.is_set():
                self._wake.clear()
                update = self.fetch_round()
                if update is None:
                    return
                yield update
                self._wake.wait(self._interval_ms / 1000.0)
        finally:
            self._ended.set()

    def fetch_round(self) -> Optional[PositionsUpdate]:
        """One round over every account (blocking); None when stopped meanwhile."""
        with self._lock:
            todo = self._accounts
        snaps = []
        for account in todo:
            if self._stopped.is_set():
                return None
            snaps.append(fetch_account(self._store, account, self._urls, self._timeout_s))
        if self._stopped.is_set():
            return None
        self.rounds += 1
        return PositionsUpdate(tuple(snaps), self.rounds)
