"""Measure tool, heatmap colour controls, model settings, alerts: driven like a user would."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtWidgets

from analytics.levels import LiquidationMap
from gui.alert_rules import NEAR, SWEPT, AlertRule, AlertState, evaluate
from gui.items.measure import Measurement
from tests.gui.conftest import wait_result


def test_measure_reads_percent_and_duration(demo_window):
    t = demo_window.terminal
    demo_window.actions_by_name["measure"].setChecked(True)
    assert t.measuring
    m = t.measure((1_000_000.0, 80_000.0), (1_000_000.0 + 3 * 3600 + 20 * 60, 84_000.0))
    assert m.pct == pytest.approx(5.0)
    assert m.text() == "+5.00% (+4,000.0) · 3h 20m"
    assert t.measure_item.label.isVisible() and t.measure_item.label.toPlainText() == m.text()
    assert Measurement(0, 100.0, 90_000, 97.5).text() == "−2.50% (−2.5) · 1d 1h 0m"
    demo_window.actions_by_name["measure"].setChecked(False)
    assert not t.measure_item.label.isVisible()


def test_heatmap_controls_change_the_drawn_image(demo_window):
    win = demo_window
    heat = win.terminal.price.heatmap
    assert heat.image is not None
    before = heat.image.copy()
    dlg = win.ask_heatmap_style()
    dlg.sliders["gamma"].setValue(150)
    assert heat.style.gamma == pytest.approx(1.5)
    # gamma > 1 darkens mid levels: the normalised image is the old one to the power 1.5 / 0.8.
    np.testing.assert_allclose(heat.image, before ** (1.5 / 0.8), rtol=1e-4, atol=1e-6)
    dlg.colormap.setCurrentText("viridis")
    assert heat.style.colormap == "viridis"
    dlg.close()


def test_model_settings_dialog_changes_the_model(demo_window, qtbot):
    win = demo_window
    dlg = win.ask_model_settings()
    dlg.table.setRowCount(2)
    for row, (lev, w) in enumerate(((10, 1), (50, 1))):
        dlg.table.setItem(row, 0, QtWidgets.QTableWidgetItem(str(lev)))
        dlg.table.setItem(row, 1, QtWidgets.QTableWidgetItem(str(w)))
    dlg.bin.setValue(250)
    dlg.accept()
    assert win.model.leverages == (10.0, 50.0) and win.model.bin_usd == 250
    r = wait_result(qtbot, win, lambda r: r.request.model.leverages == (10.0, 50.0) and r.liquidity is not None)
    assert r.liquidity.map.bin_usd == pytest.approx(250)
    # A bad cell is refused with a message, the model stays.
    dlg2 = win.ask_model_settings()
    dlg2.table.setItem(0, 0, QtWidgets.QTableWidgetItem("ten"))
    dlg2.accept()
    assert dlg2.isVisible() and "Not valid" in dlg2.error.text()
    dlg2.reject()
    assert win.model.leverages == (10.0, 50.0)


def _map(price, longs, shorts, edges):
    return LiquidationMap(0, price, np.asarray(edges, float), np.asarray(longs, float), np.asarray(shorts, float))


def test_alert_rules_fire_once_and_detect_sweeps():
    edges = [97, 98, 99, 100, 101, 102, 103]
    near = AlertRule(NEAR, min_usd=50.0, within_pct=2.0)
    state = AlertState()
    m1 = _map(100.2, [0, 0, 60, 0, 0, 0], [0, 0, 0, 0, 0, 80], edges)  # longs at 99.5 (0.7% away), shorts at 102.5 (2.3%)
    fired = evaluate([near], m1, None, state)
    assert [a.key[1:] for a in fired] == [("long", 2)]
    assert fired[0].message == "Price 100.20 is within 0.7% of $60 longs at 99.50"
    assert evaluate([near], m1, m1, state) == []  # not again while it holds
    swept = AlertRule(SWEPT, min_usd=50.0)
    m2 = _map(99.0, [0, 0, 5, 0, 0, 0], [0, 0, 0, 0, 0, 80], edges)  # price fell through 99.5: longs gone
    fired = evaluate([swept], m2, m1, AlertState())
    assert len(fired) == 1 and fired[0].message == "Cluster swept: $55 longs at 99.50"


def test_alerts_dock_raises_notifications_from_results(demo_window, qtbot):
    win = demo_window
    m = win.terminal.result.liquidity.map
    biggest = float(max(m.long_usd.max(), m.short_usd.max()))
    win.alerts.dock.pct.setValue(20.0)
    win.alerts.dock.usd.setValue(biggest / 2 / 1e6)
    win.alerts.dock._add()
    assert len(win.alerts.dock.rules) == 1
    win.state.update(targets=(m.price * 1.05, m.price * 0.95))  # any new result evaluates the rules
    qtbot.waitUntil(lambda: win.alerts.dock.log.count() > 0, timeout=10000)
    assert win.alerts.notifier.sent and "within" in win.alerts.notifier.sent[0]
    win.save_settings()
    assert "near" in win.settings.value("alerts/rules")
