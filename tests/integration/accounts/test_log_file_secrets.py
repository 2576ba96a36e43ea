"""The log file holds no secret: every private call against the fake exchange, with DEBUG on for every
logger, through the real rotating log file (market.logs), then the file is searched for the planted key,
secret and passphrase in every spelling a log line could carry them."""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.parse

import pytest

from market import accounts, logs
from market.credentials import AccountInfo, ApiSecret, CredentialStore
from tests.fake_exchange.private import ApiKey, PrivateFakeServer, PrivateState
from tests.unit.positions.memory_keyring import MemoryKeyring

KEY = "LOGKEY-7f3a9c21d0"
SECRET = "LOG-SECRET-5e4d3c2b1a"
# An OKX passphrase with both quote kinds and a backslash: each is escaped differently by repr, JSON and
# URL encoding, so a scrubber that only knows the plain text misses it.
PASSPHRASE = 'pa"ss\'ph\\rase-LOG-271828'


def spellings(secret: str) -> set[str]:
    return {
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        secret.replace("\\", "\\\\"),
    }


@pytest.fixture
def log_file(tmp_path):
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    path = logs.setup_logging(logging.DEBUG, tmp_path)
    yield path
    for h in list(root.handlers):
        if h not in saved[1]:
            root.removeHandler(h)
            h.close()
    root.setLevel(saved[0])


def test_every_private_call_at_debug_leaves_no_secret_in_the_log_file(log_file, monkeypatch):
    state = PrivateState(keys=[ApiKey(KEY, SECRET, PASSPHRASE)])
    store = CredentialStore(backend=MemoryKeyring())
    log = logging.getLogger("market.test")
    with PrivateFakeServer(state) as srv:
        urls = srv.url_overrides()
        for exchange in ("binance", "okx", "bybit"):
            account = AccountInfo.new(f"my {exchange}", exchange)
            store.add(account, ApiSecret(KEY, SECRET, PASSPHRASE))
            secret = store.get_secret(account.id)
            log.debug("loaded %s for %r", secret, account)
            assert accounts.test_connection(account, secret, urls, timeout_s=5).ok
            accounts.fetch_positions(account, secret, urls, timeout_s=5)
            accounts.fetch_balance(account, secret, urls, timeout_s=5)
            if exchange == "binance":
                accounts.fetch_brackets(account, secret, urls_override=urls, timeout_s=5)
            # Failures log too: a wrong secret, a wrong passphrase.
            accounts.test_connection(account, ApiSecret(KEY, SECRET + "x", PASSPHRASE), urls, timeout_s=5)
            if exchange == "okx":
                accounts.test_connection(account, ApiSecret(KEY, SECRET, PASSPHRASE + "x"), urls, timeout_s=5)
            store.remove(account.id)
    # A crash whose message quotes the passphrase: the excepthook writes the traceback to the same file.
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    logs.install_excepthooks()

    def crash() -> None:
        raise ValueError(f"could not parse {PASSPHRASE!r} in {SECRET}")

    t = threading.Thread(target=crash, name="crashing")
    t.start()
    t.join()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "GET" in text or "POST" in text, "ccxt's request lines should be in a DEBUG log: else this proves nothing"
    assert "ValueError: could not parse" in text and "Traceback" in text
    for planted in (KEY, SECRET, PASSPHRASE):
        for form in spellings(planted):
            assert form not in text, f"a secret ({planted[:6]}…) is in the log file as {form!r}"
