"""Candle item on a month of 1-minute bars: only the visible range is prepared, merged to the pixels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from gui.items.candles import CandleItem


def test_month_of_candles_is_thinned_to_the_pixels_and_full_detail_when_zoomed(qtbot):
    n = 43_200
    rng = np.random.default_rng(1)
    close = 80_000 + np.cumsum(rng.normal(0, 20, n))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + 5
    low = np.minimum(open_, close) - 5
    x = np.arange(n) * 60.0
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(800, 400)
    item = CandleItem()
    item.set_data(x, open_, high, low, close, 60.0)
    w.addItem(item)
    w.show()
    qtbot.waitExposed(w)
    w.setXRange(0, n * 60.0, padding=0)
    img = QtGui.QImage(800, 400, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(img)
    w.render(painter)
    painter.end()
    px = w.getPlotItem().getViewBox().width()
    assert 0 < item.drawn_bars <= 3 * px / 2 + 10  # three widths buffered, at least 2 px per drawn bar
    w.setXRange(30_000 * 60.0, 30_100 * 60.0, padding=0)
    img2 = QtGui.QImage(800, 400, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(img2)
    w.render(painter)
    painter.end()
    assert 250 <= item.drawn_bars <= 320  # every bar of the buffered range, unmerged
    assert item.y_range(30_000 * 60.0, 30_100 * 60.0) == (float(low[29_999:30_102].min()), float(high[29_999:30_102].max()))  # one neighbour each side
