"""Settings → Exchange accounts: keys only in the keyring, plain test results, no-keyring explanation."""

from __future__ import annotations

import json

import pytest
from keyring.backends import fail

from gui.dialogs.accounts import AccountsDialog
from gui.positions.saved import ACCOUNTS_KEY, load_accounts
from market.credentials import SERVICE, CredentialStore
from tests.gui.positions.conftest import KEY, TRADING_KEY, stored_account
from tests.unit.positions.memory_keyring import LockedKeyring, MemoryKeyring


def open_dialog(qtbot, settings, store, urls=None, timeout_s=5.0):
    from gui.app import make_app

    make_app()
    d = AccountsDialog(settings, store, urls, timeout_s=timeout_s)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitUntil(lambda: d.keyring_ok is not None, timeout=5000)
    return d


def fill(d, exchange, label, key, secret, passphrase=""):
    d.exchange.setCurrentIndex(d.exchange.findData(exchange))
    d.label_edit.setText(label)
    d.key_edit.setText(key)
    d.secret_edit.setText(secret)
    d.passphrase_edit.setText(passphrase)


def test_fields_are_masked_and_passphrase_only_for_okx(qtbot, ini_settings, store):
    settings, _ = ini_settings
    d = open_dialog(qtbot, settings, store)
    from PySide6.QtWidgets import QLineEdit

    for edit in (d.key_edit, d.secret_edit, d.passphrase_edit):
        assert edit.echoMode() == QLineEdit.EchoMode.Password
    d.exchange.setCurrentIndex(d.exchange.findData("binance"))
    assert not d.passphrase_edit.isVisible()
    d.exchange.setCurrentIndex(d.exchange.findData("okx"))
    assert d.passphrase_edit.isVisible()


def test_add_rename_remove_with_secrets_only_in_the_keyring(qtbot, ini_settings, store, keyring_backend):
    settings, path = ini_settings
    d = open_dialog(qtbot, settings, store)
    assert d.keyring_ok and d.add_button.isEnabled()
    fill(d, "okx", "My OKX", KEY.key, KEY.secret, KEY.passphrase)
    with qtbot.waitSignal(d.accounts_changed, timeout=5000) as sig:
        d.add_button.click()
    [info] = sig.args[0]
    assert (info.label, info.exchange) == ("My OKX", "okx")
    # The secret went to the keyring under Cascade's service name, keyed by the account id...
    payload = json.loads(keyring_backend.entries[(SERVICE, info.id)])
    assert payload == {"key": KEY.key, "secret": KEY.secret, "passphrase": KEY.passphrase}
    # ...and the form no longer holds it.
    assert d.key_edit.text() == d.secret_edit.text() == d.passphrase_edit.text() == ""
    # QSettings has exactly id, label, exchange: read the INI file itself.
    settings.sync()
    text = path.read_text()
    assert info.id in text and "My OKX" in text
    for secret in (KEY.key, KEY.secret, KEY.passphrase):
        assert secret not in text
    assert [a.to_dict() for a in load_accounts(settings)] == [{"id": info.id, "label": "My OKX", "exchange": "okx"}]

    d.rename_edit.setText("OKX swing")
    with qtbot.waitSignal(d.accounts_changed, timeout=5000) as sig:
        d.rename_button.click()
    assert [a.label for a in sig.args[0]] == ["OKX swing"] and sig.args[0][0].id == info.id
    assert d.list.item(0).text() == "OKX — OKX swing"
    assert load_accounts(settings)[0].label == "OKX swing"
    assert (SERVICE, info.id) in keyring_backend.entries  # the keyring entry is keyed by id: untouched

    with qtbot.waitSignal(d.accounts_changed, timeout=5000) as sig:
        d.remove_button.click()
    assert sig.args[0] == ()
    assert keyring_backend.entries == {}
    assert load_accounts(settings) == [] and d.list.count() == 0
    settings.sync()
    assert json.loads(settings.value(ACCOUNTS_KEY)) == []


def test_add_refuses_incomplete_keys_without_touching_the_keyring(qtbot, ini_settings, store, keyring_backend):
    settings, _ = ini_settings
    d = open_dialog(qtbot, settings, store)
    fill(d, "binance", "x", KEY.key, "")
    d.add_button.click()
    assert "both the API key and the secret" in d.result_label.text()
    fill(d, "okx", "x", KEY.key, KEY.secret, "")
    d.add_button.click()
    assert "passphrase" in d.result_label.text()
    assert keyring_backend.entries == {} and d.accounts == []


