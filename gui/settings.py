"""Where the window keeps its layout, theme and selections (QSettings).

Tests set CASCADE_TEST=1 (tests/conftest.py): settings then live in a private temporary directory so a
test run never reads or writes the user's real settings.
"""

from __future__ import annotations

import os
import tempfile

from PySide6 import QtCore

ORGANIZATION = "Cascade"
APPLICATION = "Cascade"


def make_settings() -> QtCore.QSettings:
    """The app's QSettings: the user's native store, or an INI file in a temp dir under tests."""
    if os.environ.get("CASCADE_TEST") == "1":
        folder = os.environ.get("CASCADE_SETTINGS_DIR") or os.path.join(tempfile.gettempdir(), f"cascade-test-{os.getpid()}")
        os.makedirs(folder, exist_ok=True)
        return QtCore.QSettings(os.path.join(folder, "cascade.ini"), QtCore.QSettings.Format.IniFormat)
    return QtCore.QSettings(ORGANIZATION, APPLICATION)


def read_bool(settings: QtCore.QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def read_str(settings: QtCore.QSettings, key: str, default: str) -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) else default


def read_list(settings: QtCore.QSettings, key: str, default: list[str]) -> list[str]:
    value = settings.value(key, default)
    if isinstance(value, str):  # INI stores a one-item list as a plain string
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return list(default)
