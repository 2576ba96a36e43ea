"""Exchange API keys, kept only in the operating system's keyring.

One keyring entry per account: service name ``SERVICE`` ("cascade-exchange-accounts"), user name the
account id, password a JSON payload ``{"key", "secret", "passphrase"?}``. Nothing else about a key is
stored anywhere: the GUI keeps only ``AccountInfo`` (label, exchange, id) in QSettings.

There is never a fallback to a file. When no usable backend exists (no Secret Service on a headless
Linux, the ``fail`` backend, a chainer with no backends, a locked keyring the user will not unlock) every
operation raises ``KeyringUnavailable`` with a sentence the GUI can show as is. ``keyrings.alt`` is not a
dependency: installing it would make its plaintext file backend the silent default.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from market.venues import label, names_with, needs_passphrase

SERVICE = "cascade-exchange-accounts"
EXCHANGES: tuple[str, ...] = names_with("accounts")  # venues with API-key accounts (market.venues)
_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class CredentialError(Exception):
    """A credential operation failed; the message never contains a secret."""


class KeyringUnavailable(CredentialError):
    """No usable OS keyring: the account features must be disabled, with this explanation shown."""


class AccountNotFound(CredentialError):
    pass


def _mask(value: str) -> str:
    return "" if not value else "•" * 8


@dataclass(frozen=True)
class ApiSecret:
    """Key, secret and (OKX) passphrase. repr/str mask every value, so logging or formatting an
    exception that holds one never shows it; read the attributes explicitly where they are needed."""

    key: str = field(repr=False)
    secret: str = field(repr=False)
    passphrase: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"ApiSecret(key={_mask(self.key)!s}, secret={_mask(self.secret)!s}, passphrase={_mask(self.passphrase)!s})"

    __str__ = __repr__

    def values(self) -> tuple[str, ...]:
        """The non-empty secret strings (what a scrubber must remove from any text)."""
        return tuple(v for v in (self.key, self.secret, self.passphrase) if v)

    def to_payload(self) -> str:
        data: dict[str, str] = {"key": self.key, "secret": self.secret}
        if self.passphrase:
            data["passphrase"] = self.passphrase
        return json.dumps(data)

    @classmethod
    def from_payload(cls, text: str) -> "ApiSecret":
        try:
            data = json.loads(text)
            return cls(str(data["key"]), str(data["secret"]), str(data.get("passphrase") or ""))
        except (ValueError, KeyError, TypeError):
            # Do not chain: the decoding error's message could quote the payload.
            raise CredentialError("the stored entry for this account is damaged; remove the account and add it again") from None


@dataclass(frozen=True)
class AccountInfo:
    """What may be stored outside the keyring (QSettings): never a secret."""

    id: str
    label: str
    exchange: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "exchange": self.exchange}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AccountInfo":
        return cls(str(data["id"]), str(data["label"]), str(data["exchange"]))

    @classmethod
    def new(cls, label: str, exchange: str) -> "AccountInfo":
        return cls(uuid.uuid4().hex, label, exchange)


def _backend_problem(backend: Any) -> str | None:
    """Why ``backend`` cannot hold secrets, or None if it looks usable."""
    from keyring.backends import chainer, fail

    if backend is None:
        return "no keyring backend is configured"
    if isinstance(backend, fail.Keyring):
        return (
            "no usable keyring backend was found (on Linux, a Secret Service such as GNOME Keyring or KWallet "
            "must be running in your desktop session); Cascade never stores API keys in a file, so account "
            "features are disabled"
        )
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "the keyring has no usable backends (no Secret Service, KWallet, Keychain or Credential Manager found); account features are disabled"
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):
        return "the only keyring backend available stores secrets in a plain file (keyrings.alt); Cascade refuses to use it"
    try:
        if float(backend.priority) <= 0:
            return f"the keyring backend {type(backend).__name__} is not usable here"
    except Exception:  # priority may raise when the backend cannot work at all
        return f"the keyring backend {type(backend).__name__} is not usable here"
    return None


def _explain(exc: BaseException) -> str:
    from keyring import errors

    name = type(exc).__name__
    if isinstance(exc, errors.NoKeyringError):
        return "no usable keyring backend was found; Cascade never stores API keys in a file, so account features are disabled"
    if isinstance(exc, errors.KeyringLocked) or "locked" in name.lower() or "Locked" in str(exc):
        return "the keyring is locked and was not unlocked; unlock it (your login keyring) and try again"
    if isinstance(exc, errors.InitError) or "Prompt dismissed" in str(exc) or "dismissed" in str(exc).lower():
        return "the keyring could not be opened (the unlock prompt was dismissed)"
    return f"the keyring failed ({name})"


class CredentialStore:
    """Accounts' secrets in the OS keyring. ``backend`` None means keyring's configured default."""

    def __init__(self, service: str = SERVICE, backend: Any | None = None) -> None:
        self.service = service
        self._backend = backend

    def _keyring(self):
        if self._backend is not None:
            backend = self._backend
        else:
            import keyring

            backend = keyring.get_keyring()
        problem = _backend_problem(backend)
        if problem:
            raise KeyringUnavailable(problem)
        return backend

    def available(self) -> tuple[bool, str]:
        """(usable, explanation). Touches the backend (a lookup of a missing entry) so a locked or
        unreachable Secret Service shows up here, not at the first save."""
        try:
            backend = self._keyring()
            backend.get_password(self.service, "__cascade_probe__")
        except KeyringUnavailable as exc:
            return False, str(exc)
        except Exception as exc:  # keyring/secretstorage/dbus errors of every kind
            return False, _explain(exc)
        return True, f"API keys are kept in the system keyring ({type(backend).__module__.rsplit('.', 1)[-1]})"

    def _call(self, fn, *args):
        backend = self._keyring()
        try:
            return getattr(backend, fn)(*args)
        except CredentialError:
            raise
        except Exception as exc:
            from keyring import errors

            if isinstance(exc, errors.PasswordDeleteError):
                raise AccountNotFound("no stored key for this account") from None
            # from None: a backend exception's text could in principle quote what was being stored.
            raise KeyringUnavailable(_explain(exc)) from None

    @staticmethod
    def _check_id(account_id: str) -> str:
        if not _ID_RE.match(account_id or ""):
            raise CredentialError("invalid account id")
        return account_id

    def add(self, account: AccountInfo, secret: ApiSecret) -> None:
        """Store (or replace) the secret of ``account``."""
        self._check_id(account.id)
        if account.exchange not in EXCHANGES:
            raise CredentialError(f"unknown exchange {account.exchange!r} (expected one of {', '.join(EXCHANGES)})")
        if not secret.key.strip() or not secret.secret.strip():
            raise CredentialError("both the API key and the secret are needed")
        if needs_passphrase(account.exchange) and not secret.passphrase:
            raise CredentialError(f"an {label(account.exchange)} API key needs its passphrase")
        self._call("set_password", self.service, account.id, secret.to_payload())

    def get_secret(self, account_id: str) -> ApiSecret:
        payload = self._call("get_password", self.service, self._check_id(account_id))
        if payload is None:
            raise AccountNotFound("no stored key for this account (it may have been removed from the keyring)")
        return ApiSecret.from_payload(payload)

    def has(self, account_id: str) -> bool:
        return self._call("get_password", self.service, self._check_id(account_id)) is not None

    def rename(self, account: AccountInfo, new_label: str) -> AccountInfo:
        """Labels live outside the keyring (entries are keyed by id), so renaming only checks the entry
        still exists and returns the updated metadata for the caller to persist."""
        label = new_label.strip()
        if not label:
            raise CredentialError("an account needs a name")
        if not self.has(account.id):
            raise AccountNotFound("no stored key for this account")
        return AccountInfo(account.id, label, account.exchange)

    def remove(self, account_id: str) -> None:
        self._call("delete_password", self.service, self._check_id(account_id))
