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
_HEADER_SECRETS = re.compile(r"((?:\\*)(['\"])(?:" + _AUTH_HEADERS + r")\\*\2\s*:\s*)(\\*)(['\"])((?:\\.|(?!\4)[^\\])*)\3\4", re.I)
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


def _utf8_escaped(c: str, prefix: str) -> str:
    """The character's UTF-8 bytes, each written ``prefix`` + two hex digits (%E2%82%AC, \\xe2\\x82\\xac)."""
    return "".join(prefix + _hex(b, 2) for b in c.encode("utf-8", "surrogatepass"))


def _slashes(n: int) -> str:
    return "\\\\" * n if n else ""


def _char_token(c: str, level: int) -> str:
    """Every spelling of one character after ``level`` rounds of backslash escaping (plus URL and HTML forms)."""
    cp = ord(c)
    esc = 2 ** level  # a literal backslash after ``level`` rounds
    pre = _slashes(2 ** (level - 1)) if level else None  # what precedes u/x after the round that made them
    alts: list[str] = []
    if c == "\\":
        alts.append(_slashes(esc))
    else:
        # The character itself, escaped or not by each round (repr escapes only the quote it wraps with;
        # JSON may write \/), each later round doubling the backslashes: 0 to 2**level - 1 before it.
        alts.append(re.escape(c) if not level else "\\\\{0,%d}" % (esc - 1) + re.escape(c))
    if pre is not None:
        if cp < 0x10000:
            alts.append(pre + "u" + _hex(cp, 4))
        else:  # JSON spells astral characters as a surrogate pair
            v = cp - 0x10000
            alts.append(pre + "u" + _hex(0xD800 + (v >> 10), 4) + pre + "u" + _hex(0xDC00 + (v & 0x3FF), 4))
            alts.append(pre + "U" + _hex(cp, 8))
        if cp < 0x100:
            alts.append(pre + "x" + _hex(cp, 2))
        elif cp >= 0x80:
            alts.append(_utf8_escaped(c, pre + "x"))  # a bytes repr
        if c in _NAMED:
            alts.append(pre + _NAMED[c])
    if cp >= 0x80 or not (c.isalnum() or c in "_.-~"):
        alts.append(_utf8_escaped(c, "%(?:25)?"))  # quote / quote_plus, once or twice, either hex case
    if c == " ":
        alts.append(r"\+")
    if not c.isalnum():
        alts.append(f"&#0*{cp};")
        alts.append("&#[xX]0*" + _hex(cp, 1 if cp < 16 else 2 if cp < 256 else 4) + ";")
        alts += [f"&{name};" for name in _HTML_NAMED.get(c, ())]
    return "(?:" + "|".join(alts) + ")"


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
    """One regex matching ``secret`` in every spelling ``scrub`` knows (cached per secret)."""
    levels = ["".join(_char_token(c, level) for c in secret) for level in range(_MAX_LEVEL + 1)]
    b64 = [re.escape(f) for f in _base64_forms(secret)] if len(secret) >= 4 else []
    # Deepest escaping first: a match at level 2 must not be cut short by its level-1 reading.
    return re.compile("|".join([*(f"(?:{p})" for p in reversed(levels)), *b64]))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of each secret, authentication header and signature masked."""
    out = str(text)
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        if s in out:  # the common case, and the cheap one
            out = out.replace(s, MASK)
        out = secret_pattern(s).sub(MASK, out)
    out = _HEADER_SECRETS.sub(lambda m: f"{m.group(1)}{m.group(3)}{m.group(4)}{MASK}{m.group(3)}{m.group(4)}", out)
    out = _HEADER_LINES.sub(lambda m: m.group(1) + MASK, out)
    return _URL_SECRETS.sub(lambda m: m.group(1) + m.group(2) + MASK, out)


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
