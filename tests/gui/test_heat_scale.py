"""The heatmap's colour bar in USD, and absolute vs relative colour scales, driven with clicks and keys."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from gui.items.axes import format_compact
from gui.items.heatmap import HeatScale, HeatmapStyle, ZSCORE_TOP, clip_level, colour_levels
from gui.widgets.colour_bar import tick_labels
from tests.gui.conftest import wait_drawn


def _zoom_to_12h(win, qtbot):
    """Pick the 12 h range in the toolbar (keyboard on the combo) and wait for the new heatmap."""
    before = win.terminal._shown_heat
    box = win.toolbar.lookback
    box.setFocus()
    qtbot.keyClick(box, QtCore.Qt.Key.Key_Home)
    assert box.currentData() == 12 * 3600
    qtbot.waitUntil(lambda: win.terminal._shown_heat is not None and win.terminal._shown_heat is not before
                    and len(win.terminal._shown_heat.time_edges) < len(before.time_edges), timeout=15000)


def test_colour_levels_per_scale():
    v = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 100.0]])
    assert colour_levels(v, HeatmapStyle(scale=HeatScale.VIEW)) == (0.0, clip_level(v, 0.995))
    assert colour_levels(v, HeatmapStyle(scale=HeatScale.ABSOLUTE, absolute_usd=50.0)) == (0.0, 50.0)
    assert colour_levels(v, HeatmapStyle(scale=HeatScale.ABSOLUTE), locked_usd=7.0) == (0.0, 7.0)
    nz = v[v > 0]
    lo, hi = colour_levels(v, HeatmapStyle(scale=HeatScale.ZSCORE))
    assert lo == pytest.approx(nz.mean()) and hi == pytest.approx(nz.mean() + ZSCORE_TOP * nz.std())
    assert [t for _, t in tick_labels(0.0, 2_000_000.0, False)] == ["$0", "$1.0M", "≥$2.0M"]


def test_colour_bar_shows_usd_and_absolute_scale_survives_a_zoom(demo_window, qtbot):
    win = demo_window
    heat, bar = win.terminal.price.heatmap, win.terminal.colour_bar
    assert bar.isVisible() and heat.style.scale is HeatScale.ABSOLUTE
    assert "USD per cell" in bar.title and "absolute" in bar.title
    assert bar.labels[-1][1] == "≥$" + format_compact(heat.level_usd)
    fixed = heat.level_usd
    _zoom_to_12h(win, qtbot)
    # The same dollars get the same colour after the zoom: the scale did not follow the view.
    assert heat.level_usd == fixed and bar.high == fixed
    assert clip_level(heat.values, heat.style.clip) != pytest.approx(fixed)


def test_click_on_the_colour_bar_switches_to_relative(demo_window, qtbot):
    win = demo_window
    heat, bar = win.terminal.price.heatmap, win.terminal.colour_bar
    qtbot.mouseClick(bar, QtCore.Qt.MouseButton.LeftButton)
    assert heat.style.scale is HeatScale.VIEW and "relative to view" in bar.title
    assert heat.level_usd == pytest.approx(clip_level(heat.values, heat.style.clip))
    _zoom_to_12h(win, qtbot)
    assert heat.level_usd == pytest.approx(clip_level(heat.values, heat.style.clip)) and bar.high == heat.level_usd
    qtbot.mouseClick(bar, QtCore.Qt.MouseButton.LeftButton)
    assert heat.style.scale is HeatScale.ABSOLUTE


def test_dialog_sets_zscore_and_a_fixed_usd_level_which_persist(make_window, qtbot):
    win = make_window()
    wait_drawn(qtbot, win)
    heat, bar = win.terminal.price.heatmap, win.terminal.colour_bar
    dlg = win.ask_heatmap_style()
    dlg.scale.setFocus()
    qtbot.keyClick(dlg.scale, QtCore.Qt.Key.Key_End)  # the last entry: z-score
    assert heat.style.scale is HeatScale.ZSCORE and "z-score" in bar.title
    nz = heat.values[heat.values > 0]
    assert heat.low_usd == pytest.approx(float(nz.mean()), rel=1e-4)
    assert heat.level_usd == pytest.approx(float(nz.mean() + ZSCORE_TOP * nz.std()), rel=1e-4)
    assert "(mean)" in bar.labels[0][1]
    qtbot.keyClick(dlg.scale, QtCore.Qt.Key.Key_Home)  # absolute
    assert dlg.absolute.isEnabled()
    dlg.absolute.selectAll()
    qtbot.keyClicks(dlg.absolute, "5000000")
    qtbot.keyClick(dlg.absolute, QtCore.Qt.Key.Key_Enter)
    assert heat.style.absolute_usd == 5_000_000 and heat.level_usd == 5_000_000
    assert bar.labels[-1][1] == "≥$5.0M"
    dlg.close()
    win.close()
    again = make_window()
    style = again.terminal.price.heatmap.style
    assert style.scale is HeatScale.ABSOLUTE and style.absolute_usd == 5_000_000
