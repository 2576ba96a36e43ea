"""CredentialStore against an in-memory keyring backend, and every no-backend path."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends import chainer, fail

from market.credentials import (
    SERVICE,
    AccountInfo,
    AccountNotFound,
    ApiSecret,
    CredentialError,
    CredentialStore,
    KeyringUnavailable,
)
from tests.unit.positions.memory_keyring import LockedKeyring, MemoryKeyring

SECRET = ApiSecret("AKEY-1234567890", "S3CR3T-abcdef-0987", "pass-phrase-42")


def test_add_get_round_trip_stores_one_json_entry_per_account():
    backend = MemoryKeyring()
    store = CredentialStore(backend=backend)
    acc = AccountInfo.new("main", "okx")
    store.add(acc, SECRET)
    assert list(backend.entries) == [(SERVICE, acc.id)]
    assert json.loads(backend.entries[(SERVICE, acc.id)]) == {"key": SECRET.key, "secret": SECRET.secret, "passphrase": SECRET.passphrase}
    assert store.get_secret(acc.id) == SECRET
    other = AccountInfo.new("alt", "binance")
    store.add(other, ApiSecret("k2-abcdefgh", "s2"))
    assert store.get_secret(other.id) == ApiSecret("k2-abcdefgh", "s2", "")
    assert "passphrase" not in json.loads(backend.entries[(SERVICE, other.id)])


def test_rename_keeps_the_secret_and_returns_new_metadata_without_secret():
    backend = MemoryKeyring()
    store = CredentialStore(backend=backend)
    acc = AccountInfo.new("main", "bybit")
    store.add(acc, SECRET)
    renamed = store.rename(acc, "  swing  ")
    assert renamed == AccountInfo(acc.id, "swing", "bybit")
    assert store.get_secret(acc.id) == SECRET
    meta = renamed.to_dict()
    assert set(meta) == {"id", "label", "exchange"}
    assert not any(v in json.dumps(meta) for v in SECRET.values())
    with pytest.raises(CredentialError):
        store.rename(acc, "   ")


def test_remove_then_get_raises_not_found():
    store = CredentialStore(backend=MemoryKeyring())
    acc = AccountInfo.new("main", "binance")
    store.add(acc, SECRET)
    store.remove(acc.id)
    with pytest.raises(AccountNotFound):
        store.get_secret(acc.id)
    with pytest.raises(AccountNotFound):
        store.remove(acc.id)


def test_secret_repr_and_str_mask_values():
    for text in (repr(SECRET), str(SECRET), f"{SECRET}", repr([SECRET]), repr({"s": SECRET})):
        for value in SECRET.values():
            assert value not in text
    assert "ApiSecret(" in repr(SECRET)


def test_input_checks():
    store = CredentialStore(backend=MemoryKeyring())
    with pytest.raises(CredentialError, match="passphrase"):
        store.add(AccountInfo.new("x", "okx"), ApiSecret("k-abcdefgh", "s"))
    with pytest.raises(CredentialError, match="unknown exchange"):
        store.add(AccountInfo.new("x", "kraken"), SECRET)
    with pytest.raises(CredentialError, match="key and the secret"):
        store.add(AccountInfo.new("x", "binance"), ApiSecret("", "s"))
    with pytest.raises(CredentialError, match="invalid account id"):
        store.get_secret("../../etc")


def test_damaged_entry_is_reported_without_its_content():
    backend = MemoryKeyring()
    backend.entries[(SERVICE, "abc")] = "not json " + SECRET.secret
    with pytest.raises(CredentialError) as info:
        CredentialStore(backend=backend).get_secret("abc")
    assert SECRET.secret not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_fail_backend_is_unavailable_with_explanation():
    store = CredentialStore(backend=fail.Keyring())
    ok, why = store.available()
    assert not ok and "never stores API keys in a file" in why
    with pytest.raises(KeyringUnavailable, match="no usable keyring backend"):
        store.add(AccountInfo.new("x", "binance"), SECRET)
    with pytest.raises(KeyringUnavailable):
        store.get_secret("abc")


def test_chainer_without_backends_is_unavailable(monkeypatch):
    monkeypatch.setattr(chainer.ChainerBackend, "backends", property(lambda self: []))
    ok, why = CredentialStore(backend=chainer.ChainerBackend()).available()
    assert not ok and "no usable backends" in why


def test_locked_keyring_is_unavailable_and_says_locked():
    store = CredentialStore(backend=LockedKeyring())
    ok, why = store.available()
    assert not ok and "locked" in why
    with pytest.raises(KeyringUnavailable, match="locked") as info:
        store.add(AccountInfo.new("x", "binance"), SECRET)
    assert info.value.__suppress_context__


def test_plaintext_file_backend_is_refused():
    class FileKeyring(MemoryKeyring):
        pass

    FileKeyring.__module__ = "keyrings.alt.file"
    ok, why = CredentialStore(backend=FileKeyring()).available()
    assert not ok and "plain file" in why


def test_default_backend_comes_from_keyring_set_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    try:
        keyring.set_keyring(backend)
        store = CredentialStore()
        assert store.available()[0]
        acc = AccountInfo.new("main", "binance")
        store.add(acc, SECRET)
        assert backend.entries[(SERVICE, acc.id)]
        keyring.set_keyring(fail.Keyring())
        assert CredentialStore().available()[0] is False
    finally:
        keyring.set_keyring(previous)


def test_keyring_default_without_secret_service_is_refused():
    """On this machine the test process has no Secret Service: keyring's own choice must be refused."""
    from keyring.backends import SecretService

    if isinstance(keyring.get_keyring(), SecretService.Keyring):
        pytest.skip("a Secret Service is reachable from this test process")
    ok, why = CredentialStore().available()
    assert ok is False and why
