"""Passphrases made of every special character, and every spelling a secret can take in text.

OKX lets the user choose the API key passphrase (letters, digits and special characters; its support
has warned that some symbols break naive clients). We test a superset: every printable ASCII punctuation
character, a space and a backslash, in passphrases of at most 32 characters (OKX's limit), plus a few
non-ASCII ones for the encoders that escape them.
"""

from __future__ import annotations

import base64
import json
import string
from typing import Callable
from urllib.parse import quote, quote_plus

SPECIALS = string.punctuation + " "  # includes both quotes and the backslash
# Each ≤ 32 characters; together they hold every special character, each next to letters and next to
# the quotes and the backslash (the cases repr and JSON escape).
PASSPHRASES = (
    "Aa1" + SPECIALS[:16],
    "Bb2 " + SPECIALS[16:-1],  # HTTP drops a header value's trailing space: the space goes inside
    "Cc3'\"\\x",  # both quotes and a backslash
    "Dd4\\'\\\"\\\\end",  # backslashes before the quotes
    "Ee5 %2F+&=?#/;,@:",  # what URLs treat specially (and a literal %2F)
    "\"'\"'Ff6<>&`$!",  # quotes first: repr picks its style from them
)
ASCII_EXTRA = ("Gg7 tab\tnl\nend",)  # control characters (repr and JSON name them)
NON_ASCII = ("Hh8-€-ü-☃-𝄞",)  # \u, \U, surrogate pairs, UTF-8 %-bytes and \x bytes


def _dq_repr(s: str) -> str:
    """repr's body in the double-quote style (what repr does when the text holds ' but not ")."""
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _sq_repr(s: str) -> str:
    return s.replace("\\", "\\\\").replace("'", "\\'")


def _json_all_u(s: str, upper: bool) -> str:
    """A JSON encoder that spells every non-alphanumeric character \\uXXXX (some gateways do)."""
    out = []
    for c in s:
        if c.isascii() and c.isalnum():
            out.append(c)
        else:
            units = c.encode("utf-16-be")
            for i in range(0, len(units), 2):
                h = units[i:i + 2].hex()
                out.append("\\u" + (h.upper() if upper else h))
    return "".join(out)


def _lower_hex(text: str) -> str:
    import re

    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "repr": lambda s: repr(s),
    "repr single-quote style": _sq_repr,
    "repr double-quote style": _dq_repr,
    "repr of a headers dict": lambda s: repr({"OK-ACCESS-PASSPHRASE": s}),
    "repr of a dict with the value": lambda s: repr({"x": s, "y": [s]}),
    "json": lambda s: json.dumps(s),
    "json ensure_ascii=False": lambda s: json.dumps(s, ensure_ascii=False),
    "json body echoing it": lambda s: json.dumps({"code": "50105", "msg": f"Invalid passphrase {s}"}),
    "json \\u lower": lambda s: _json_all_u(s, False),
    "json \\u upper": lambda s: _json_all_u(s, True),
    "json with \\/": lambda s: json.dumps(s).replace("/", "\\/"),
    "repr of a json body (exception args)": lambda s: repr(json.dumps({"msg": s})),
    "repr of an exception with a json body": lambda s: repr(Exception("okx " + json.dumps({"msg": s}))),
    "repr of a dict holding that repr": lambda s: repr({"err": repr(Exception(json.dumps({"msg": s})))}),
    "quote": lambda s: quote(s),
    "quote safe=''": lambda s: quote(s, safe=""),
    "quote lower hex": lambda s: _lower_hex(quote(s, safe="")),
    "quote_plus": lambda s: quote_plus(s),
    "quote_plus lower hex": lambda s: _lower_hex(quote_plus(s)),
    "quote twice": lambda s: quote(quote(s, safe=""), safe=""),
    "query string": lambda s: "a=1&passphrase=" + quote_plus(s) + "&b=2",
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64 url-safe": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "base64 unpadded": lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
    "base64 of key:secret": lambda s: base64.b64encode(b"somekey:" + s.encode()).decode(),
    "base64 of k:secret": lambda s: base64.b64encode(b"k:" + s.encode()).decode(),
    "html": lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;"),
}
