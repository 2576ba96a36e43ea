"""The soak's own sampling must not be what grows.

Asking PySide for a window's child QObjects wraps each one in a Python object that the parent's
wrapper keeps. A rich-text label rebuilds its text frames and tables on every update, so sampling a
long session that way piled up wrappers of long-deleted frames: a leak made by the measurement.
"""

from __future__ import annotations

import gc

from PySide6 import QtWidgets

from tests.reliability.soak_memory import qt_object_count


def _wrappers() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if str(type(o).__dict__.get("__module__", "")).startswith("PySide6"))


def test_counting_qt_objects_leaves_no_wrappers_behind(qtbot):
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    label = QtWidgets.QLabel(window)
    window.setCentralWidget(label)
    window.show()

    def update_and_sample(rounds: int) -> int:
        count = 0
        for i in range(rounds):
            label.setText(f"<div>OI</div><table><tr><td>binance</td><td>{i}</td></tr></table>")
            QtWidgets.QApplication.processEvents()
            count = qt_object_count(window)
        return count

    first = update_and_sample(20)
    before = _wrappers()
    last = update_and_sample(200)
    assert last == first  # the same objects counted each time
    assert _wrappers() - before < 10


def test_counts_the_widget_tree():
    window = QtWidgets.QWidget()
    for _ in range(3):
        QtWidgets.QPushButton(window)
    assert qt_object_count(window) >= 4
    window.deleteLater()
