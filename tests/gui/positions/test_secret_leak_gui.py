"""The GUI half of the leak test: a whole session with a recognizable fake key, secret and passphrase
(add the account, test it, fetch positions, save a snapshot, provoke errors), then every QSettings file,
snapshot and other file written, every log record, stdout/stderr (file-descriptor level, so Qt's and C
libraries' output too) and every text the window shows is searched: none holds any of them."""

from __future__ import annotations

import logging
from pathlib import Path

from gui import file_actions
from gui.positions import install_positions_ui
from market.credentials import SERVICE
from tests.fake_exchange.private import ApiKey
from tests.gui.conftest import wait_drawn

CANARY_KEY = "GUICANARYKEY-7c4e1a9b3d"
CANARY_SECRET = "GUI-CANARY-SECRET-5e6f7a8b9c"
CANARY_PASS = "GUI-CANARY-PASS-271828"
CANARIES = (CANARY_KEY, CANARY_SECRET, CANARY_PASS)
LOGGERS = ("", "ccxt", "aiohttp", "asyncio", "market", "gui", "keyring", "market.accounts.ccxt")


def _files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_whole_gui_session_leaks_no_secret(make_window, qtbot, store, keyring_backend, fake, private_settings, tmp_path, caplog, capfd):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    canary = ApiKey(CANARY_KEY, CANARY_SECRET, CANARY_PASS)
    fake.state.keys.append(canary)
    texts: list[str] = []
    try:
        win = make_window()
        wait_drawn(qtbot, win)
        ctl = install_positions_ui(win, store=store, urls_override=fake.urls, interval_ms=60_000)
        win.actions_by_name["accounts"].trigger()
        d = ctl.accounts_dialog
        qtbot.waitUntil(lambda: d.keyring_ok is True, timeout=5000)

        # Test the typed key, then a wrong secret and a wrong passphrase.
        def test_with(secret: str, passphrase: str) -> str:
            d.exchange.setCurrentIndex(d.exchange.findData("okx"))
            d.key_edit.setText(CANARY_KEY)
            d.secret_edit.setText(secret)
            d.passphrase_edit.setText(passphrase)
            with qtbot.waitSignal(d.test_finished, timeout=15000) as sig:
                d.test_new_button.click()
            texts.append(repr(sig.args[0]))
            return d.result_label.text()

        assert test_with(CANARY_SECRET, CANARY_PASS).startswith("Accepted")
        assert test_with(CANARY_SECRET + "-x", CANARY_PASS).startswith("Rejected key")
        assert test_with(CANARY_SECRET, CANARY_PASS + "-x").startswith("Wrong passphrase")
        texts.append(d.result_label.text())

        # Add it: the worker starts and the position is drawn.
        d.label_edit.setText("canary account")
        d.key_edit.setText(CANARY_KEY)
        d.secret_edit.setText(CANARY_SECRET)
        d.passphrase_edit.setText(CANARY_PASS)
        with qtbot.waitSignal(d.accounts_changed, timeout=5000):
            d.add_button.click()
        assert any(CANARY_SECRET in v for v in keyring_backend.entries.values())  # it is in the keyring (control)
        assert [k[0] for k in keyring_backend.entries] == [SERVICE]
        qtbot.waitUntil(lambda: ctl.last_update is not None and len(ctl.overlay.drawn) == 1, timeout=20000)
        texts.append(ctl.overlay.card_text())

        # Save a snapshot through the GUI's own action.
        snap = tmp_path / "session"
        with qtbot.waitSignal(file_actions.save_snapshot_to(win.services, str(snap)).done, timeout=20000):
            pass
        assert (tmp_path / "session.cascade").stat().st_size > 0

        # Provoke errors: IP whitelist, clock skew, and a key gone from the keyring.
        for setting, value in (("ip_whitelisted", False), ("clock_offset_ms", 120_000)):
            default = getattr(fake.state, setting)
            setattr(fake.state, setting, value)
            try:
                before = ctl.last_update.round
                ctl.refresh()
                qtbot.waitUntil(lambda: ctl.last_update.round > before, timeout=20000)
                assert ctl.last_update.errors(), setting
                texts += [ctl.overlay.card_text(), win.statusBar().currentMessage(), repr(ctl.last_update)]
            finally:
                setattr(fake.state, setting, default)
        d.test_selected_button.click()
        qtbot.waitUntil(lambda: d.result_label.text().startswith("Accepted"), timeout=15000)
        keyring_backend.entries.clear()
        before = ctl.last_update.round
        ctl.refresh()
        qtbot.waitUntil(lambda: ctl.last_update.round > before, timeout=20000)
        texts += [ctl.overlay.card_text(), win.statusBar().currentMessage()]
        assert "no stored key" in ctl.overlay.card_text()
        texts += [d.result_label.text(), d.warning_label.text(), d.keyring_label.text(),
                  d.key_edit.text(), d.secret_edit.text(), d.passphrase_edit.text()]
        win.save_settings()
        win.close()
    finally:
        fake.state.keys.remove(canary)

    captured = capfd.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    files = _files_under(Path(private_settings), tmp_path)
    assert any(p.suffix == ".ini" for p in files) and any(p.suffix == ".cascade" for p in files)
    for canary_text in CANARIES:
        leaks = [t[:200] for t in texts if canary_text in t]
        assert not leaks, f"{canary_text[:12]}… leaked in {leaks}"
        for p in files:
            assert canary_text.encode() not in p.read_bytes(), f"{canary_text[:12]}… leaked into {p}"
