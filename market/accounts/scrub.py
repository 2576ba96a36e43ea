"""Keeping secrets out of every message: scrub known secret strings and wrap foreign exceptions.

A secret reaches text in many spellings, not only as itself: ``repr`` escapes backslashes and one of the
quote styles (a dict of headers logged by ccxt), JSON escapes quotes and backslashes and may spell any
character as ``\\uXXXX`` (an exchange echoing the header in an error body), a body inside an exception's
``repr`` is escaped twice, a query string percent-encodes (``quote`` and ``quote_plus``, either hex case),
and a credential may travel base64-encoded. ``scrub`` matches every one of those spellings, and mixtures
of them, with one pattern per secret (built once, cached).

For log handlers: ``SecretFilter`` (a ``logging.Filter``) and ``ScrubbingFormatter`` (a
``logging.Formatter``) scrub every record, message, arguments, exception text and stack, against the
secrets registered with ``register_secrets`` and the header/signature patterns below.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import threading
from typing import Callable, Iterable, Optional

MASK = "[redacted]"
# Signatures and keys in URLs or headers are not the secret itself, but they identify the key: drop them too.
_URL_SECRETS = re.compile(r"\b(signature|sign|apiKey|api_key|passphrase|password)(=)[^&\s\"',}]+", re.I)

_AUTH_HEADERS = r"X-MBX-APIKEY|OK-ACCESS-KEY|OK-ACCESS-SIGN|OK-ACCESS-PASSPHRASE|X-BAPI-API-KEY|X-BAPI-SIGN"
# Authentication headers as they appear in a logged dict (ccxt logs request headers at DEBUG) or in JSON:
# the value is a quoted string that may hold escaped quotes (a passphrase with both ' and ").
# (Runs of backslashes are bounded: an unbounded one would make a line of 20,000 backslashes quadratic.)
_HEADER_SECRETS = re.compile(r"(\\{0,7}(['\"])(?:" + _AUTH_HEADERS + r")\\{0,7}\2\s*:\s*)(\\{0,7})(['\"])((?:\\.|(?!\4)[^\\])*)\3\4", re.I)
# ... and as "Name: value" lines (HTTP dumps): the rest of the line, up to a separator that cannot be one.
_HEADER_LINES = re.compile(r"(?<![\w-])((?:" + _AUTH_HEADERS + r")[ \t]*[:=][ \t]*)(?!['\"\\\[])([^\r\n,;}]+)", re.I)

# How many times text may have been escaped around a secret: 0 raw, 1 repr or JSON, 2 a JSON body inside a
# repr (an exception's args), 3 once more (that repr logged inside a dict).
_MAX_LEVEL = 3
_NAMED = {"\n": "n", "\r": "r", "\t": "t", "\b": "b", "\f": "f", "\v": "v", "\a": "a", "\0": "0"}
_HTML_NAMED = {'"': ("quot",), "&": ("amp",), "<": ("lt",), ">": ("gt",), "'": ("apos", "#39")}
_MIN_B64_CORE = 8  # shorter fragments of a base64 stream would match unrelated text


def _hex(n: int, width: int) -> str:
    """``n`` as hex digits matching either case."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{n:0{width}x}")


def _one_round(c: str) -> list[tuple[str, ...]]:
    """How one round of escaping (repr, JSON, percent-encoding, HTML) may write ``c``: each option is a
    sequence whose items are either one character (later rounds may escape it again) or, marked by a
    leading NUL, a finished regex for characters no round changes (letters, digits: hex, u, x)."""
    cp = ord(c)
    out: list[tuple[str, ...]] = []
    if c == "\\":
        out.append(("\\", "\\"))
    else:
        out.append((c,))
        if not c.isalnum():
            out.append(("\\", c))  # repr's \' or \", JSON's \" and \/
    fixed = lambda rx: "\0" + rx  # noqa: E731
    if cp < 0x10000:
        out.append(("\\", fixed("u" + _hex(cp, 4))))
    else:  # JSON: a surrogate pair; repr: \U
        v = cp - 0x10000
        out.append(("\\", fixed("u" + _hex(0xD800 + (v >> 10), 4)), "\\", fixed("u" + _hex(0xDC00 + (v & 0x3FF), 4))))
        out.append(("\\", fixed("U" + _hex(cp, 8))))
    utf8 = c.encode("utf-8", "surrogatepass")
    if cp < 0x100:
        out.append(("\\", fixed("x" + _hex(cp, 2))))
    else:  # a bytes repr
        out.append(tuple(item for b in utf8 for item in ("\\", fixed("x" + _hex(b, 2)))))
    if c in _NAMED:
        out.append(("\\", fixed(_NAMED[c])))
    if cp >= 0x80 or not (c.isalnum() or c in "_.-~"):
        out.append(tuple(item for b in utf8 for item in ("%", fixed(_hex(b, 2)))))  # quote, quote_plus
    if c == " ":
        out.append(("+",))
    if not c.isalnum():
        out.append(("&", fixed(f"#0*{cp};")))
        out.append(("&", fixed("#[xX]0*" + _hex(cp, 1 if cp < 16 else 2 if cp < 256 else 4) + ";")))
        out += [("&", fixed(name + ";")) for name in _HTML_NAMED.get(c, ())]
    return out


