"""Help → Keyboard shortcuts and the README's keyboard table list exactly the window's shortcuts."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6 import QtGui

from gui.menus import SHORTCUTS_HELP

README = Path(__file__).resolve().parents[2] / "README.md"


def _expand(key: str) -> set[str]:
    key = key.strip().strip("`")
    m = re.fullmatch(r"(\d) … (\d)", key)
    return {str(i) for i in range(int(m.group(1)), int(m.group(2)) + 1)} if m else {key}


def help_keys() -> set[str]:
    return set().union(*(_expand(k) for k in re.findall(r"<tr><td>(.*?)</td>", SHORTCUTS_HELP)))


def readme_keys() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Keyboard", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return set().union(*(_expand(k) for k in rows[1:]))  # rows[0] is the header


def test_help_and_readme_list_every_shortcut_of_the_window(make_window):
    win = make_window()
    keys = {a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.PortableText)
            for a in win.findChildren(QtGui.QAction) if not a.shortcut().isEmpty()}
    assert keys == help_keys()
    assert readme_keys() == help_keys()
