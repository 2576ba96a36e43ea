"""A snapshot opened from a running window gets a heatmap over the span it shows, at once."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from market.series import MINUTE_MS
from market.store import save_snapshot
from tests.gui.conftest import wait_result


def test_snapshot_opened_from_the_demo_has_its_heatmap_up_to_its_end(demo_window, qtbot, tmp_path, monkeypatch):
    win = demo_window
    # The demo's data until 14 h ago: the window's view (the demo's last day) overlaps the file's by 10 h.
    end = win.source_clock_ms - 14 * 3600_000
    end -= end % MINUTE_MS
    path = tmp_path / "earlier.cascade"
    save_snapshot(win.frames.known_at(end), path, source_kind="demo")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    win.actions_by_name["open"].trigger()  # File → Open snapshot…
    qtbot.waitUntil(lambda: win.session.info is not None and win.session.info.kind == "snapshot", timeout=20000)
    assert win.as_of_ms is None  # nobody touched the replay slider

    def heat_covers_the_view(r) -> bool:
        heat = win.terminal._shown_heat
        if r.liquidity is None or heat is None or r.request.session_id != win.session.id:
            return False
        x0, _ = win.terminal.visible_x()
        last_bar = r.chart.candles.x[-1] * 1000
        return heat.time_edges[0] <= x0 * 1000 + r.chart.timeframe_ms and heat.time_edges[-1] > last_bar

    wait_result(qtbot, win, heat_covers_the_view, timeout=30000)
    heat = win.terminal._shown_heat
    # The last columns hold levels (they were blank until the slider moved).
    assert heat.values[-1].sum() > 0 and heat.values[len(heat.values) // 2].sum() > 0


def test_a_snapshot_without_candles_shows_a_clear_empty_state(demo_window, qtbot, tmp_path):
    from dataclasses import replace

    win = demo_window
    path = tmp_path / "oi-only.cascade"
    save_snapshot(replace(win.frames, candles=win.frames.candles.iloc[0:0]), path, source_kind="demo")
    win.open_snapshot_path(str(path))
    qtbot.waitUntil(lambda: win.session.info is not None and win.session.info.kind == "snapshot", timeout=20000)
    qtbot.waitUntil(lambda: win.terminal.result is not None and win.terminal.result.request.session_id == win.session.id
                    and not len(win.terminal.result.chart.candles), timeout=20000)
    qtbot.wait(300)
    # Not an empty 0–1 axis under "waiting for the liquidation model…", which never comes.
    assert win.terminal.is_empty_shown() and "no candles" in win.terminal.empty_state.text().lower()
    assert "oi-only.cascade" in win.terminal.empty_state.text()
    assert "waiting" not in win.card.label.text()
    assert not win.replay.isVisible() or win.replay.end_ms > 0
