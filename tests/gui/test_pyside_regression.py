"""PySide6 6.12.0 on CPython 3.11 drops None's refcount on every void Qt call and aborts after a few thousand.

The app makes that many calls in its first second of painting; this test makes 50k in one process.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = r"""
import sys
from PySide6 import QtCore, QtGui, QtWidgets
app = QtWidgets.QApplication([])
w = QtWidgets.QWidget()
pen = QtGui.QPen()
img = QtGui.QImage(64, 64, QtGui.QImage.Format.Format_ARGB32)
p = QtGui.QPainter(img)
before = sys.getrefcount(None)
for i in range(50_000):
    w.resize(100 + i % 7, 100)
    pen.setWidth(i % 5)
    p.setPen(pen)
    p.drawLine(0, 0, i % 64, 63)
p.end()
after = sys.getrefcount(None)
print(before, after)
"""


def test_fifty_thousand_void_qt_calls_do_not_corrupt_none():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    before, after = map(int, proc.stdout.split())
    # A healthy binding leaves None's count about where it was (200k calls would have cost 200k refs).
    assert after > before - 1000
