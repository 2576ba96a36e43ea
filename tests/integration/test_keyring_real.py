"""CredentialStore against a real Secret Service (gnome-keyring in a private D-Bus session).

Run by ``sh tests/integration/run_real_keyring.sh .venv/bin/python`` (``make test``), which starts
dbus-run-session with an unlocked gnome-keyring and a throw-away HOME and sets CASCADE_REAL_KEYRING=1.
Skipped in the ordinary pytest run.
"""

from __future__ import annotations

import os
import uuid

import pytest

pytestmark = [
    pytest.mark.keyring_real,
    pytest.mark.skipif(os.environ.get("CASCADE_REAL_KEYRING") != "1", reason="needs the real Secret Service (CASCADE_REAL_KEYRING=1, see run_real_keyring.sh)"),
]


@pytest.fixture
def store():
    import keyring
    from keyring.backends import SecretService

    from market.credentials import CredentialStore

    backend = keyring.get_keyring()
    assert isinstance(backend, SecretService.Keyring), f"expected the Secret Service backend, got {type(backend)}"
    return CredentialStore(service=f"cascade-test-{uuid.uuid4().hex[:8]}")


def test_backend_is_secret_service_and_available(store):
    ok, why = store.available()
    assert ok, why
    assert "SecretService" in why


def test_add_get_rename_remove_round_trip(store):
    from market.credentials import AccountInfo, AccountNotFound, ApiSecret

    account = AccountInfo.new("real okx", "okx")
    secret = ApiSecret("real-key-abcdef123", "real-secret-ü-ß-🔑", "real-pass")
    store.add(account, secret)
    assert store.get_secret(account.id) == secret
    # a second store (a new process would do the same) reads it back through the bus
    from market.credentials import CredentialStore

    assert CredentialStore(service=store.service).get_secret(account.id) == secret
    renamed = store.rename(account, "renamed")
    assert renamed.label == "renamed" and store.get_secret(account.id) == secret
    store.remove(account.id)
    with pytest.raises(AccountNotFound):
        store.get_secret(account.id)


def test_nothing_written_under_home_as_plaintext(store, tmp_path):
    from market.credentials import AccountInfo, ApiSecret

    account = AccountInfo.new("plain", "binance")
    marker = "PLAINTEXT-CANARY-" + uuid.uuid4().hex
    store.add(account, ApiSecret("k-0123456789", marker))
    try:
        home = os.environ.get("HOME", "")
        found = []
        for root, _dirs, files in os.walk(home):
            for name in files:
                path = os.path.join(root, name)
                try:
                    with open(path, "rb") as fh:
                        if marker.encode() in fh.read():
                            found.append(path)
                except OSError:
                    pass
        assert not found, f"secret found in plain text: {found}"
    finally:
        store.remove(account.id)
