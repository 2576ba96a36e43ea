"""The study's first run, with the settings the window opens with, is readable on the demo."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from analytics.study import DAY_MS, HOUR_MS, run_study
from gui.study.view import StudyView
from gui.theme import DARK
from market.simulator import DemoSource


def test_default_settings_give_narrow_enough_intervals_on_the_demo(qtbot):
    src = DemoSource(seed=7, history_days=10)
    frames = src.history(src.info().symbols[0])
    src.close()
    v = StudyView(DARK)
    qtbot.addWidget(v)
    v.set_data(frames)
    v.show()
    try:
        run = v.run_button
        with qtbot.waitSignal(v.result_shown, timeout=120000) as sig:
            qtbot.mouseClick(run, QtCore.Qt.MouseButton.LeftButton)  # nothing changed: the defaults
        result = sig.args[0]
    finally:
        v.shutdown()
    widths = np.array([b.ci_high - b.ci_low for b in result.buckets])
    assert len(widths) >= 3 and (widths < 0.6).all(), widths
    # The baseline in the same run: the former defaults (±10 % within 1 d) on the same data.
    old = run_study(frames.candles, frames.open_interest, every_ms=HOUR_MS, horizon_ms=DAY_MS, band_pct=10.0,
                    timeframe_ms=frames.timeframe_ms)
    old_widths = np.array([b.ci_high - b.ci_low for b in old.buckets])
    assert widths.mean() < 0.5 and widths.mean() < 0.7 * old_widths.mean(), (widths, old_widths)
    reached = 1.0 - float(np.mean(result.observations.first == 0))
    assert reached > 2 * (1.0 - float(np.mean(old.observations.first == 0)))  # a band is reached often enough to count
