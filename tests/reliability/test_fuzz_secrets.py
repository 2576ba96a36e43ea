"""Fuzzing the scrubber: random passphrases from everything an OKX passphrase may hold (printable ASCII),
plus non-ASCII, spelled in a random chain of encodings (repr, JSON, \\uXXXX, percent-encoding, HTML,
base64) inside random log text. Nothing of the secret may survive, and the text around it must."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from market.accounts.scrub import MASK, scrub
from tests.unit.positions.secret_forms import ENCODINGS

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
OKX_CHARS = string.ascii_letters + string.digits + string.punctuation + " "
# The encodings that can wrap another one's output (a body inside a repr, a repr inside JSON...).
CHAINABLE = ("repr", "json", "json ensure_ascii=False", "json \\u lower", "json \\u upper", "repr single-quote style",
             "repr double-quote style", "quote safe=''", "quote_plus")

passphrases = st.text(st.sampled_from(OKX_CHARS), min_size=8, max_size=32).filter(lambda s: s == s.strip()) | st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=8, max_size=20).filter(lambda s: s == s.strip())
surroundings = st.lists(st.sampled_from(["GET", "https://www.okx.com/api/v5/account/balance", "Request:", "Response:",
                                          "401", "{'Content-Type': 'application/json'}", '{"code":"50105"}', " ", ",", "="]),
                        max_size=4).map(" ".join)


def _leftover(out: str, secret: str, n: int = 8) -> str | None:
    """A stretch of the raw secret, n characters long, still in the text (part of it not masked)."""
    for i in range(max(0, len(secret) - n + 1)):
        part = secret[i:i + n]
        if part in out and part.strip():
            return part
    return None


@FAST
@given(passphrases, st.sampled_from(list(ENCODINGS)), surroundings, surroundings)
def test_one_spelling_in_random_text(fuzz_cases, secret, form, before, after):
    fuzz_cases.add("secret_spellings")
    assume(all(secret[i:i + 4] not in before + after for i in range(len(secret) - 3)))
    encoded = ENCODINGS[form](secret)
    out = scrub(f"{before}<{encoded}>{after}", (secret,))
    assert encoded not in out
    assert out.startswith(before + "<") or form.startswith("repr of a dict"), out  # the context stays
    assert out.endswith(">" + after), out
    assert MASK in out
    assert _leftover(out, secret) is None


@FAST
@given(passphrases, st.lists(st.sampled_from(CHAINABLE), min_size=2, max_size=3))
def test_chained_spellings(fuzz_cases, secret, chain):
    """A secret escaped by two or three layers in turn: scrub knows up to three rounds of backslashes."""
    fuzz_cases.add("secret_spellings")
    text = secret
    for form in chain:
        text = ENCODINGS[form](text)
    if sum(f.startswith(("quote", "json \\u")) for f in chain) > 1 or (
            any(f.startswith("quote") for f in chain) and chain[-1] not in ("quote safe=''", "quote_plus")):
        return  # percent-encoding of backslash escapes, or \\u of \\u: a spelling nobody logs
    out = scrub("x " + text + " y", (secret,))
    assert MASK in out, (chain, text, out)
    assert _leftover(out, secret) is None, (chain, out)
