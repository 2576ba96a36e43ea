"""The accounts dialog against a real Secret Service (gnome-keyring in a private D-Bus session).

Skipped in the ordinary run. Run inside the same environment as tests/integration/run_real_keyring.sh,
e.g. ``sh tests/integration/run_real_keyring.sh .venv/bin/python`` once that script also collects
tests/gui/positions/ (it passes ``-m keyring_real``).
"""

from __future__ import annotations

import os
import uuid

import pytest

pytestmark = [
    pytest.mark.keyring_real,
    pytest.mark.skipif(os.environ.get("CASCADE_REAL_KEYRING") != "1", reason="needs the real Secret Service (CASCADE_REAL_KEYRING=1, see run_real_keyring.sh)"),
]


def test_dialog_keeps_the_key_in_the_real_secret_service_only(qtbot, tmp_path):
    import keyring
    from keyring.backends import SecretService
    from PySide6 import QtCore

    from gui.app import make_app
    from gui.dialogs.accounts import AccountsDialog
    from gui.positions.saved import load_accounts
    from market.credentials import CredentialStore

    assert isinstance(keyring.get_keyring(), SecretService.Keyring)
    make_app()
    ini = tmp_path / "s.ini"
    settings = QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat)
    store = CredentialStore(service=f"cascade-gui-test-{uuid.uuid4().hex[:8]}")
    d = AccountsDialog(settings, store)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitUntil(lambda: d.keyring_ok is not None, timeout=10000)
    assert d.keyring_ok, d.keyring_label.text()
    assert "SecretService" in d.keyring_label.text()
    secret = "REAL-GUI-SECRET-" + uuid.uuid4().hex
    d.exchange.setCurrentIndex(d.exchange.findData("okx"))
    d.label_edit.setText("real okx")
    d.key_edit.setText("real-gui-key-0123456789")
    d.secret_edit.setText(secret)
    d.passphrase_edit.setText("real-gui-pass")
    with qtbot.waitSignal(d.accounts_changed, timeout=10000) as sig:
        d.add_button.click()
    [info] = sig.args[0]
    # Read back through the bus by a fresh store (what the next start of Cascade does).
    assert CredentialStore(service=store.service).get_secret(info.id).secret == secret
    settings.sync()
    assert secret not in ini.read_text() and load_accounts(settings) == [info]
    with qtbot.waitSignal(d.accounts_changed, timeout=10000):
        d.remove_button.click()
    assert not CredentialStore(service=store.service).has(info.id)
