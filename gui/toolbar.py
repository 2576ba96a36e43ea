"""The toolbar: symbol, exchanges, timeframe, lookback, OI unit, log scale, model settings."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from gui.widgets.symbol_box import SymbolBox
from market.series import EXCHANGE_NAMES, EXCHANGES, TIMEFRAMES_MS

LOOKBACKS_S = {"12h": 12 * 3600, "1d": 86400, "3d": 3 * 86400, "7d": 7 * 86400, "14d": 14 * 86400, "30d": 30 * 86400}


class Toolbar(QtWidgets.QToolBar):
    symbol_changed = QtCore.Signal(str)
    symbol_refused = QtCore.Signal(str)
    exchanges_changed = QtCore.Signal(tuple)
    timeframe_changed = QtCore.Signal(int)
    lookback_changed = QtCore.Signal(float)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Chart", parent)
        self.setObjectName("chartToolbar")
        self.setMovable(False)
        self.symbol = SymbolBox()
        self.symbol.chosen.connect(self.symbol_changed)
        self.symbol.refused.connect(self.symbol_refused)
        self.addWidget(self.symbol)
        self.addSeparator()
        self.exchange_actions: dict[str, QtGui.QAction] = {}
        for ex in EXCHANGES:
            action = QtGui.QAction(EXCHANGE_NAMES[ex], self)
            action.setCheckable(True)
            action.setChecked(True)
            action.setToolTip(f"Include {EXCHANGE_NAMES[ex]}")
            action.toggled.connect(self._exchanges_toggled)
            self.addAction(action)
            self.exchange_actions[ex] = action
        self.addSeparator()
        self.timeframe = QtWidgets.QComboBox()
        for name, ms in TIMEFRAMES_MS.items():
            self.timeframe.addItem(name, ms)
        self.timeframe.setToolTip("Candle timeframe (resampled from 1-minute data)")
        self.addWidget(QtWidgets.QLabel(" TF "))
        self.addWidget(self.timeframe)
        self.lookback = QtWidgets.QComboBox()
        for name, s in LOOKBACKS_S.items():
            self.lookback.addItem(name, s)
        self.lookback.setCurrentIndex(1)
        self.lookback.setToolTip("How much history the chart shows")
        self.addWidget(QtWidgets.QLabel(" Range "))
        self.addWidget(self.lookback)
        self.addSeparator()
        self.timeframe.currentIndexChanged.connect(lambda _i: self.timeframe_changed.emit(int(self.timeframe.currentData())))
        self.lookback.currentIndexChanged.connect(lambda _i: self.lookback_changed.emit(float(self.lookback.currentData())))

    def _exchanges_toggled(self, _checked: bool) -> None:
        chosen = self.exchanges()
        if not chosen:  # at least one venue: undo the last untick
            sender = self.sender()
            if isinstance(sender, QtGui.QAction):
                sender.blockSignals(True)
                sender.setChecked(True)
                sender.blockSignals(False)
            return
        self.exchanges_changed.emit(chosen)

    def exchanges(self) -> tuple[str, ...]:
        return tuple(ex for ex, a in self.exchange_actions.items() if a.isChecked())

    def set_exchanges(self, chosen: tuple[str, ...]) -> None:
        for ex, a in self.exchange_actions.items():
            a.blockSignals(True)
            a.setChecked(ex in chosen)
            a.blockSignals(False)

    def set_symbols(self, symbols: tuple[str, ...], current: str, source_name: str = "") -> None:
        self.symbol.set_symbols(symbols, current, source_name)

    def set_timeframe_ms(self, ms: int) -> None:
        i = self.timeframe.findData(ms)
        if i >= 0:
            self.timeframe.setCurrentIndex(i)

    def set_lookback_s(self, seconds: float) -> None:
        i = self.lookback.findData(int(seconds))
        if i >= 0:
            self.lookback.setCurrentIndex(i)
