"""The window on the demo market: what is drawn equals the source's data."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from market.series import EXCHANGES, per_exchange
from tests.gui.conftest import binance_candles, wait_drawn, wait_result


def test_candles_volume_and_oi_hold_the_source_data(demo_window):
    win = demo_window
    chart = win.terminal.chart
    bn = binance_candles(win)
    x, o, h, l, c = win.terminal.price.candles.data()
    assert len(x) == len(bn) > 2000  # two days of 1-minute candles
    assert c[-1] == pytest.approx(bn["close"].iloc[-1])
    assert np.array_equal(x * 1000, bn["ts"].to_numpy())
    np.testing.assert_allclose(h, bn["high"].to_numpy())
    # Volume: the sum over all three venues per minute.
    vx, vy = win.terminal.panels["volume"].bars.data()
    frames = win.terminal.result.request.frames
    total = frames.candles.groupby("ts")["volume"].sum()
    np.testing.assert_allclose(vy, total.loc[bn["ts"]].to_numpy())
    # OI: Binance's curve is Binance's OI rows (last per minute).
    oi = per_exchange(frames.open_interest, "binance")
    curve = win.terminal.panels["open_interest"].curves["binance"]
    cy = curve.yData
    last = oi.groupby(oi["ts"] - oi["ts"] % 60000).last()
    np.testing.assert_allclose(cy, last["oi_base"].to_numpy())
    assert chart.price_exchange == "binance"
    assert "Demo market — simulated data" in win.status.source_label.text() or win.session.info.label == "Demo market — simulated data"


def test_status_bar_names_the_source_and_feeds(demo_window, qtbot):
    win = demo_window
    qtbot.waitUntil(lambda: "Demo market — simulated data" in win.status.source_label.text(), timeout=3000)
    assert {ex for ex, _text, _lvl in win.status.feed_status.items} == set(EXCHANGES)  # every venue the demo simulates
    assert "analytics" in win.status.analytics_label.text()


def test_live_updates_arrive_and_follow_the_right_edge(make_window, qtbot):
    from gui.sources import SourceSpec

    win = make_window(SourceSpec("demo", seed=3, speed=1200.0, history_days=1))
    first = wait_drawn(qtbot, win)
    n0 = len(first.chart.candles)
    r = wait_result(qtbot, win, lambda r: len(r.chart.candles) >= n0 + 5, timeout=20000)
    x0, x1 = win.terminal.visible_x()
    assert x1 >= r.chart.candles.x[-1]  # the view followed the new bars
    bn = binance_candles(win)
    assert win.terminal.price.candles.data()[4][-1] == pytest.approx(bn["close"].iloc[-1])


def test_settings_restore_timeframe_and_panels(make_window, qtbot):
    win = make_window()
    wait_drawn(qtbot, win)
    win.state.update(timeframe_ms=900_000)
    win.actions_by_name["panel_funding"].setChecked(False)
    win.close()
    again = make_window()
    assert again.timeframe_ms == 900_000
    assert not again.terminal.panel_visible("funding")
    r = wait_result(qtbot, again, lambda r: len(r.chart.candles) > 0)
    assert r.chart.timeframe_ms == 900_000


def test_default_source_offline_falls_back_to_the_demo_and_says_so(make_window, qtbot):
    """No network here: the live exchanges answer nothing; the window shows the demo, labelled."""
    import main
    from gui.sources import spec_from_args

    spec = spec_from_args(main.gui_parser().parse_args([]), history_days=1)
    assert spec.kind == "live"
    win = make_window(spec)
    qtbot.waitUntil(lambda: win.session is not None and win.session.info is not None and win.session.info.kind == "demo", timeout=10000)
    assert win.banner.isVisible() and win.banner.text().startswith("Offline — no connection to Binance, OKX, Bybit or Hyperliquid")
    wait_drawn(qtbot, win)



def test_no_plot_builds_a_context_menu(demo_window, qtbot, monkeypatch):
    # The plots' menus are never shown; building one per plot (then dropping it) was start-up time
    # spent on nothing.
    import sys

    # The module, not the class of the same name its package exports.
    viewbox_mod = sys.modules["pyqtgraph.graphicsItems.ViewBox.ViewBox"]

    from gui.panels.liqmap import LiquidationMapPanel
    from gui.panels.price import PricePanel

    built: list[object] = []
    real = viewbox_mod.ViewBoxMenu

    def counting(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(viewbox_mod, "ViewBoxMenu", counting)
    theme = demo_window.terminal.theme
    panels = [PricePanel(theme), LiquidationMapPanel(theme)]
    assert built == []
    for p in panels:
        qtbot.addWidget(p)
    # A right-click on a plot is harmless without one.
    t = demo_window.terminal
    qtbot.mouseClick(t.price.plot_widget.viewport(), QtCore.Qt.MouseButton.RightButton)
