"""The at-risk ranges in the window: the imbalance card says them, the liquidation map shades them."""

from __future__ import annotations

import re

from tests.gui.conftest import wait_drawn


def test_card_and_map_show_the_ensemble_range(qtbot, demo_window):
    win = demo_window
    wait_drawn(qtbot, win)
    qtbot.waitUntil(lambda: win.card.view is not None, timeout=60_000)
    view = win.card.view
    assert view.shorts_range is not None and view.longs_range is not None
    lo, hi = view.shorts_range
    assert lo <= view.shorts_at_risk_usd <= hi and lo < hi
    text = win.card.text()
    # "$1.8B (468M–2.2B) shorts at risk"
    assert re.search(r"\$[\d.]+[KMBT]? \([\d.]+[KMBT]?–[\d.]+[KMBT]?\) shorts at risk", text), text
    liqmap = win.terminal.liqmap
    assert liqmap.ensemble is not None
    xs, _ = liqmap._band_curves[1].getData()  # the long side's upper bound, drawn as a band
    assert xs is not None and len(xs) > 0 and xs.max() > 0
