"""The --screenshot path as a user runs it: a real process, a real PNG with the charts drawn in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6 import QtGui

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_of_the_demo_is_a_drawn_window(tmp_path):
    out = tmp_path / "out.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CASCADE_TEST="1", CASCADE_SETTINGS_DIR=str(tmp_path / "s"))
    proc = subprocess.run(
        [sys.executable, "main.py", "--demo", "--seed", "7", "--screenshot", str(out), "--quit-after", "90"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    img = QtGui.QImage(str(out))
    assert img.width() >= 1000 and img.height() >= 700
    # The chart area (left 3/4, upper half) holds the candles over the heatmap: many distinct colours.
    colours = set()
    for y in range(img.height() // 10, img.height() // 2, 3):
        for x in range(10, img.width() * 3 // 4, 3):
            colours.add(img.pixel(x, y))
    assert len(colours) > 200
    # Candle colours (dark theme up/down) are present.
    assert any(QtGui.QColor(p).name() in ("#26a69a", "#ef5350") for p in colours)
