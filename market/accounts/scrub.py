"""Keeping secrets out of every message: scrub known secret strings and wrap foreign exceptions."""

from __future__ import annotations

import re
from typing import Iterable

MASK = "[redacted]"
# Signatures and keys in URLs or headers are not the secret itself, but they identify the key: drop them too.
_URL_SECRETS = re.compile(r"\b(signature|sign|apiKey|api_key)(=)[^&\s\"',}]+", re.I)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret (and signature-like query values) masked."""
    out = str(text)
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        out = out.replace(s, MASK)
    return _URL_SECRETS.sub(lambda m: m.group(1) + m.group(2) + MASK, out)


class AccountError(Exception):
    """A private call failed. Carries a classified status and a scrubbed message, never the original
    exception (it is not chained: its text or its request could hold a signature or a key)."""

    def __init__(self, status: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
