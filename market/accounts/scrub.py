"""Keeping secrets out of every message: scrub known secret strings and wrap foreign exceptions."""

from __future__ import annotations

import logging
import re
from typing import Iterable

MASK = "[redacted]"
# Signatures and keys in URLs or headers are not the secret itself, but they identify the key: drop them too.
_URL_SECRETS = re.compile(r"\b(signature|sign|apiKey|api_key)(=)[^&\s\"',}]+", re.I)


# Authentication headers as they appear in a logged dict (ccxt logs request headers at DEBUG).
_HEADER_SECRETS = re.compile(r"(['\"](?:X-MBX-APIKEY|OK-ACCESS-KEY|OK-ACCESS-SIGN|OK-ACCESS-PASSPHRASE|X-BAPI-API-KEY|X-BAPI-SIGN)['\"]\s*:\s*)(['\"])[^'\"]*\2", re.I)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret, authentication header and signature masked."""
    out = str(text)
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        out = out.replace(s, MASK)
    out = _HEADER_SECRETS.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", out)
    return _URL_SECRETS.sub(lambda m: m.group(1) + m.group(2) + MASK, out)


class ScrubbingLogger:
    """Stands in for ccxt's ``exchange.logger``: ccxt logs every request's headers (API key, OKX
    passphrase) at DEBUG. Each record is formatted, scrubbed, then passed to a normal logger."""

    def __init__(self, target: logging.Logger, secrets: Iterable[str]) -> None:
        self._target = target
        self._secrets = tuple(secrets)

    def _emit(self, level: int, msg: object, *args: object, **_kw: object) -> None:
        if not self._target.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(str(x) for x in (msg, *args))
        self._target.log(level, "%s", scrub(text, self._secrets))

    def debug(self, msg: object, *args: object, **kw: object) -> None:
        self._emit(logging.DEBUG, msg, *args)

    def info(self, msg: object, *args: object, **kw: object) -> None:
        self._emit(logging.INFO, msg, *args)

    def warning(self, msg: object, *args: object, **kw: object) -> None:
        self._emit(logging.WARNING, msg, *args)

    warn = warning

    def error(self, msg: object, *args: object, **kw: object) -> None:
        self._emit(logging.ERROR, msg, *args)

    exception = error

    def log(self, level: int, msg: object, *args: object, **kw: object) -> None:
        self._emit(level, msg, *args)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 (logging's name)
        return self._target.isEnabledFor(level)


class AccountError(Exception):
    """A private call failed. Carries a classified status and a scrubbed message, never the original
    exception (it is not chained: its text or its request could hold a signature or a key)."""

    def __init__(self, status: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
