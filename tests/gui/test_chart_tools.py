"""Timeframe change, target drags, measure mode and the replay slider, driven with keys and the mouse."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from tests.gui import mouse
from tests.gui.conftest import wait_result


def test_timeframe_key_keeps_the_time_span_and_refits_price(demo_window, qtbot):
    win = demo_window
    t = win.terminal
    b = t.chart.time_bounds_s()
    mid = (b[0] + b[1]) / 2
    t.price.view.setXRange(mid - 1800, mid + 1800, padding=0)  # a one-hour zoom at 1 m
    qtbot.wait(50)
    t.focus_chart()
    QTest.keyClick(t.price.plot_widget, QtCore.Qt.Key.Key_4)  # 1 h
    r = wait_result(qtbot, win, lambda r: r.chart.timeframe_ms == 3_600_000)
    qtbot.waitUntil(lambda: t.chart.timeframe_ms == 3_600_000)
    x0, x1 = t.visible_x()
    c = r.chart.candles
    shown = (c.x + 3600 > x0) & (c.x < x1)
    assert shown.sum() >= min(40, len(c) - 1)  # not one bar: a flat stripe
    assert x0 <= mid - 1800 and x1 >= mid - 1800  # the old span is still in view
    y0, y1 = t.price.view.viewRange()[1]
    lo, hi = float(c.low[shown].min()), float(c.high[shown].max())
    assert y0 <= lo and hi <= y1 and (y1 - y0) < 3.6 * (hi - lo)  # fitted to the new bars (reaching toward the targets by one range at most)
    vol = dict((k, v) for k, v, _ in t.side_info["volume"].rows)["Volume"]
    assert vol not in ("0", "0.0")


def test_dragging_a_target_freezes_the_axis_and_keeps_it_above_price(demo_window, qtbot):
    win = demo_window
    p = win.terminal.price
    price = win.terminal.chart.last_close
    win.state.update(targets=(round(price * 1.01), round(price * 0.99)))  # both lines inside the view
    wait_result(qtbot, win, lambda r: r.request.targets == (round(price * 1.01), round(price * 0.99)))
    qtbot.wait(200)
    y_before = p.view.viewRange()[1]
    assert y_before[0] < p.down_line.value() < price < p.up_line.value() < y_before[1]
    x = float(np.mean(p.view.viewRange()[0]))
    start = mouse.view_to_widget(p.plot_widget, p.view, x, p.up_line.value())
    end = mouse.view_to_widget(p.plot_widget, p.view, x, y_before[0] + (price - y_before[0]) * 0.3)  # far below price
    ranges = []
    mouse.drag(p.plot_widget, start, end, steps=6, between=lambda i: (qtbot.wait(120), ranges.append(p.view.viewRange()[1])))
    assert all(r == y_before for r in ranges)  # frozen while the mouse holds the line
    up, down = p.targets()
    assert price < up < price * 1.003 and down < price  # clamped to its side of the price
    r = wait_result(qtbot, win, lambda r: r.request.targets is not None and r.request.targets[0] == up)
    assert r.imbalance.up > r.imbalance.price


def test_measure_mode_ends_after_one_measurement(demo_window, qtbot):
    win = demo_window
    t, p = win.terminal, win.terminal.price
    t.focus_chart()
    QTest.keyClick(p.plot_widget, QtCore.Qt.Key.Key_M)
    assert t.measuring and win.actions_by_name["measure"].isChecked()
    (x0, x1), (y0, y1) = p.view.viewRange()
    a = mouse.view_to_widget(p.plot_widget, p.view, x0 + (x1 - x0) * 0.3, y0 + (y1 - y0) * 0.4)
    b = mouse.view_to_widget(p.plot_widget, p.view, x0 + (x1 - x0) * 0.6, y0 + (y1 - y0) * 0.7)
    mouse.click(p.plot_widget, a)
    mouse.move(p.plot_widget, b)
    mouse.click(p.plot_widget, b)
    assert not t.measuring and not win.actions_by_name["measure"].isChecked()
    assert t.measure_item.label.isVisible() and "%" in t.measure_item.label.toPlainText()  # the result stays
    mouse.click(p.plot_widget, a)  # a later click is an ordinary click, not a new measurement
    assert t._measure_start is None


def test_stacked_open_interest_starts_at_zero_in_base_and_usd(demo_window, qtbot):
    win = demo_window
    oi = win.terminal.panels["open_interest"]
    (x0, x1), (y0, y1) = oi.view.viewRange()
    top = oi.stacked[list(oi.stacked)[-1]]
    in_view = (top.x >= x0) & (top.x <= x1)
    assert in_view.any()
    assert y0 == 0.0 and y1 >= float(top.y[in_view].max())  # the whole stack in view, from 0
    win.actions_by_name["oi_usd"].trigger()  # View → Open interest in USD
    qtbot.waitUntil(lambda: oi.in_usd and oi.view.viewRange()[1][1] > 1e8)
    assert oi.view.viewRange()[1][0] == 0.0


def test_replay_track_click_jumps_to_the_clicked_time(make_window, qtbot, tmp_path):
    from gui.sources import SourceSpec
    from market.simulator import DemoSource
    from market.store import save_snapshot

    src = DemoSource(seed=3, history_days=1)
    frames = src.history(src.info().symbols[0])
    src.close()
    path = tmp_path / "day.cascade"
    save_snapshot(frames, str(path), source_kind="demo")
    win = make_window(SourceSpec("snapshot", path=str(path)))
    qtbot.waitUntil(lambda: win.replay.isVisible() and win.terminal.has_drawn_data(), timeout=20000)
    slider = win.replay.slider
    qtbot.waitUntil(lambda: slider.width() > 100)
    QTest.mouseClick(slider, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(slider.width() // 4, slider.height() // 2))
    share = slider.value() / slider.maximum()
    assert 0.15 < share < 0.35  # near the click, not one page step from the end
    start, end = win.replay.start_ms, win.replay.end_ms
    r = wait_result(qtbot, win, lambda r: r.request.as_of_ms is not None)
    assert abs((r.request.as_of_ms - start) / (end - start) - share) < 0.02


def test_crosshair_reads_the_heatmap_cell_under_the_mouse(demo_window, qtbot):
    win = demo_window
    t, p = win.terminal, win.terminal.price
    heat = t._shown_heat
    (x0, x1), (y0, y1) = p.view.viewRange()
    te, pe = heat.time_edges / 1000.0, heat.price_edges
    cols = np.flatnonzero((te[:-1] >= x0) & (te[1:] <= x1))
    rows = np.flatnonzero((pe[:-1] >= y0) & (pe[1:] <= y1))
    sub = heat.values[np.ix_(cols, rows)]
    ci, rj = np.unravel_index(int(np.argmax(sub)), sub.shape)
    i, j = int(cols[ci]), int(rows[rj])  # the brightest visible cell
    at = mouse.view_to_widget(p.plot_widget, p.view, (te[i] + te[i + 1]) / 2, (pe[j] + pe[j + 1]) / 2)
    mouse.move(p.plot_widget, at)
    r = win.readout.readout
    assert r.cell is not None and r.cell.t0_ms == int(heat.time_edges[i]) and r.cell.p0 == float(pe[j])
    assert r.long_usd + r.short_usd == np.float32(heat.values[i, j]) > 0  # not "$0" on the brightest band
    assert "heatmap cell" in win.readout.text()


def test_log_scale_draws_each_heatmap_level_at_its_price(demo_window, qtbot):
    win = demo_window
    t = win.terminal
    t.focus_chart()
    QTest.keyClick(t.price.plot_widget, QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert t.price.log_scale
    heat, img = t._shown_heat, t.price.heatmap
    rect = img._rect
    col = heat.values.shape[0] - 1
    for j in np.linspace(5, heat.values.shape[1] - 5, 7).astype(int):  # linear bins across the range
        centre = 0.5 * (heat.price_edges[j] + heat.price_edges[j + 1])
        row = int((np.log10(centre) - rect.top()) / rect.height() * img.values.shape[1])
        assert img.values[col, row] == heat.values[col, j]  # the image row at log10(price) holds that bin
    axis = t.price.value_axis
    (_, _), (y0, y1) = t.price.view.viewRange()
    ticks = axis.tickValues(y0, y1, 400)[0][1]
    labels = axis.tickStrings(ticks, 1, 0)
    assert len(ticks) >= 3
    assert all(float(s.replace(",", "")) % axis._log_step == 0 for s in labels)  # round prices
    assert all(abs(10**v - float(s.replace(",", ""))) < 1e-6 * 10**v for v, s in zip(ticks, labels))
