"""A whole headless account session with a recognizable fake secret: the secret (and the key and the
passphrase) must appear in no log record, no stdout/stderr line and no exception text or traceback."""

from __future__ import annotations

import logging
import traceback

import pytest
from keyring.backends import fail

from market import accounts
from market.credentials import AccountInfo, ApiSecret, CredentialError, CredentialStore
from tests.fake_exchange.private import ApiKey, PrivateFakeServer, PrivateState
from tests.unit.positions.memory_keyring import MemoryKeyring

CANARY_KEY = "CANARYKEY-4b1d9e0f77a2"
CANARY_SECRET = "CANARY-SECRET-9f8e7d6c5b4a"
CANARY_PASS = "CANARY-PASS-314159"
CANARIES = (CANARY_KEY, CANARY_SECRET, CANARY_PASS)
LOGGERS = ("", "ccxt", "ccxt.base.exchange", "aiohttp", "aiohttp.client", "aiohttp.server", "aiohttp.access", "aiohttp.web", "asyncio", "market", "keyring")


def _texts_of(exc: BaseException) -> list[str]:
    out = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for attr in ("__cause__", "__context__"):
        inner = getattr(exc, attr)
        if inner is not None:
            out += _texts_of(inner)
    return out


def test_whole_session_leaks_no_secret(caplog, capsys):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    texts: list[str] = []
    state = PrivateState(keys=[ApiKey(CANARY_KEY, CANARY_SECRET, CANARY_PASS)])
    backend = MemoryKeyring()
    store = CredentialStore(backend=backend)
    results = []
    with PrivateFakeServer(state) as srv:
        urls = srv.url_overrides()
        for exchange in ("binance", "okx", "bybit"):
            account = AccountInfo.new(f"my {exchange}", exchange)
            store.add(account, ApiSecret(CANARY_KEY, CANARY_SECRET, CANARY_PASS))
            secret = store.get_secret(account.id)
            texts += [repr(secret), str(secret), repr(account), str(account.to_dict())]
            logging.getLogger("market").debug("loaded %s for %r", secret, account)

            results.append(accounts.test_connection(account, secret, urls, timeout_s=5))
            results.append(accounts.fetch_positions(account, secret, urls, timeout_s=5))
            results.append(accounts.fetch_balance(account, secret, urls, timeout_s=5))

            # provoke every failure: wrong secret, wrong passphrase, clock skew, IP, timeout
            wrong = ApiSecret(CANARY_KEY, CANARY_SECRET + "-x", CANARY_PASS)
            results.append(accounts.test_connection(account, wrong, urls, timeout_s=5))
            if exchange == "okx":
                results.append(accounts.test_connection(account, ApiSecret(CANARY_KEY, CANARY_SECRET, "nope"), urls, timeout_s=5))
            for setting, value in (("clock_offset_ms", 120_000), ("ip_whitelisted", False), ("delay_s", 0.8)):
                default = getattr(state, setting)
                setattr(state, setting, value)
                try:
                    results.append(accounts.test_connection(account, secret, urls, timeout_s=0.3 if setting == "delay_s" else 5))
                    with pytest.raises(accounts.AccountError) as info:
                        accounts.fetch_positions(account, secret, urls, timeout_s=0.3 if setting == "delay_s" else 5)
                    texts += _texts_of(info.value)
                finally:
                    setattr(state, setting, default)
            with pytest.raises(accounts.AccountError) as info:
                accounts.fetch_positions(account, wrong, urls, timeout_s=5)
            texts += _texts_of(info.value)
            store.remove(account.id)

        # an unreachable exchange (closed port) and the no-keyring path
        gone = AccountInfo.new("gone", "binance")
        with pytest.raises(accounts.AccountError) as info:
            accounts.fetch_positions(gone, ApiSecret(CANARY_KEY, CANARY_SECRET), "http://127.0.0.1:9", timeout_s=2)
        texts += _texts_of(info.value)
    with pytest.raises(CredentialError) as info:
        CredentialStore(backend=fail.Keyring()).add(AccountInfo.new("x", "okx"), ApiSecret(CANARY_KEY, CANARY_SECRET, CANARY_PASS))
    texts += _texts_of(info.value)

    statuses = {r.status for r in results if isinstance(r, accounts.ConnectionResult)}
    assert statuses == {"accepted", "rejected_key", "wrong_passphrase", "clock_skew", "ip_not_whitelisted", "timeout"}
    assert any(isinstance(r, list) and r for r in results)  # positions did arrive

    texts += [repr(r) for r in results]
    texts += [caplog.text] + [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    # ccxt's request logging did run (through the scrubbing logger) and kept its shape
    ccxt_lines = [r.getMessage() for r in caplog.records if r.name == "market.accounts.ccxt"]
    assert any("'X-BAPI-API-KEY': '[redacted]'" in line for line in ccxt_lines)
    assert any("'OK-ACCESS-PASSPHRASE': '[redacted]'" in line for line in ccxt_lines)
    for canary in CANARIES:
        leaks = [t for t in texts if canary in t]
        assert not leaks, f"{canary[:10]}… leaked in: {leaks[0][:300]}"


def test_scrub_masks_values_headers_and_signatures():
    text = (
        "GET http://x/fapi/v3/account?timestamp=1&signature=abcdef0123, Request: {'X-MBX-APIKEY': 'k-not-listed', "
        "'OK-ACCESS-PASSPHRASE': \"p-not-listed\"} body " + CANARY_SECRET + " and " + CANARY_KEY
    )
    out = accounts.scrub(text, (CANARY_SECRET, CANARY_KEY))
    for gone in (CANARY_SECRET, CANARY_KEY, "abcdef0123", "k-not-listed", "p-not-listed"):
        assert gone not in out
    assert "signature=[redacted]" in out and "'X-MBX-APIKEY': '[redacted]'" in out
    assert "the signature does not match" == accounts.scrub("the signature does not match", ())


def test_scrubbing_logger_formats_then_scrubs(caplog):
    from market.accounts.scrub import ScrubbingLogger

    caplog.set_level(logging.DEBUG, logger="market.accounts.ccxt")
    lg = ScrubbingLogger(logging.getLogger("market.accounts.ccxt"), (CANARY_PASS,))
    lg.debug("%s %s, Request: %s %s", "GET", "http://x", {"OK-ACCESS-PASSPHRASE": CANARY_PASS}, None)
    lg.warning("plain " + CANARY_PASS)
    assert len(caplog.records) == 2 and CANARY_PASS not in caplog.text
    assert "GET http://x, Request: {'OK-ACCESS-PASSPHRASE': '[redacted]'} None" == caplog.records[0].getMessage()
