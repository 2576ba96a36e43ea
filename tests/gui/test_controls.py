"""Every control of the window, driven like a user would; what is drawn is checked against the data."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
import pytest

from analytics.central import Central
from analytics.ensemble import EnsembleModel, weighted_quantiles
from analytics.liquidation import LiquidationModel
from analytics.imbalance import longs_at_risk, shorts_at_risk
from gui.chart_data import resample_candles
from market.series import per_exchange
from tests.gui.conftest import binance_candles, wait_drawn, wait_result


def test_timeframe_change_resamples(demo_window, qtbot):
    win = demo_window
    win.toolbar.timeframe.setCurrentIndex(win.toolbar.timeframe.findData(3_600_000))
    r = wait_result(qtbot, win, lambda r: r.request.timeframe_ms == 3_600_000)
    want = resample_candles(binance_candles(win), 3_600_000)
    x, o, h, l, c = win.terminal.price.candles.data()
    assert len(x) == len(want) and len(x) in (48, 49, 50)
    np.testing.assert_allclose(h, want["high"].to_numpy())
    np.testing.assert_allclose(l, want["low"].to_numpy())
    np.testing.assert_allclose(o, want["open"].to_numpy())
    assert r.chart.timeframe_ms == 3_600_000


def test_exchange_toggles_filter_every_panel(demo_window, qtbot):
    win = demo_window
    win.toolbar.exchange_actions["hyperliquid"].setChecked(False)  # the test follows the first three venues
    win.toolbar.exchange_actions["binance"].setChecked(False)
    r = wait_result(qtbot, win, lambda r: r.request.exchanges == ("okx", "bybit"))
    assert r.chart.price_exchange == "okx"
    okx = per_exchange(r.request.frames.candles, "okx")
    assert win.terminal.price.candles.data()[4][-1] == pytest.approx(okx["close"].iloc[-1])
    assert set(win.terminal.panels["open_interest"].curves) == {"okx", "bybit"}  # stacked: the top is the total
    assert set(win.terminal.panels["open_interest"].series) == {"okx", "bybit", "total"}
    assert set(r.liquidity.map.per_exchange) == {"okx", "bybit"}
    # The last venue cannot be unticked: there is always something to show.
    win.toolbar.exchange_actions["okx"].setChecked(False)
    win.toolbar.exchange_actions["bybit"].setChecked(False)
    assert win.toolbar.exchanges() == ("bybit",)


def test_dragging_target_lines_updates_the_card_with_the_model_numbers(demo_window, qtbot):
    win = demo_window
    price = win.terminal.result.liquidity.map.price
    up, down = round(price * 1.07, -2), round(price * 0.94, -2)
    for line, value in ((win.terminal.price.up_line, up), (win.terminal.price.down_line, down)):
        line.setPos(value)
        line.sigPositionChangeFinished.emit(line)
    r = wait_result(qtbot, win, lambda r: r.request.targets == (up, down))
    known = r.request.frames.known_at(r.request.closed_until_ms)  # the model takes closed candles only
    model = LiquidationModel.from_history(known.candles, known.open_interest, win.model)
    m = model.map_at(exchanges=tuple(r.request.exchanges))  # every venue the window shows
    shorts, longs = shorts_at_risk(m, up), longs_at_risk(m, down)
    assert shorts > 0 and longs > 0
    # Default settings: the card's figures are the median plausible crowd's between the dragged lines,
    # the range around them over the same crowds.
    ens = EnsembleModel.from_history(known.candles, known.open_interest, win.model)
    em = ens.maps_at(None, m.bin_edges, m.price, exchanges=tuple(r.request.exchanges))
    want_shorts = float(weighted_quantiles(em.shorts_at_risk(up)[:, None], em.weights, (0.5,))[0, 0])
    want_longs = float(weighted_quantiles(em.longs_at_risk(down)[:, None], em.weights, (0.5,))[0, 0])
    assert r.imbalance.central is Central.MEDIAN_CROWD
    assert r.imbalance.shorts_at_risk_usd == pytest.approx(want_shorts, rel=1e-6)
    assert r.imbalance.longs_at_risk_usd == pytest.approx(want_longs, rel=1e-6)
    assert r.imbalance.shorts_range[0] <= want_shorts <= r.imbalance.shorts_range[1]
    assert win.card.view is r.imbalance
    text = win.card.text()
    assert f"${up:,.0f}" in text and f"${down:,.0f}" in text and "shorts at risk" in text
    assert "median crowd" in win.card.note.text()
    # The card's own wording of the ratio.
    ratio = want_shorts / want_longs
    assert f"{ratio:.1f} : 1" in text or f"1 : {1 / ratio:.1f}" in text


def test_panels_toggle_and_time_axis_moves_to_the_last_visible(demo_window):
    win = demo_window
    t = win.terminal
    assert t.panels["liquidations"].plot.getAxis("bottom").isVisible()
    win.actions_by_name["panel_liquidations"].setChecked(False)
    assert not t.panel_visible("liquidations")
    assert t.panels["funding"].plot.getAxis("bottom").isVisible()
    assert not t.price.plot.getAxis("bottom").isVisible()
    win.actions_by_name["panel_liquidations"].setChecked(True)
    assert t.panel_visible("liquidations")


def test_theme_switch_recolours_charts_and_persists(demo_window, private_settings):
    from gui.theme import DARK, LIGHT

    win = demo_window
    bg = lambda: win.terminal.price.plot_widget.backgroundBrush().color().name()  # noqa: E731
    assert bg() == DARK.background
    win.actions_by_name["theme_light"].setChecked(True)
    assert bg() == LIGHT.background
    assert win.terminal.price.candles._up.name() == LIGHT.up
    win.save_settings()
    assert win.settings.value("view/theme") == "light"


def test_crosshair_readout_at_a_known_bar(demo_window):
    win = demo_window
    c = win.terminal.chart.candles
    i = len(c) // 2
    m = win.terminal.result.liquidity.map
    b = int(np.argmax(m.long_usd))
    probe = float(m.prices[b])
    r = win.terminal.crosshair_at(float(c.x[i]) + 30, probe)
    assert (r.open, r.high, r.low, r.close) == (c.open[i], c.high[i], c.low[i], c.close[i])
    assert r.volume == c.volume[i]
    # Over the heatmap the readout is the hovered cell's (that time, that price), not today's map.
    from gui.heat_cell import heat_cell

    cell = heat_cell(win.terminal._shown_heat, float(c.x[i]) + 30, probe)
    if cell is not None:
        assert r.cell == cell and r.long_usd == cell.long_usd
    else:
        assert r.cell is None and r.long_usd == pytest.approx(float(m.long_usd[b]))
    assert win.readout.readout == r
    assert f"{c.close[i]:,.1f}" in win.readout.text()


def test_log_scale_and_time_zone(demo_window):
    win = demo_window
    win.actions_by_name["log_scale"].setChecked(True)
    x, o, h, l, c = win.terminal.price.candles.data()
    assert c[-1] == pytest.approx(np.log10(win.terminal.chart.candles.close[-1]))
    assert win.terminal.price.value_axis.tickStrings([np.log10(84000.0)], 1, 0.01)[0].startswith("84,0")
    win.actions_by_name["log_scale"].setChecked(False)
    win.actions_by_name["zone_local"].setChecked(True)
    axis = win.terminal.panels["liquidations"].time_axis
    assert axis.zone == "local"
    axis.tickValues(0.0, 7200.0, 400)
    assert axis.tickStrings([0.0, 3600.0], 1, 3600)[-1].endswith("local")
    win.actions_by_name["zone_local"].setChecked(False)
    axis.tickValues(0.0, 7200.0, 400)
    assert axis.tickStrings([0.0, 3600.0], 1, 3600) == ["00:00", "01:00 UTC"]


def test_symbol_search_opens_a_listed_market_with_its_own_prices(demo_window, qtbot):
    from PySide6.QtTest import QTest

    win = demo_window
    qtbot.waitUntil(lambda: win.services.kept("symbol_search").listings >= 1, timeout=10000)
    listed = win.toolbar.symbol.symbols()
    if "ETH/USDT:USDT" not in listed:
        pytest.skip(f"the demo source lists only {listed}")
    btc_price = win.terminal.result.liquidity.map.price
    edit = win.toolbar.symbol.lineEdit()
    QTest.mouseClick(edit, QtCore.Qt.MouseButton.LeftButton)
    edit.selectAll()
    QTest.keyClicks(edit, "eth")
    QTest.keyClick(edit, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.frames is not None and win.frames.symbol == "ETH/USDT:USDT", timeout=20000)
    r = wait_result(qtbot, win, lambda r: r.chart.symbol == "ETH/USDT:USDT" and r.liquidity is not None)
    assert r.liquidity.map.price > 0 and len(r.chart.candles) > 0
    assert not 0.5 < r.liquidity.map.price / btc_price < 2.0  # its own price level, not BTC's relabelled
    assert win.session.spec.symbol == "ETH/USDT:USDT"
    assert "ETH/USDT:USDT" in win.terminal.price.title_item.toPlainText()


def test_oi_unit_toggle_shows_usd(demo_window):
    win = demo_window
    frames = win.terminal.result.request.frames
    win.actions_by_name["oi_usd"].setChecked(True)
    curve = win.terminal.panels["open_interest"].curves["binance"]
    oi = per_exchange(frames.open_interest, "binance")
    last = oi.groupby(oi["ts"] - oi["ts"] % 60000).last()
    np.testing.assert_allclose(curve.yData, last["oi_usd"].to_numpy())
    assert "USD" in win.terminal.panels["open_interest"].title


def test_export_png_writes_the_window(demo_window, tmp_path, monkeypatch):
    from PySide6 import QtGui, QtWidgets

    from gui import file_actions

    out = tmp_path / "chart.png"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    file_actions.ask_export_png(demo_window.services)
    img = QtGui.QImage(str(out))
    assert img.width() == demo_window.width() and img.height() == demo_window.height()


def test_keyboard_shortcuts_switch_timeframe_and_theme(demo_window, qtbot):
    from PySide6 import QtCore

    win = demo_window
    win.activateWindow()
    win.terminal.price.plot_widget.setFocus()
    qtbot.keyClick(win.terminal.price.plot_widget, QtCore.Qt.Key.Key_4)
    r = wait_result(qtbot, win, lambda r: r.request.timeframe_ms == 3_600_000)
    assert win.toolbar.timeframe.currentText() == "1h" and r.chart.timeframe_ms == 3_600_000
    qtbot.keyClick(win.terminal.price.plot_widget, QtCore.Qt.Key.Key_T, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert win.theme.name == "light"


def test_view_options_and_heatmap_style_persist(make_window, qtbot):
    win = make_window()
    wait_drawn(qtbot, win)
    win.actions_by_name["log_scale"].setChecked(True)
    dlg = win.ask_heatmap_style()
    dlg.colormap.setCurrentText("magma")
    dlg.sliders["gamma"].setValue(120)
    dlg.close()
    win.close()
    again = make_window()
    assert again.actions_by_name["log_scale"].isChecked() and again.terminal.price.log_scale
    style = again.terminal.price.heatmap.style
    assert style.colormap == "magma" and style.gamma == pytest.approx(1.2)


def _viewport_point(panel, x, y):
    """Widget pixel of view coordinates (x, y) in ``panel``'s plot."""
    scene = panel.view.mapViewToScene(QtCore.QPointF(x, y))
    return panel.plot_widget.mapFromScene(scene)


