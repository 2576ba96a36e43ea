"""Every private call against the fake exchange, DEBUG logging on, with passphrases made of every special
character, while the fake echoes the passphrase it received in each error body, JSON-escaped (and spelled
\\uXXXX): no spelling of any secret may reach a log record, an exception's text or stdout/stderr."""

from __future__ import annotations

import logging
import traceback

import pytest

from market import accounts
from market.credentials import AccountInfo, ApiSecret
from tests.fake_exchange.private import ApiKey, PrivateFakeServer, PrivateState
from tests.unit.positions.secret_forms import ENCODINGS, PASSPHRASES

LOGGERS = ("", "ccxt", "ccxt.base.exchange", "aiohttp", "asyncio", "market")
# The forms of the secret itself (the wrappers of the other forms are not the secret).
OWN_FORMS = {
    "raw": ENCODINGS["raw"],
    "repr": lambda s: repr(s)[1:-1],
    "repr single-quote style": ENCODINGS["repr single-quote style"],
    "repr double-quote style": ENCODINGS["repr double-quote style"],
    "json": lambda s: ENCODINGS["json"](s)[1:-1],
    "json \\u lower": ENCODINGS["json \\u lower"],
    "json \\u upper": ENCODINGS["json \\u upper"],
    "json with \\/": lambda s: ENCODINGS["json with \\/"](s)[1:-1],
    "json inside a repr": lambda s: repr(ENCODINGS["json"](s)[1:-1])[1:-1],
    "quote": ENCODINGS["quote"],
    "quote safe=''": ENCODINGS["quote safe=''"],
    "quote lower hex": ENCODINGS["quote lower hex"],
    "quote_plus": ENCODINGS["quote_plus"],
    "base64": ENCODINGS["base64"],
    "base64 url-safe": ENCODINGS["base64 url-safe"],
    "html": ENCODINGS["html"],
}


def _texts_of(exc: BaseException) -> list[str]:
    out = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for inner in (exc.__cause__, exc.__context__):
        if inner is not None:
            out += _texts_of(inner)
    return out


def _leaks(texts: list[str], secrets: tuple[str, ...]) -> list[str]:
    found = []
    for secret in secrets:
        for name, form in OWN_FORMS.items():
            spelled = form(secret)
            hit = next((t for t in texts if spelled in t), None)
            if hit is not None:
                at = hit.index(spelled)
                found.append(f"{name} of {secret[:4]}…: …{hit[max(0, at - 80):at + len(spelled) + 20]}…")
    return found


@pytest.mark.parametrize("passphrase", PASSPHRASES, ids=lambda s: repr(s)[:14])
def test_okx_private_calls_leak_no_spelling_of_the_passphrase(caplog, capsys, passphrase):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    key = ApiKey("okx-key-" + passphrase.encode().hex()[:12], "okx-secret-" + passphrase.encode().hex()[:16], passphrase)
    state = PrivateState(keys=[key], echo_passphrase=True)
    account = AccountInfo("acct-special", "special", "okx")
    good = ApiSecret(key.key, key.secret, passphrase)
    # A wrong passphrase is a secret too (the user's typo of the real one): the fake echoes it.
    wrong = ApiSecret(key.key, key.secret, passphrase[::-1] + "!")
    bad_secret = ApiSecret(key.key, key.secret + "x", passphrase)
    secrets = (passphrase, wrong.passphrase, key.secret, bad_secret.secret)
    texts: list[str] = []
    results: list = []
    with PrivateFakeServer(state) as srv:
        urls = srv.url_overrides()
        results.append(accounts.test_connection(account, good, urls, timeout_s=5))
        results.append(accounts.fetch_positions(account, good, urls, timeout_s=5))
        results.append(accounts.fetch_balance(account, good, urls, timeout_s=5))
        for creds in (wrong, bad_secret):
            results.append(accounts.test_connection(account, creds, urls, timeout_s=5))
            for call in (accounts.fetch_positions, accounts.fetch_balance):
                with pytest.raises(accounts.AccountError) as info:
                    call(account, creds, urls, timeout_s=5)
                texts += _texts_of(info.value)
        for setting, value in (("clock_offset_ms", 120_000), ("ip_whitelisted", False)):
            default = getattr(state, setting)
            setattr(state, setting, value)
            try:
                results.append(accounts.test_connection(account, good, urls, timeout_s=5))
                with pytest.raises(accounts.AccountError) as info:
                    accounts.fetch_positions(account, good, urls, timeout_s=5)
                texts += _texts_of(info.value)
            finally:
                setattr(state, setting, default)

    statuses = [r.status for r in results if isinstance(r, accounts.ConnectionResult)]
    assert statuses == ["accepted", "wrong_passphrase", "rejected_key", "clock_skew", "ip_not_whitelisted"]
    assert results[1] and results[1][0].exchange == "okx"  # the special passphrase did authenticate

    ccxt_lines = [r.getMessage() for r in caplog.records if r.name == "market.accounts.ccxt"]
    # the fake's echo did reach the logs (so this test can fail), and was masked there
    assert any("OK-ACCESS-PASSPHRASE received: [redacted])" in line and '"echo": "[redacted]"' in line for line in ccxt_lines)
    assert any("'OK-ACCESS-PASSPHRASE': '[redacted]'" in line for line in ccxt_lines)

    texts += [repr(r) for r in results]
    texts += [caplog.text] + [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    leaks = _leaks(texts, secrets)
    assert not leaks, "\n".join(leaks[:5])