@functools.lru_cache(maxsize=4096)
def _spelled(c: str, rounds: int) -> str:
    """A regex for every spelling of ``c`` after up to ``rounds`` rounds of escaping, in any mixture."""
    if rounds == 0:
        return re.escape(c)
    if c.isalnum() and c.isascii():
        return c  # no round escapes ASCII letters and digits
    alts = [_spelled(c, rounds - 1)] if c == "\\" else []  # fewer rounds (a backslash is never left alone by one)
    for option in _one_round(c):
        alts.append("".join(item[1:] if item.startswith("\0") and len(item) > 1 else _spelled(item, rounds - 1)
                            for item in option))
    return "(?:" + "|".join(dict.fromkeys(alts)) + ")"


def _base64_forms(secret: str) -> list[str]:
    """The secret base64-encoded (standard and URL-safe, padded or not), and the stretch of a longer base64
    stream that depends only on the secret's bytes, for each of the three alignments it can start at."""
    raw = secret.encode("utf-8", "surrogatepass")
    forms = set()
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        full = enc(raw).decode()
        forms.add(full)
        for skip in range(3):
            body = raw[skip:]
            body = body[: len(body) // 3 * 3]
            core = enc(body).decode()
            if len(core) >= _MIN_B64_CORE:
                forms.add(core)
    return sorted(forms, key=len, reverse=True)


@functools.lru_cache(maxsize=512)
def secret_pattern(secret: str) -> "re.Pattern[str]":
    """One regex matching ``secret`` in every escaped spelling ``scrub`` knows (cached per secret)."""
    return re.compile("".join(_spelled(c, _MAX_LEVEL) for c in secret))


@functools.lru_cache(maxsize=512)
def _plan(secret: str) -> tuple[str, tuple[str, ...]]:
    """(anchor, base64 forms): no round of escaping changes ASCII letters and digits, so every escaped
    spelling holds the secret's longest run of them as it is; a text without it needs no regex."""
    runs = re.findall(r"[A-Za-z0-9]+", secret)
    anchor = max(runs, key=len) if runs else ""
    return (anchor if len(anchor) >= 3 else "", tuple(_base64_forms(secret)) if len(secret) >= 4 else ())


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of each secret, authentication header and signature masked."""
    out = str(text)
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        if s in out:  # the common case, and the cheap one
            out = out.replace(s, MASK)
        anchor, b64 = _plan(s)
        for form in b64:
            if form in out:
                out = out.replace(form, MASK)
        if not anchor or anchor in out:
            out = secret_pattern(s).sub(MASK, out)
    lower = out.lower()  # the patterns below are slow on big bodies: run them only where their names occur
    if any(name in lower for name in ("x-mbx-apikey", "ok-access-", "x-bapi-")):
        out = _HEADER_SECRETS.sub(lambda m: f"{m.group(1)}{m.group(3)}{m.group(4)}{MASK}{m.group(3)}{m.group(4)}", out)
        out = _HEADER_LINES.sub(lambda m: m.group(1) + MASK, out)
    if "=" in out and any(name in lower for name in ("sign", "apikey", "api_key", "passphrase", "password")):
        out = _URL_SECRETS.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
    return out


# ---------------------------------------------------------------------------------------------- log handlers

class SecretRegistry:
    """The secrets of this process's sessions (thread-safe): what a handler-level scrubber removes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            self._values = self._values | {v for v in values if v}

    def discard(self, values: Iterable[str]) -> None:
        with self._lock:
            self._values = self._values - set(values)

    def values(self) -> frozenset[str]:
        return self._values


REGISTRY = SecretRegistry()


def register_secrets(values: Iterable[str]) -> None:
    """Make every SecretFilter and ScrubbingFormatter that uses the default registry remove these."""
    REGISTRY.add(values)


def forget_secrets(values: Iterable[str]) -> None:
    REGISTRY.discard(values)


def _record_text(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # bad %-args: keep every part, never the traceback of the failed formatting
        return " ".join(str(x) for x in (record.msg, *(record.args or ())))  # type: ignore[union-attr]


class SecretFilter(logging.Filter):
    """A ``logging.Filter`` for handlers: formats each record's message with its arguments, scrubs it (and
    the exception text and stack), and leaves the record with the scrubbed text only. Never drops a record.

    Attach it to handlers (``handler.addFilter(SecretFilter())``): a filter on a logger does not see the
    records its child loggers propagate. ``secrets``: extra values, or a callable returning them; the
    registry's (``register_secrets``) are always included."""

    def __init__(self, secrets: Iterable[str] | Callable[[], Iterable[str]] = (), registry: Optional[SecretRegistry] = None,
                 name: str = "") -> None:
        super().__init__(name)
        self._extra = secrets if callable(secrets) else tuple(secrets)
        self._registry = registry or REGISTRY

    def secrets(self) -> set[str]:
        extra = self._extra() if callable(self._extra) else self._extra
        return set(self._registry.values()) | {s for s in extra if s}

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets()
        record.msg = scrub(_record_text(record), secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, secrets)
        # The exception object itself stays out of handlers: its args and its request could hold the secret.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, secrets)
        return True


class ScrubbingFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose output is scrubbed as a whole (message, exception, stack, and any
    field the format string adds). Same arguments as ``logging.Formatter`` plus ``secrets``/``registry``."""

    def __init__(self, *args, secrets: Iterable[str] | Callable[[], Iterable[str]] = (),
                 registry: Optional[SecretRegistry] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._filter = SecretFilter(secrets, registry)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), self._filter.secrets())


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
