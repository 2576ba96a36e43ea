"""What the window says where it cannot know: no $0 without open interest; simulated events called simulated."""

from __future__ import annotations

import pytest

from gui.sources import SourceSpec
from market.series import MarketFrames
from market.simulator import DemoSource
from market.store import save_snapshot
from tests.gui.conftest import wait_drawn
from tests.unit.analytics.market_gen import random_market


def plain(html: str) -> str:
    from PySide6 import QtGui

    doc = QtGui.QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()


@pytest.fixture(scope="module")
def candles_only(tmp_path_factory):
    c, _o = random_market(2 * 24 * 60, seed=4, vol=0.0005)
    frames = MarketFrames.build(candles=c[c["exchange"] == "binance"])
    return save_snapshot(frames, tmp_path_factory.mktemp("c") / "candles.cascade", source_kind="live")


def test_candles_only_snapshot_says_unknown_not_zero(make_window, qtbot, candles_only):
    win = make_window(SourceSpec("snapshot", path=str(candles_only)))
    r = wait_drawn(qtbot, win)
    assert r.imbalance is not None and r.imbalance.relative
    card = plain(win.card.label.text())
    assert "RELATIVE" in card and "no open interest" in card and "at risk" not in card and "$0" not in card
    side = plain(win.terminal.side_info["liquidations"].text())
    assert "unknown" in side and "$0" not in side
    events = plain(win.terminal.panels["liquidations"].title_item.toHtml())
    assert "unknown" in events and "ESTIMATED" not in events
    caption = plain(win.terminal.liqmap.caption.toHtml())
    assert "RELATIVE" in caption and "$0" not in caption
    qtbot.waitUntil(lambda: bool(win.readout.text()), timeout=5000)
    readout = plain(win.readout.text())
    assert "relative" in readout and "$0" not in readout


def frames_with_events():
    src = DemoSource(seed=5, history_days=2)
    frames = src.history(src.info().symbols[0])
    src.close()
    assert len(frames.liquidations) > 0
    return frames


@pytest.mark.parametrize("kind, word, absent", [("demo", "simulated", "reported"), ("live", "reported", "simulated")])
def test_events_from_the_demo_are_simulated_from_a_venue_reported(make_window, qtbot, tmp_path, kind, word, absent):
    path = save_snapshot(frames_with_events(), tmp_path / f"{kind}.cascade", source_kind=kind)
    win = make_window(SourceSpec("snapshot", path=str(path)))
    wait_drawn(qtbot, win)
    title = plain(win.terminal.panels["liquidations"].title_item.toHtml())
    side = plain(win.terminal.side_info["liquidations"].text())
    assert word in title and word in side
    assert absent not in title and absent not in side


def test_demo_window_calls_its_events_simulated(demo_window, qtbot):
    wait_drawn(qtbot, demo_window)
    title = plain(demo_window.terminal.panels["liquidations"].title_item.toHtml())
    assert "simulated" in title and "reported" not in title
