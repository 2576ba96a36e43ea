"""Snapshots in the window: open (menu path, drag & drop), bad files, save, and the replay slider."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from analytics.liquidation import LiquidationModel
from gui.sources import SourceSpec
from market.simulator import DemoSource
from market.store import open_snapshot, save_snapshot
from tests.gui.conftest import wait_drawn, wait_result

EXCHANGES = ("binance", "okx", "bybit")


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory):
    src = DemoSource(seed=11, history_days=2)
    frames = src.history(src.info().symbols[0])
    src.close()
    path = tmp_path_factory.mktemp("snap") / "crash.cascade"
    save_snapshot(frames, path, source_kind="demo")
    return path, frames


def test_open_snapshot_shows_banner_and_replay(make_window, qtbot, snapshot_file):
    path, frames = snapshot_file
    win = make_window(SourceSpec("snapshot", path=str(path)))
    r = wait_drawn(qtbot, win)
    assert win.session.info.kind == "snapshot"
    assert win.banner.isVisible() and win.banner.text().startswith("Showing a snapshot of ")
    assert "crash.cascade" in win.banner.text()
    assert win.replay.isVisible()
    assert len(r.chart.candles) == (frames.candles["exchange"] == "binance").sum()


def test_replay_slider_reruns_the_analytics_as_of_that_moment(make_window, qtbot, snapshot_file):
    path, frames = snapshot_file
    win = make_window(SourceSpec("snapshot", path=str(path)))
    wait_drawn(qtbot, win)
    start, end = frames.time_range()
    t = start + (end - start) * 3 // 5
    t -= t % 60_000
    win.replay.set_as_of(t)
    r = wait_result(qtbot, win, lambda r: r.request.as_of_ms == t)
    cut = frames.known_at(t)
    # The candles end where the observer's knowledge ended: nothing after t.
    assert r.chart.candles.x[-1] * 1000 + 60_000 <= t
    assert len(r.chart.candles) == (cut.candles["exchange"] == "binance").sum()
    # The map equals the model built from only what was known at t.
    oracle = LiquidationModel.from_history(cut.candles, cut.open_interest, win.model).map_at(None, r.liquidity.map.bin_edges, exchanges=r.request.exchanges)
    assert r.liquidity.map.price == pytest.approx(oracle.price)
    np.testing.assert_allclose(r.liquidity.map.long_usd, oracle.long_usd, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(r.liquidity.map.short_usd, oracle.short_usd, rtol=1e-9, atol=1e-6)
    assert "as of" in win.replay.label.text()
    # Play advances the moment shown.
    win.replay.speed.setCurrentIndex(win.replay.speed.findData(1000))
    win.replay.set_playing(True)
    r2 = wait_result(qtbot, win, lambda r: r.request.as_of_ms is not None and r.request.as_of_ms > t, timeout=5000)
    win.replay.set_playing(False)
    assert r2.chart.candles.x[-1] * 1000 < r2.request.as_of_ms


def test_bad_file_gets_a_dialog_and_keeps_the_shown_data(demo_window, qtbot, tmp_path):
    win = demo_window
    before = win.frames
    bad = tmp_path / "bad.cascade"
    bad.write_bytes(b"this is not a cascade file" * 40)
    with qtbot.waitSignal(win.error_shown, timeout=10000) as sig:
        win.open_snapshot_path(str(bad))
    assert "bad.cascade" in sig.args[0]
    assert win.services.error_box.isVisible() and not win.services.error_box.isModal()
    assert win.session.info.kind == "demo" and len(win.frames.candles) >= len(before.candles)
    # A truncated real snapshot is refused the same way.
    good = tmp_path / "good.cascade"
    save_snapshot(before, good, source_kind="demo")
    data = good.read_bytes()
    (tmp_path / "cut.cascade").write_bytes(data[: len(data) // 3])
    with qtbot.waitSignal(win.error_shown, timeout=10000):
        win.open_snapshot_path(str(tmp_path / "cut.cascade"))
    assert win.session.info.kind == "demo" and len(win.frames.candles) >= len(before.candles)


def test_save_snapshot_round_trips_the_shown_data(demo_window, qtbot, tmp_path):
    from gui import file_actions

    win = demo_window
    out = tmp_path / "saved"
    want = file_actions.saved_frames(win.services)
    signals = file_actions.save_snapshot_to(win.services, str(out))
    with qtbot.waitSignal(signals.done, timeout=15000):
        pass
    src = open_snapshot(tmp_path / "saved.cascade")
    got = src.history(src.info().symbols[0])
    for name in ("candles", "open_interest", "liquidations"):
        assert len(got.series(name)) == len(want.series(name)) > 0
    assert got.candles["close"].iloc[-1] == want.candles["close"].iloc[-1]
    # No minute still in progress: every candle closed by the source clock.
    assert got.candles["ts"].max() + 60_000 <= win.source_clock_ms


def test_drop_a_cascade_file_opens_it(demo_window, qtbot, snapshot_file):
    path, frames = snapshot_file
    win = demo_window
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    pos = QtCore.QPointF(100, 100)
    enter = QtGui.QDragEnterEvent(pos.toPoint(), QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    win.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(pos, QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    win.dropEvent(drop)
    qtbot.waitUntil(lambda: win.session.info is not None and win.session.info.kind == "snapshot", timeout=10000)
    assert win.banner.text().startswith("Showing a snapshot of")


def test_file_open_menu_uses_the_dialog(demo_window, qtbot, snapshot_file, monkeypatch):
    path, _ = snapshot_file
    win = demo_window
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    win.actions_by_name["open"].trigger()
    qtbot.waitUntil(lambda: win.session.info is not None and win.session.info.kind == "snapshot", timeout=10000)
    assert win.replay.isVisible()


def test_source_without_liquidation_events_shows_the_models_estimate_labelled(make_window, qtbot, tmp_path, snapshot_file):
    from dataclasses import replace as dc_replace

    from market.series import empty_frame

    _, frames = snapshot_file
    bare = dc_replace(frames, liquidations=empty_frame("liquidations"))
    path = tmp_path / "no-liq.cascade"
    save_snapshot(bare, path, source_kind="demo")
    win = make_window(SourceSpec("snapshot", path=str(path)))
    r = wait_drawn(qtbot, win)
    assert not win.terminal.real_liquidations
    panel = win.terminal.panels["liquidations"]
    assert "ESTIMATED" in panel.title_item.toPlainText()
    known = bare.known_at(r.request.closed_until_ms)
    model = LiquidationModel.from_history(known.candles, known.open_interest, win.model)
    est = model.estimated_liquidations(int(r.chart.candles.x[0] * 1000))
    assert r.chart.liquidations.long_usd.sum() == pytest.approx(est.loc[est["side"] == "long", "notional_usd"].sum(), rel=1e-9)
    assert r.chart.liquidations.long_usd.sum() > 0
    np.testing.assert_allclose(panel.longs.data()[1], -r.chart.liquidations.long_usd)


def test_a_snapshot_is_reviewed_with_the_model_it_was_saved_with(demo_window, make_window, qtbot, tmp_path):
    from analytics.params import ModelParams
    from gui import file_actions

    win = demo_window
    custom = ModelParams(leverages=(3.0, 20.0), weights=(0.6, 0.4), taker_split=False, bin_usd=250.0, mean_hold_ms=None)
    win.state.update(model=custom)
    signals = file_actions.save_snapshot_to(win.services, str(tmp_path / "model"))
    with qtbot.waitSignal(signals.done, timeout=15000):
        pass
    saved = open_snapshot(tmp_path / "model.cascade").model_settings
    assert ModelParams.from_settings(saved) == custom  # every setting, taker split and holding time included
    other = make_window(SourceSpec("snapshot", path=str(tmp_path / "model.cascade")))
    r = wait_drawn(qtbot, other)
    qtbot.waitUntil(lambda: other.model == custom, timeout=10000)
    r = wait_result(qtbot, other, lambda r: r.request.model == custom)
    assert r.liquidity is not None


def test_a_missing_file_at_start_shows_a_clear_empty_state_then_the_demo_replaces_it(make_window, qtbot, tmp_path):
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    win = make_window(SourceSpec("snapshot", path=str(tmp_path / "missing.cascade")))
    qtbot.waitUntil(lambda: win.services.last_error != "", timeout=10000)
    assert win.terminal.is_empty_shown() and "could not open" in win.terminal.empty_state.text()
    assert "waiting" not in win.card.label.text()
    win.services.error_box.close()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    QTest.keyClick(win, QtCore.Qt.Key.Key_D, QtCore.Qt.KeyboardModifier.ControlModifier)  # File → Demo market
    wait_drawn(qtbot, win, timeout=40000)
    assert not win.terminal.is_empty_shown()
