"""The symbol search box: an editable list of what the source really has, with a contains-completer.

Typing ``eth`` offers ``ETH/USDT:USDT``; Enter picks the one match (or the exact symbol). A symbol the
source does not list is refused with a message instead of being passed on: a source asked for a symbol
it does not have must never show another market's data under that name. After a choice (or Esc) the
keyboard goes back to the chart, so the next key is a shortcut, not part of the symbol.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from PySide6 import QtCore, QtGui, QtWidgets


def match_symbol(text: str, symbols: Sequence[str]) -> Optional[str]:
    """The listed symbol ``text`` names: exact (any case), else the one whose base asset it is, else the
    one containing it; None when nothing or more than one candidate fits."""
    t = text.strip().upper()
    if not t:
        return None
    for s in symbols:
        if s.upper() == t:
            return s
    base = [s for s in symbols if s.upper().split("/")[0] == t]
    if len(base) == 1:
        return base[0]
    if base:  # several quote currencies: prefer the USDT linear perpetual
        usdt = [s for s in base if s.upper().endswith("/USDT:USDT")]
        return usdt[0] if usdt else None
    contains = [s for s in symbols if t in s.upper()]
    return contains[0] if len(contains) == 1 else None


class SymbolBox(QtWidgets.QComboBox):
    chosen = QtCore.Signal(str)  # a listed symbol the user picked (may equal the current one)
    refused = QtCore.Signal(str)  # one line: why the typed text is not a symbol of this source

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.setMinimumWidth(160)
        self.setMaxVisibleItems(20)
        self.setToolTip("Market symbol: type to search what the source offers, Enter to open it")
        self.lineEdit().setPlaceholderText("Search symbol…")
        completer = QtWidgets.QCompleter(self.model(), self)
        completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QtWidgets.QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.current = ""
        self.source_name = "this source"
        self.focus_target: Optional[Callable[[], None]] = None
        # Enter in the field (activated also fires for the list; both end in _commit).
        self.lineEdit().returnPressed.connect(self._commit)
        self.activated.connect(lambda _i: self._commit())
        completer.activated.connect(lambda _text: self._commit())

    def symbols(self) -> tuple[str, ...]:
        return tuple(self.itemText(i) for i in range(self.count()))

    def set_symbols(self, symbols: Sequence[str], current: str, source_name: str = "") -> None:
        self.blockSignals(True)
        self.clear()
        listed = list(dict.fromkeys([*symbols] or [current]))
        if current and current not in listed:
            listed.insert(0, current)
        self.addItems(listed)
        self.current = current
        if source_name:
            self.source_name = source_name
        self.setCurrentText(current)
        self.lineEdit().setModified(False)
        self.blockSignals(False)

    def _commit(self) -> None:
        text = self.currentText()
        symbol = match_symbol(text, self.symbols())
        if symbol is None:
            listed = self.symbols()
            shown = ", ".join(listed[:6]) + (" …" if len(listed) > 6 else "")
            self.refused.emit(f"{text.strip() or 'An empty name'} is not a symbol of {self.source_name} (it has {shown}).")
            self._restore()
            return
        self.blockSignals(True)
        self.setCurrentText(symbol)
        self.blockSignals(False)
        self.lineEdit().setModified(False)
        self._give_back_focus()
        self.chosen.emit(symbol)

    def _restore(self) -> None:
        self.blockSignals(True)
        self.setCurrentText(self.current)
        self.blockSignals(False)
        self.lineEdit().setModified(False)
        self._give_back_focus()

    def _give_back_focus(self) -> None:
        if self.focus_target is not None:
            QtCore.QTimer.singleShot(0, self.focus_target)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self._restore()
            return
        super().keyPressEvent(event)
