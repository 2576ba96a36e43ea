"""Crashes: an uncaught exception in a Qt slot or in another thread is written to the log file with its
traceback, and a plain-text dialog names that file; Help → Open log folder opens the log's folder."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6 import QtCore, QtGui

from market import logs

PRIVATE = "text-only-the-log-may-hold"


@pytest.fixture
def reporter(qtbot, tmp_path, monkeypatch):
    from gui.app import make_app
    from gui.crash import install_crash_reporting

    monkeypatch.setenv("CASCADE_LOG_DIR", str(tmp_path / "logs"))
    # Restored after the test (pytest and pytest-qt have hooks of their own).
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    r = install_crash_reporting(make_app())
    yield r
    for h in root.handlers:
        h.close()
    if r.box is not None:
        r.box.close()


def _log_text() -> str:
    for h in logging.getLogger().handlers:
        h.flush()
    return logs.log_path().read_text(encoding="utf-8")


def test_a_thread_crash_is_logged_and_the_dialog_names_the_log_file(qtbot, reporter, tmp_path):
    def boom() -> None:
        raise ValueError(PRIVATE)

    t = threading.Thread(target=boom, name="feed-7")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=5000)
    text = reporter.box.text()
    assert str(tmp_path / "logs" / "cascade.log") in text and "ValueError" in text and "feed-7" in text
    assert PRIVATE not in text  # the message stays in the (scrubbed) log
    assert reporter.box.textFormat() == QtCore.Qt.TextFormat.PlainText
    log = _log_text()
    assert "CRITICAL" in log and "Traceback (most recent call last)" in log and f"ValueError: {PRIVATE}" in log
    assert "in boom" in log


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_qt_slot_reaches_the_log_and_the_dialog(qtbot, reporter):
    def slot() -> None:
        {}["missing"]

    QtCore.QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=5000)
    assert "KeyError" in reporter.box.text() and "MainThread" in reporter.box.text()
    assert "KeyError: 'missing'" in _log_text()
    # A second crash while the dialog is open updates it instead of stacking another one.
    QtCore.QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: reporter.count == 2, timeout=5000)
    assert "1 more unexpected error" in reporter.box.text()


def test_help_open_log_folder(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CASCADE_LOG_DIR", str(tmp_path / "logs"))
    opened = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    win = make_window()
    help_menu = next(a.menu() for a in win.menuBar().actions() if a.menu() is not None and a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text() == "Open &log folder")
    assert action is win.actions_by_name["open_log_folder"]
    action.trigger()
    assert opened == [str(tmp_path / "logs")] and (tmp_path / "logs").is_dir()
