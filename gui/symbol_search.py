"""Which symbols the symbol box offers: what the shown source really has, listed off the GUI thread.

A source that can list its markets (``list_symbols()``: the live venues' linear perpetuals, the demo's
simulated coins) is asked in the background by a fresh, unstarted instance of the same recipe; a source
that cannot (a snapshot) offers only its own symbol. The box refuses anything not listed.
"""

from __future__ import annotations

from gui.background import run_in_background
from gui.services import WindowServices
from gui.sources import SourceSpec
from gui.toolbar import Toolbar

SOURCE_NAMES = {"demo": "the demo market", "live": "the live venues", "snapshot": "this snapshot"}


def list_symbols(spec: SourceSpec) -> tuple[str, ...]:
    """Blocking (live: the venues' market lists over the network): call it off the GUI thread."""
    if spec.kind == "snapshot":
        return ()
    if spec.kind == "live":
        from market.live import LiveSource

        source = LiveSource(symbol=spec.symbol, history_days=spec.history_days, store=None)
    else:
        source = spec.factory()()
    try:
        lister = getattr(source, "list_symbols", None)
        return tuple(lister()) if callable(lister) else tuple(source.info().symbols)
    finally:
        source.close()


class SymbolSearch:
    """Refreshes the toolbar's list whenever another session is shown; refusals become a message."""

    def __init__(self, sv: WindowServices, toolbar: Toolbar) -> None:
        self.services, self.toolbar = sv, toolbar
        self._listed_for = None  # the spec whose list is shown
        self.listings = 0
        sv.result_applied.connect(self._on_result)
        toolbar.symbol_refused.connect(lambda text: sv.show_error("Unknown symbol", text))
        toolbar.symbol.focus_target = sv.terminal.focus_chart

    def _on_result(self, _result) -> None:
        state = self.services.state
        if state.source_spec is None or state.source_spec == self._listed_for:
            return
        spec = self._listed_for = state.source_spec
        name = SOURCE_NAMES.get(spec.kind, "this source")
        current = state.frames.symbol if state.frames is not None else spec.symbol
        own = tuple(state.source.symbols) if state.source else (current,)
        self.toolbar.set_symbols(own, current, name)
        if spec.kind == "snapshot":
            return

        def show(symbols: tuple[str, ...]) -> None:
            self.listings += 1
            if self.services.state.source_spec == spec and symbols:
                self.toolbar.set_symbols(symbols, current, name)

        run_in_background(lambda: list_symbols(spec), show, lambda _msg: None, self.toolbar)


def install_symbol_search(main_window) -> SymbolSearch:
    sv = main_window.services
    return sv.kept("symbol_search") or sv.keep("symbol_search", SymbolSearch(sv, main_window.toolbar))
