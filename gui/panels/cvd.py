"""CVD, cumulative volume delta, per exchange: taker buys minus taker sells (base asset), summed from
the first bar of the shown data.

Only where the venue says which side was the taker: Binance's klines carry the taker buy volume, OKX's
and Bybit's candles do not (live data there shows "not available", never a guessed split); the demo
simulates it for every venue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6 import QtWidgets

from gui.chart_data import ChartData, Series
from gui.items.axes import CompactAxis, format_compact
from gui.panels.base import InfoRows, PanelView
from gui.panels.lines import LinesPanel
from gui.theme import Theme
from market.series import EXCHANGE_NAMES


@dataclass(frozen=True)
class CvdData:
    lines: Mapping[str, Series] = field(default_factory=dict)  # per venue that gives taker buys
    unavailable: tuple[str, ...] = ()  # chosen venues whose candles have no taker buy volume


def cvd_lines(candles, exchanges, timeframe_ms: int) -> CvdData:
    """Per venue: the running sum over bars of (taker buy − taker sell) = 2 × taker buy − volume."""
    # One factorize of the venue column, then integer compares: a month of minutes per view tick.
    codes, uniques = pd.factorize(candles["exchange"].to_numpy())
    index = {u: i for i, u in enumerate(uniques.tolist())}
    ts_all = candles["ts"].to_numpy()
    buy_all = candles["taker_buy_volume"].to_numpy(dtype=np.float64)
    vol_all = candles["volume"].to_numpy(dtype=np.float64)
    lines, missing = {}, []
    for ex in exchanges:
        rows = codes == index[ex] if ex in index else np.zeros(len(codes), dtype=bool)
        buy = buy_all[rows]
        known = np.isfinite(buy)
        if not known.any():
            missing.append(ex)
            continue
        # A bar without the split adds nothing rather than a guess.
        delta = np.where(known, 2.0 * buy - vol_all[rows], 0.0)
        ts = ts_all[rows]
        bucket = ts - ts % timeframe_ms
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        lines[ex] = Series(bucket[starts] / 1000.0, np.cumsum(np.add.reduceat(delta, starts)))
    return CvdData(lines, tuple(missing))


class CvdPanel(LinesPanel):
    title = "CVD (base): taker buys − taker sells, cumulative per exchange"

    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(theme, CompactAxis("right"), parent)
        self.zero = pg.InfiniteLine(pos=0, angle=0, movable=False, pen=pg.mkPen(theme.grid))
        self.plot.addItem(self.zero, ignoreBounds=True)

    @staticmethod
    def data_from(frames, chart: ChartData) -> CvdData:
        return cvd_lines(frames.candles, chart.exchanges, max(chart.timeframe_ms, frames.timeframe_ms))

    def set_view(self, view: PanelView) -> None:
        data = view.data or CvdData()
        self.show_series(data.lines)
        title = self.title
        if data.unavailable:
            title += " — not available: " + ", ".join(EXCHANGE_NAMES.get(e, e) for e in data.unavailable)
        self.title_item.setHtml(f"<span style='color:{self.theme.muted};font-size:9pt'>{title}</span>")

    def info(self, view: PanelView, x0: float, x1: float) -> InfoRows:
        t, data, rows = self.theme, view.data or CvdData(), []
        for name in view.chart.exchanges:
            label = EXCHANGE_NAMES.get(name, name)
            s = data.lines.get(name)
            if s is None:
                rows.append((label, "not available", t.muted))
                continue
            a, b = int(np.searchsorted(s.x, x0, "left")), int(np.searchsorted(s.x, x1, "right")) - 1
            if b < 0 or b < a:
                rows.append((label, "—", t.muted))
                continue
            before = float(s.y[a - 1]) if a > 0 else 0.0  # the delta of the bars in view only
            change = float(s.y[b]) - before
            rows.append((label, ("+" if change >= 0 else "−") + format_compact(abs(change)), t.up if change >= 0 else t.down))
        return "Net taker buys in view (base)", rows
