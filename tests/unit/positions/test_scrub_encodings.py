"""scrub() removes a secret in every spelling text can carry it in, and leaves the rest of the text."""

from __future__ import annotations

import logging

import pytest

from market.accounts.scrub import MASK, scrub
from tests.unit.positions.secret_forms import ASCII_EXTRA, ENCODINGS, NON_ASCII, PASSPHRASES, SPECIALS

ALL = PASSPHRASES + ASCII_EXTRA + NON_ASCII
BEFORE, AFTER = "<<before>> ", " <<after>>"


def _fragments(form: str, secret: str, n: int = 6) -> set[str]:
    """Every n-character stretch of the encoded secret: none may survive (a partial redaction leaks too).
    Stretches the same form shows for a plain secret belong to the wrapper (a dict's repr), not the secret."""
    encoded = ENCODINGS[form](secret)
    wrapper = ENCODINGS[form]("Zq9Zq9Zq9Zq9")
    return {encoded[i:i + n] for i in range(max(1, len(encoded) - n + 1))
            if encoded[i:i + n] not in wrapper and "Zq9" not in encoded[i:i + n]}


def test_the_passphrases_hold_every_special_character():
    assert set(SPECIALS) <= set("".join(PASSPHRASES))
    assert all(len(p) <= 32 for p in PASSPHRASES)


@pytest.mark.parametrize("secret", ALL, ids=lambda s: repr(s)[:14])
@pytest.mark.parametrize("form", list(ENCODINGS))
def test_every_spelling_is_masked(secret, form):
    encoded = ENCODINGS[form](secret)
    text = BEFORE + encoded + AFTER
    out = scrub(text, (secret, "other-secret-value"))
    assert MASK in out, f"{form}: nothing masked in {out!r}"
    assert out.startswith(BEFORE.rstrip()) and out.endswith(AFTER.lstrip()), f"{form}: the context was eaten: {out!r}"
    if form.startswith("base64"):
        assert encoded.rstrip("=")[4:-4] not in out, f"{form}: {out!r}"
        return
    leaks = [f for f in _fragments(form, secret) if f in out and f not in BEFORE + AFTER + MASK]
    assert not leaks, f"{form}: {leaks[:3]} left in {out!r}"


@pytest.mark.parametrize("secret", PASSPHRASES, ids=lambda s: repr(s)[:14])
def test_a_signed_request_log_line_keeps_its_shape(secret):
    """What ccxt logs for an OKX request: the headers dict's repr. The whole value goes, quotes stay."""
    headers = {"OK-ACCESS-KEY": "k", "OK-ACCESS-PASSPHRASE": secret, "Content-Type": "application/json"}
    line = f"GET http://127.0.0.1/api/v5/account/positions, Request: {headers} None"
    out = scrub(line, (secret,))
    assert out == ("GET http://127.0.0.1/api/v5/account/positions, Request: {'OK-ACCESS-KEY': '[redacted]', "
                   "'OK-ACCESS-PASSPHRASE': '[redacted]', 'Content-Type': 'application/json'} None")


@pytest.mark.parametrize("secret", PASSPHRASES, ids=lambda s: repr(s)[:14])
def test_an_unknown_passphrase_in_a_header_is_masked_whole(secret):
    """A header value scrub was not told about (another account's): masked by the header's name, whole."""
    line = repr({"OK-ACCESS-PASSPHRASE": secret, "next": "kept"})
    out = scrub(line, ())
    assert out == "{'OK-ACCESS-PASSPHRASE': '[redacted]', 'next': 'kept'}"
    body = '{"OK-ACCESS-PASSPHRASE": ' + __import__("json").dumps(secret) + ', "next": "kept"}'
    assert scrub(body, ()) == '{"OK-ACCESS-PASSPHRASE": "[redacted]", "next": "kept"}'


def test_ordinary_text_is_left_alone():
    text = "the signature does not match; 'OK-ACCESS-PASSPHRASE' incorrect (code 50105) 100% + 2 = \\u0041"
    assert scrub(text, ("Aa1!\"#$%&'()*+,-./:", "zz")) == text


def test_secret_filter_scrubs_records_arguments_and_exceptions():
    from market.accounts.scrub import SecretFilter, SecretRegistry

    secret = PASSPHRASES[2]
    registry = SecretRegistry()
    registry.add([secret])
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(SecretFilter(registry=registry))
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    lg = logging.getLogger("tests.scrub.filter")
    lg.addHandler(handler)
    lg.setLevel(logging.DEBUG)
    lg.propagate = False
    try:
        lg.debug("headers %r body %s", {"OK-ACCESS-PASSPHRASE": secret}, __import__("json").dumps({"msg": secret}))
        try:
            raise ValueError("okx " + __import__("json").dumps({"msg": "bad " + secret}))
        except ValueError:
            lg.exception("failed with %s", repr(secret))
        lg.info("bad %d format", "x")  # a broken format string still logs, scrubbed
    finally:
        lg.removeHandler(handler)
    text = "\n".join(records)
    assert len(records) == 3 and "ValueError" in text and "Traceback" in text
    for form in ("raw", "repr", "json", "repr of an exception with a json body"):
        assert ENCODINGS[form](secret).strip("'\"") not in text


def test_scrubbing_formatter_scrubs_the_whole_line():
    from market.accounts.scrub import ScrubbingFormatter

    secret = PASSPHRASES[0]
    fmt = ScrubbingFormatter("%(name)s %(message)s", secrets=[secret])
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "value %s", (__import__("json").dumps(secret),), None)
    assert fmt.format(rec) == f'x value "{MASK}"'


def test_a_private_call_registers_its_secrets_for_handler_filters():
    from market.accounts import client
    from market.accounts.scrub import REGISTRY, SecretFilter, forget_secrets
    from market.credentials import AccountInfo, ApiSecret

    secret = ApiSecret("reg-key-42", "reg-secret-Aa1!\"'\\", "reg-pass-\"'")
    exchange, _v = client._open(AccountInfo("a", "x", "okx"), secret, None, 1.0)
    try:
        assert set(secret.values()) <= REGISTRY.values()
        rec = logging.LogRecord("aiohttp.client", logging.DEBUG, __file__, 1, "%s", (repr({"p": secret.passphrase}),), None)
        SecretFilter().filter(rec)
        assert rec.getMessage() == "{'p': '[redacted]'}"
    finally:
        forget_secrets(secret.values())
        __import__("asyncio").run(exchange.close())