def test_mouse_over_the_chart_moves_the_crosshair_and_readout(demo_window, qtbot):
    win = demo_window
    t = win.terminal
    c = t.chart.candles
    i = len(c) - 200
    price = float(c.close[i])
    pos = _viewport_point(t.price, float(c.x[i]) + 30.0, price)
    qtbot.mouseMove(t.price.plot_widget.viewport(), pos)
    qtbot.waitUntil(lambda: win.readout.readout is not None and abs(win.readout.readout.x - c.x[i]) <= 60, timeout=3000)
    r = win.readout.readout
    j = int(np.searchsorted(c.x, r.x))
    assert (r.open, r.high, r.low, r.close) == (c.open[j], c.high[j], c.low[j], c.close[j])
    assert abs(r.price - price) / price < 0.002  # within a pixel or two
    assert t.price.vline.isVisible() and t.panels["volume"].vline.value() == t.price.vline.value()


def test_dragging_a_target_line_with_the_mouse(demo_window, qtbot):
    win = demo_window
    t = win.terminal
    last = float(t.chart.candles.close[-1])
    win.state.update(targets=(round(last * 1.004), round(last * 0.996)))  # both lines inside the view
    wait_result(qtbot, win, lambda r: r.request.targets == (round(last * 1.004), round(last * 0.996)))
    qtbot.wait(50)
    line = t.price.up_line
    x_mid = sum(t.visible_x()) / 2
    start = _viewport_point(t.price, x_mid, line.value())
    (_, _), (y0, y1) = t.price.view.viewRange()
    target = line.value() - (y1 - y0) * 0.1
    end = _viewport_point(t.price, x_mid, target)
    vp = t.price.plot_widget.viewport()
    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton

    def send(kind, point, button, buttons):
        # QTest's mouseMove carries no pressed buttons; a drag needs them, so send the events directly.
        p = QtCore.QPointF(point)
        event = QtGui.QMouseEvent(kind, p, vp.mapToGlobal(p), button, buttons, QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(vp, event)
        qtbot.wait(10)  # let the scene deliver hover/drag state between events, as a real mouse would

    send(QtCore.QEvent.Type.MouseMove, start, none, none)
    send(QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    for k in range(1, 8):
        send(QtCore.QEvent.Type.MouseMove, QtCore.QPoint(start.x(), start.y() + (end.y() - start.y()) * k // 7), none, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, left, none)
    r = wait_result(qtbot, win, lambda r: r.request.targets is not None and r.request.targets[0] != round(last * 1.004))
    up, down = r.request.targets
    assert abs(up - target) / target < 0.003
    assert r.imbalance.up == up and win.card.view is r.imbalance