@pytest.mark.parametrize(
    "backend, words",
    [(fail.Keyring(), "no usable keyring backend"), (LockedKeyring(), "locked")],
    ids=["no-backend", "locked"],
)
def test_without_a_usable_keyring_accounts_are_explained_and_disabled(qtbot, ini_settings, backend, words):
    settings, path = ini_settings
    d = open_dialog(qtbot, settings, CredentialStore(backend=backend))
    assert d.keyring_ok is False
    text = d.keyring_label.text().lower()
    assert "exchange accounts are disabled" in text and words in text and "in a file" in text
    assert not d.add_box.isEnabled() and not d.add_button.isEnabled() and not d.test_new_button.isEnabled()
    # Even calling add directly stores nothing anywhere.
    fill(d, "binance", "x", KEY.key, KEY.secret)
    d.add_account()
    qtbot.waitUntil(lambda: not d.busy, timeout=5000)
    assert d.accounts == [] and "Could not store the key" in d.result_label.text()
    settings.sync()
    assert not path.exists() or KEY.secret not in path.read_text()


@pytest.mark.parametrize("exchange", ["binance", "okx", "bybit"])
def test_test_connection_accepted_then_rejected_key(qtbot, ini_settings, store, fake, exchange):
    settings, _ = ini_settings
    d = open_dialog(qtbot, settings, store, fake.urls)
    fill(d, exchange, "t", KEY.key, KEY.secret, KEY.passphrase)
    d.test_new_button.click()
    qtbot.waitUntil(lambda: d.result_label.text().startswith("Accepted"), timeout=15000)
    # The fake key is read-only: no warning, and the read-only state is said.
    assert "Read-only key" in d.warning_label.text()
    fill(d, exchange, "t", KEY.key, "not-the-secret-000000", KEY.passphrase)
    d.test_new_button.click()
    qtbot.waitUntil(lambda: d.result_label.text().startswith("Rejected key"), timeout=15000)
    assert "not-the-secret" not in d.result_label.text()


@pytest.mark.parametrize(
    "setting, value, title",
    [
        ("passphrase", "wrong-pass", "Wrong passphrase"),
        ("ip_whitelisted", False, "IP not whitelisted"),
        ("clock_offset_ms", 120_000, "Clock skew"),
        ("delay_s", 2.0, "Timeout"),
    ],
)
def test_test_connection_reports_each_failure_plainly(qtbot, ini_settings, store, fake, setting, value, title):
    settings, _ = ini_settings
    d = open_dialog(qtbot, settings, store, fake.urls, timeout_s=0.8 if setting == "delay_s" else 5.0)
    passphrase = value if setting == "passphrase" else KEY.passphrase
    if setting != "passphrase":
        setattr(fake.state, setting, value)
    fill(d, "okx", "t", KEY.key, KEY.secret, passphrase)
    with qtbot.waitSignal(d.test_finished, timeout=15000) as sig:
        d.test_new_button.click()
    assert d.result_label.text().startswith(title + ":"), d.result_label.text()
    assert sig.args[0].status != "accepted"


def test_a_key_that_can_trade_and_withdraw_is_warned_about(qtbot, ini_settings, store, fake):
    settings, _ = ini_settings
    d = open_dialog(qtbot, settings, store, fake.urls)
    fill(d, "binance", "t", TRADING_KEY.key, TRADING_KEY.secret)
    with qtbot.waitSignal(d.test_finished, timeout=15000):
        d.test_new_button.click()
    assert d.result_label.text().startswith("Accepted")
    warning = d.warning_label.text()
    assert "trade and withdraw" in warning and "read-only" in warning


def test_saved_account_is_tested_with_the_key_from_the_keyring(qtbot, ini_settings, store, fake):
    settings, _ = ini_settings
    from gui.positions.saved import save_accounts

    info = stored_account(store, "bybit")
    save_accounts(settings, [info])
    d = open_dialog(qtbot, settings, store, fake.urls)
    assert d.list.count() == 1 and d.selected() == info
    with qtbot.waitSignal(d.test_finished, timeout=15000) as sig:
        d.test_selected_button.click()
    assert sig.args[0].status == "accepted" and d.result_label.text().startswith("Accepted")


class _SlowKeyring(MemoryKeyring):
    """Holds every write until the test releases it (a Secret Service waiting on an unlock prompt)."""

    viable = False

    def __init__(self) -> None:
        super().__init__()
        import threading

        self.release = threading.Event()

    def set_password(self, service, username, password):
        self.release.wait(10)
        super().set_password(service, username, password)


def test_the_dialog_stays_open_while_the_keyring_is_being_written(qtbot, ini_settings):
    settings, _ = ini_settings
    slow = _SlowKeyring()
    d = open_dialog(qtbot, settings, CredentialStore(backend=slow))
    fill(d, "bybit", "slow", KEY.key, KEY.secret)
    d.add_button.click()
    assert d.writing and not d.add_button.isEnabled()
    d.close()
    assert d.isVisible() and "Still saving to the keyring" in d.result_label.text()
    with qtbot.waitSignal(d.accounts_changed, timeout=5000):
        slow.release.set()
    assert len(slow.entries) == 1 and [a.label for a in load_accounts(settings)] == ["slow"]
    d.close()
    assert not d.isVisible()
