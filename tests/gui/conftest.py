"""GUI fixtures: real windows on the real demo market (2 days of history), settings in a temp dir."""

from __future__ import annotations

import pytest

from gui.sources import SourceSpec
from market.series import per_exchange


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """Every test gets its own settings file: never the user's, never another test's."""
    monkeypatch.setenv("CASCADE_TEST", "1")
    monkeypatch.setenv("CASCADE_SETTINGS_DIR", str(tmp_path / "settings"))
    return tmp_path / "settings"


def wait_drawn(qtbot, win, timeout=20000):
    """Until everything is drawn: the candles, the model's map and heatmap, and their ranges (after a
    rebuild the central map is drawn first, the ranges a moment later)."""
    qtbot.waitUntil(lambda: win.terminal.has_drawn_data() and win.terminal.result.liquidity is not None
                    and not win.terminal.result.liquidity.ranges_pending, timeout=timeout)
    return win.terminal.result


def wait_result(qtbot, win, predicate, timeout=15000):
    qtbot.waitUntil(lambda: win.terminal.result is not None and predicate(win.terminal.result), timeout=timeout)
    return win.terminal.result


def binance_candles(win):
    """Binance candles of the data the shown result was computed from (the demo keeps ticking)."""
    return per_exchange(win.terminal.result.request.frames.candles, "binance")


@pytest.fixture
def make_window(qtbot):
    """Factory: a shown MainWindow on ``spec``; closed (threads stopped) after the test."""
    from gui.app import make_app
    from gui.main_window import MainWindow

    make_app()
    made = []

    def make(spec: SourceSpec | None = None):
        spec = spec or SourceSpec("demo", seed=7, speed=1.0, history_days=2)
        win = MainWindow(spec)
        qtbot.addWidget(win)
        win.resize(1280, 860)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()
        assert not win.view_worker.busy


@pytest.fixture
def demo_window(make_window, qtbot):
    win = make_window()
    wait_drawn(qtbot, win)
    return win
