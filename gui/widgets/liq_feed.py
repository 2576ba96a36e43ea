"""The liquidation feed (aggr.trade's list): time, venue, side, price and USD size, newest first.

It lists the events of the data the window shows: for live markets that is the store's record, so the
list is back after a restart; in a replay it ends at the replay's moment. A minimum size hides the
small ones. The demo's events are simulated and a snapshot's are what it recorded: the title says which.
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np
import pandas as pd
from PySide6 import QtCore, QtGui, QtWidgets

from gui.items.axes import format_compact
from market.series import EXCHANGE_NAMES
from cascade_vocab.names import SourceKind

MAX_ROWS = 500  # the newest this many events above the minimum size
COLUMNS = ("Time", "Venue", "Liq.", "Price", "USD")


def feed_rows(liquidations: pd.DataFrame, exchanges: tuple[str, ...], min_usd: float, limit: int = MAX_ROWS) -> pd.DataFrame:
    """The events to list: chosen venues, at least ``min_usd``, newest first, at most ``limit``."""
    df = liquidations
    if not len(df):
        return df
    df = df[df["exchange"].isin(exchanges) & (df["notional_usd"].fillna(0.0) >= min_usd)]
    return df.sort_values("ts", ascending=False, kind="stable").head(limit).reset_index(drop=True)


class FeedModel(QtCore.QAbstractTableModel):
    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self.rows = pd.DataFrame()
        self.zone = "UTC"
        self.colours = {"long": QtGui.QColor("#ef5350"), "short": QtGui.QColor("#26a69a")}

    def set_rows(self, rows: pd.DataFrame) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802
        return len(COLUMNS)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def text(self, row: int, col: int) -> str:
        r = self.rows.iloc[row]
        if col == 0:
            t = int(r["ts"]) / 1000.0
            st = time.gmtime(t) if self.zone == "UTC" else time.localtime(t)
            return time.strftime("%H:%M:%S", st) if self.same_day(row) else time.strftime("%m-%d %H:%M", st)
        if col == 1:
            return EXCHANGE_NAMES.get(r["exchange"], str(r["exchange"]))
        if col == 2:
            return "Long" if r["side"] == "long" else "Short"
        if col == 3:
            return f"{float(r['price']):,.1f}" if float(r["price"]) >= 1000 else f"{float(r['price']):,.4g}"
        usd = float(r["notional_usd"])
        return "$" + format_compact(usd) if np.isfinite(usd) else "—"

    def same_day(self, row: int) -> bool:
        """Today's rows (the newest's day) show the time only; older ones their date and minute."""
        newest = int(self.rows["ts"].iloc[0])
        return int(self.rows["ts"].iloc[row]) // 86_400_000 == newest // 86_400_000

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), index.column())
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and index.column() in (2, 4):
            return self.colours.get(self.rows.iloc[index.row()]["side"])
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and index.column() >= 3:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None


class LiquidationFeedDock(QtWidgets.QDockWidget):
    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__("Liquidation feed", parent)
        self.setObjectName("liquidationFeedDock")
        body = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Min. size"))
        self.min_size = QtWidgets.QDoubleSpinBox()
        self.min_size.setRange(0, 1e10)
        self.min_size.setDecimals(0)
        self.min_size.setSingleStep(10_000)
        self.min_size.setPrefix("$ ")
        self.min_size.setValue(10_000)
        self.min_size.setToolTip("Hide liquidations smaller than this (USD)")
        row.addWidget(self.min_size, 1)
        lay.addLayout(row)
        self.note = QtWidgets.QLabel("")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.model = FeedModel(self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.table.setMinimumWidth(380)  # every column readable (price and size were cut off)
        self.setWidget(body)
        self._liquidations = pd.DataFrame()
        self._exchanges: tuple[str, ...] = ()
        self._key: tuple | None = None
        self.min_size.valueChanged.connect(lambda _v: self.refresh())

    def set_events(self, liquidations: pd.DataFrame, exchanges: tuple[str, ...], kind: str) -> None:
        """The shown data's events; cheap when nothing changed (called with every redraw)."""
        self._liquidations, self._exchanges = liquidations, tuple(exchanges)
        self.note.setText(kind)
        self.refresh()

    def refresh(self) -> None:
        df = self._liquidations
        last = int(df["ts"].iloc[-1]) if len(df) else None
        key = (id(df), len(df), last, self._exchanges, float(self.min_size.value()), self.isVisible())
        if key == self._key:
            return
        self._key = key
        if not self.isVisible():
            return  # nothing to draw; the next redraw after it opens fills it
        self.model.set_rows(feed_rows(df, self._exchanges, float(self.min_size.value())))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()


def install_liquidation_feed(main_window) -> LiquidationFeedDock:
    """View → Liquidation feed (Ctrl+Shift+F): a dock fed with each applied result's events."""
    sv = main_window.services
    if sv.kept("liquidation_feed") is not None:
        return sv.kept("liquidation_feed")
    window = sv.parent_widget
    dock = LiquidationFeedDock(window)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText("Liquidation &feed")
    action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+F"))
    sv.add_action("view", "feed", action)

    def on_result(result) -> None:
        req = result.request
        frames = req.frames.known_at(req.as_of_ms) if req.as_of_ms is not None else req.frames
        t = sv.terminal
        if not t.real_liquidations:
            kind = "This source records no liquidation events (the chart's are the model's estimate)."
        elif t.liquidations_simulated:
            kind = "Simulated by the demo market."
        else:
            info = sv.state.source
            kind = ("Recorded in the snapshot." if info is not None and info.kind == SourceKind.SNAPSHOT
                    else "Reported by the venues, kept in the local store.")
        dock.model.zone = t.price.time_axis.zone
        dock.set_events(frames.liquidations, tuple(req.exchanges), kind)

    sv.result_applied.connect(on_result)
    return sv.keep("liquidation_feed", dock)
