"""The long/short ratio and CVD panels, switched on from View with real clicks; what they draw is
checked against numbers computed here from the frames the shown result was made from."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from gui.sources import SourceSpec
from market.series import EXCHANGE_NAMES
from tests.gui.conftest import wait_result
from tests.gui.test_honest_words import plain

LEFT = QtCore.Qt.MouseButton.LeftButton


def click_menu_item(qtbot, win, action) -> None:
    """Open the menu holding ``action`` from the menu bar and click the item, as a user does."""
    bar = win.menuBar()
    menu = next(m for m in action.associatedObjects() if m.metaObject().className() == "QMenu")
    qtbot.mouseClick(bar, LEFT, pos=bar.actionGeometry(menu.menuAction()).center())
    qtbot.waitUntil(menu.isVisible)
    qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible())


def shown_frames(result):
    r = result.request
    frames = r.frames.known_at(r.as_of_ms) if r.as_of_ms is not None else r.frames
    return frames.only(r.exchanges)


@pytest.mark.parametrize("name", ["long_short", "cvd"])
def test_new_panels_start_hidden_and_toggle_from_the_view_menu(demo_window, qtbot, name):
    win = demo_window
    t, action = win.terminal, win.actions_by_name[f"panel_{name}"]
    assert not t.panel_visible(name) and not action.isChecked()
    assert name not in t.result.chart.panel_data  # hidden: not computed
    click_menu_item(qtbot, win, action)
    assert t.panel_visible(name) and action.isChecked()
    r = wait_result(qtbot, win, lambda r: name in r.chart.panel_data)
    # The time axis moved to the new last panel.
    assert t.panels[name].plot.getAxis("bottom").isVisible() or name == "long_short"
    seq = r.request.seq
    click_menu_item(qtbot, win, action)
    assert not t.panel_visible(name) and not action.isChecked()
    wait_result(qtbot, win, lambda r: r.request.seq > seq and name not in r.chart.panel_data)


def test_long_short_panel_draws_each_venues_account_ratio(demo_window, qtbot):
    win = demo_window
    click_menu_item(qtbot, win, win.actions_by_name["panel_long_short"])
    r = wait_result(qtbot, win, lambda r: "long_short" in r.chart.panel_data)
    qtbot.waitUntil(lambda: "long_short" in win.terminal.chart.panel_data)
    r = win.terminal.result
    panel = win.terminal.panels["long_short"]
    ls = shown_frames(r).long_short
    assert len(ls) and set(panel.curves) == set(ls["exchange"])
    tf = r.chart.timeframe_ms
    for ex, part in ls.groupby("exchange"):
        x, y = panel.curves[ex].xData, panel.curves[ex].yData  # all of it, not the clipped view
        last = part.groupby(part["ts"] - part["ts"] % tf)["ratio"].last()  # the bar's last published value
        np.testing.assert_allclose(x, last.index.to_numpy() / 1000.0)
        np.testing.assert_allclose(y, last.to_numpy())
    # Side info: each venue's ratio at the view's right edge, with its share of long accounts.
    win.terminal._fit_all()
    rows = {label: value for label, value, _ in win.terminal.side_info["long_short"].rows}
    x1 = win.terminal.visible_x()[1]
    for ex, part in ls.groupby("exchange"):
        ratio = float(part[part["ts"] - part["ts"] % tf <= x1 * 1000]["ratio"].iloc[-1])
        assert rows[EXCHANGE_NAMES[ex]] == f"{ratio:.2f} · {ratio / (1 + ratio) * 100:.0f}% long"


def test_cvd_panel_is_the_running_taker_delta(demo_window, qtbot):
    win = demo_window
    click_menu_item(qtbot, win, win.actions_by_name["panel_cvd"])
    wait_result(qtbot, win, lambda r: "cvd" in r.chart.panel_data)
    qtbot.waitUntil(lambda: "cvd" in win.terminal.chart.panel_data)
    r, panel = win.terminal.result, win.terminal.panels["cvd"]
    c = shown_frames(r).candles
    for ex in r.chart.exchanges:
        part = c[c["exchange"] == ex]
        x, y = panel.curves[ex].xData, panel.curves[ex].yData  # all of it, not the clipped view
        # Taker sells are the rest of the volume: delta = buys − (volume − buys).
        assert y[-1] == pytest.approx(float((part["taker_buy_volume"] - (part["volume"] - part["taker_buy_volume"])).sum()), rel=1e-9, abs=1e-6)
        assert x[-1] == pytest.approx(float(part["ts"].iloc[-1]) / 1000.0)
    assert "not available" not in plain(panel.title_item.toHtml())


def test_cvd_says_not_available_for_venues_without_a_taker_split(make_window, qtbot, tmp_path):
    """Live OKX and Bybit candles carry no taker buy volume: their CVD is not available, not zero."""
    from dataclasses import replace

    from market.simulator import DemoSource
    from market.store import save_snapshot

    src = DemoSource(seed=5, history_days=1)
    frames = src.history(src.info().symbols[0])
    src.close()
    candles = frames.candles.copy()
    candles.loc[candles["exchange"] != "binance", "taker_buy_volume"] = np.nan
    path = save_snapshot(replace(frames, candles=candles), tmp_path / "binance-split.cascade", source_kind="live")
    win = make_window(SourceSpec("snapshot", path=str(path)))
    qtbot.waitUntil(lambda: win.terminal.has_drawn_data(), timeout=20000)
    click_menu_item(qtbot, win, win.actions_by_name["panel_cvd"])
    qtbot.waitUntil(lambda: win.terminal.chart is not None and "cvd" in win.terminal.chart.panel_data, timeout=15000)
    panel = win.terminal.panels["cvd"]
    assert set(panel.curves) == {"binance"}
    assert "not available: OKX, Bybit" in plain(panel.title_item.toHtml())
    win.terminal._fit_all()
    rows = {label: value for label, value, _ in win.terminal.side_info["cvd"].rows}
    assert rows["OKX"] == "not available" and rows["Bybit"] == "not available"
    assert rows["Binance"] not in ("not available", "—")


def test_a_burst_of_state_changes_costs_one_view_request(demo_window, qtbot, monkeypatch):
    """State changed → debounce → submit: three changes in one turn of the event loop are one request
    with all three, never a request that saw only the first."""
    win = demo_window
    submitted = []
    real_submit = win.view_worker.submit
    monkeypatch.setattr(win.view_worker, "submit", lambda req: (submitted.append(req), real_submit(req)))
    price = win.terminal.chart.last_close
    win.state.update(timeframe_ms=300_000)
    win.state.update(exchanges=("binance", "okx"))
    win.state.targets = (round(price * 1.01), round(price * 0.99))
    assert submitted == []  # nothing yet: the debounce fires when the event loop runs
    r = wait_result(qtbot, win, lambda r: r.request.timeframe_ms == 300_000)
    first = submitted[0]
    assert (first.timeframe_ms, first.exchanges, first.targets) == (300_000, ("binance", "okx"), win.state.targets)
    assert r.chart.exchanges == ("binance", "okx")


def test_a_new_panel_is_kept_in_the_layout_and_reset_layout_hides_it_again(make_window, qtbot):
    from tests.gui.conftest import wait_drawn

    win = make_window()
    wait_drawn(qtbot, win)
    click_menu_item(qtbot, win, win.actions_by_name["panel_cvd"])
    win.close()
    again = make_window()
    assert again.terminal.panel_visible("cvd") and again.actions_by_name["panel_cvd"].isChecked()
    wait_result(qtbot, again, lambda r: "cvd" in r.chart.panel_data)  # shown at start: computed at once
    click_menu_item(qtbot, again, again.actions_by_name["reset_layout"])
    assert not again.terminal.panel_visible("cvd") and not again.actions_by_name["panel_cvd"].isChecked()
    assert all(again.terminal.panel_visible(n) for n in ("volume", "open_interest", "funding", "liquidations"))
