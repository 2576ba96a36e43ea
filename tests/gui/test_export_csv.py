"""File → Export data as CSV: a zip of what is on screen, prices on the tick size."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from PySide6 import QtCore, QtWidgets

from gui.export_tables import round_to_tick, tick_size


def test_tick_size_from_the_prices():
    assert tick_size(np.array([121116.1, 121116.3, 121117.0])) == pytest.approx(0.1)
    assert tick_size(np.array([121116.123456789, 121000.987654])) == pytest.approx(0.1)  # unrounded: 7 digits
    assert tick_size(np.array([3000.01, 3000.02])) == pytest.approx(0.01)
    assert tick_size(np.array([150.01, 150.37])) == pytest.approx(0.01)
    assert tick_size(np.array([64000.0, 64010.0])) == pytest.approx(1.0)
    assert list(round_to_tick([121116.1234, 99.96], 0.1)) == [121116.1, 100.0]


def test_export_menu_writes_a_zip_of_what_is_on_screen(demo_window, qtbot, tmp_path, monkeypatch):
    win = demo_window
    box = win.toolbar.lookback
    box.setFocus()
    qtbot.keyClick(box, QtCore.Qt.Key.Key_Home)  # 12 h on screen
    qtbot.waitUntil(lambda: win.terminal.result.request.heat_range_ms is not None
                    and win.terminal.result.request.heat_range_ms[1] - win.terminal.result.request.heat_range_ms[0] < 14 * 3600_000
                    and win.terminal.result.liquidity is not None, timeout=20000)
    target = tmp_path / "shown"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    shown, (x0, x1) = win.terminal.result, win.terminal.visible_x()  # what the export takes (the demo ticks on)
    win.actions_by_name["export_csv"].trigger()
    path = tmp_path / "shown.zip"
    qtbot.waitUntil(lambda: "Exported shown.zip" in win.statusBar().currentMessage(), timeout=30000)
    z = zipfile.ZipFile(path)
    names = set(z.namelist())
    assert {"README.txt", "candles.csv", "venues.csv", "liquidation_events.csv", "liquidation_map.csv", "heatmap.csv",
            "imbalance.csv"} <= names
    read = lambda n: pd.read_csv(io.BytesIO(z.read(n)))  # noqa: E731
    c = shown.chart.candles
    in_view = (c.x * 1000 > x0 * 1000 - shown.chart.timeframe_ms) & (c.x < x1)
    candles = read("candles.csv")
    assert len(candles) == int(in_view.sum()) and 600 < len(candles) < 800  # about 12 h of 1 m bars
    # Rounded to the tick size inferred from the candles, which the README states.
    tick = tick_size(np.concatenate([c.open, c.close]))
    assert f"tick size {tick:g} " in z.read("README.txt").decode()
    np.testing.assert_allclose(candles["close"], round_to_tick(c.close[in_view], tick), atol=1e-9)
    assert np.allclose(candles["high"] / tick, np.round(candles["high"] / tick), atol=1e-6)
    venues = read("venues.csv")
    assert set(venues["exchange"]) == set(win.exchanges)
    for col in ("volume_base", "oi_base", "oi_usd", "funding_rate"):
        assert venues[col].notna().all(), col
    binance = venues[venues["exchange"] == "binance"]
    assert binance["volume_base"].sum() < candles["volume_base"].sum()  # one venue of the summed three
    m = shown.liquidity.map
    table = read("liquidation_map.csv")
    assert len(table) == len(m.long_usd)
    np.testing.assert_allclose(table["long_usd"], m.long_usd, rtol=1e-9)
    per_venue = sum(table[f"long_usd_{ex}"] for ex in win.exchanges)
    np.testing.assert_allclose(per_venue, table["long_usd"], rtol=1e-6, atol=1e-3)
    heat = read("heatmap.csv")
    assert heat.columns[0] == "time_utc" and heat.shape[1] == 1 + shown.liquidity.heatmap.values.shape[1]
    imb = read("imbalance.csv").iloc[0]
    assert imb["shorts_at_risk"] == pytest.approx(shown.imbalance.shorts_at_risk_usd)
    assert imb["up_target"] == pytest.approx(round(shown.imbalance.up, 1))
    events = read("liquidation_events.csv")
    assert len(events) > 0 and set(events["side"]) <= {"long", "short"}
    assert "ESTIMATE" in z.read("README.txt").decode()
