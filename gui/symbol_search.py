"""Which symbols the symbol box offers: what the shown source really has, listed off the GUI thread.

A source that can list its markets (``list_symbols()``: the live venues' linear perpetuals, the demo's
simulated coins) is asked in the background by a fresh, unstarted instance of the same recipe; a source
that cannot (a snapshot) offers only its own symbol. The box refuses anything not listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui.background import run_in_background
from gui.sources import SourceSpec
from market.source import ListsSymbols
from cascade_vocab.names import SourceKind

if TYPE_CHECKING:
    from gui.main_window import MainWindow

SOURCE_NAMES = {"demo": "the demo market", "live": "the live venues", "snapshot": "this snapshot"}


def list_symbols(spec: SourceSpec) -> tuple[str, ...]:
    """Blocking (live: the venues' market lists over the network): call it off the GUI thread."""
    if spec.kind == SourceKind.SNAPSHOT:
        return ()
    if spec.kind == SourceKind.LIVE:
        from market.live import LiveSource

        source = LiveSource(symbol=spec.symbol, history_days=spec.history_days, store=None)
    else:
        source = spec.factory()()
    try:
        return tuple(source.list_symbols()) if isinstance(source, ListsSymbols) else tuple(source.info().symbols)
    finally:
        source.close()


class SymbolSearch:
    """Refreshes the toolbar's list whenever another session is shown; refusals become a message."""

    def __init__(self, win: "MainWindow") -> None:
        self.win = win
        self._listed_for = None  # the spec whose list is shown
        self.listings = 0
        win.result_applied.connect(self._on_result)
        win.toolbar.symbol_refused.connect(lambda text: win.show_error("Unknown symbol", text))
        win.toolbar.symbol.focus_target = win.terminal.focus_chart

    def _on_result(self, _result) -> None:
        session = self.win.session
        if session is None or session.spec == self._listed_for:
            return
        spec = self._listed_for = session.spec
        name = SOURCE_NAMES.get(spec.kind, "this source")
        current = session.frames.symbol if session.frames is not None else spec.symbol
        own = tuple(session.info.symbols) if session.info else (current,)
        self.win.toolbar.set_symbols(own, current, name)
        if spec.kind == SourceKind.SNAPSHOT:
            return

        def show(symbols: tuple[str, ...]) -> None:
            self.listings += 1
            if self.win.session is not None and self.win.session.spec == spec and symbols:
                self.win.toolbar.set_symbols(symbols, current, name)

        run_in_background(lambda: list_symbols(spec), show, lambda _msg: None, self.win.toolbar)


def install_symbol_search(win: "MainWindow") -> SymbolSearch:
    win.symbol_search = SymbolSearch(win)
    return win.symbol_search
