"""A real keyring backend that keeps entries in a dict: the unit-test stand-in for the OS keyring."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    # keyring auto-discovers every KeyringBackend subclass; merely importing this module must not change
    # the process's default backend (it would turn SecretService into a chainer in the real-keyring run).
    viable = False

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError("not found")
        del self.entries[(service, username)]


class LockedKeyring(KeyringBackend):
    """Behaves like a Secret Service collection the user refused to unlock."""

    priority = 1  # type: ignore[assignment]
    viable = False

    def set_password(self, service, username, password):
        raise KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service, username):
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service, username):
        raise KeyringLocked("Failed to unlock the collection!")
