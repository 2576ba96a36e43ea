"""The trader's own positions on the chart: accounts' positions (read-only API keys in the OS keyring)
and what-if positions, drawn on the price chart and the liquidation map.

Wiring into the main window is one call at the end of ``MainWindow.__init__``::

    from gui.positions import install_positions_ui
    install_positions_ui(self)
"""

from __future__ import annotations

from typing import Any, Optional


def install_positions_ui(main_window, store=None, urls_override: Any = None, interval_ms: Optional[int] = None):
    """Add Settings → Exchange accounts… / What-if position…, the overlay, and the positions worker.

    Returns the PositionsController (kept in the window's services as "positions"). ``store`` and
    ``urls_override`` exist for tests and demos (an in-memory keyring, a loopback fake exchange).
    """
    services = main_window.services
    existing = services.kept("positions")
    if existing is not None:  # installed already: one menu, one overlay, one worker
        if store is not None or urls_override is not None or interval_ms is not None:
            existing.configure(store, urls_override, interval_ms)
        return existing
    from gui.positions.controller import PositionsController
    from gui.positions.worker import DEFAULT_INTERVAL_MS

    return services.keep("positions", PositionsController(services, store, urls_override, interval_ms or DEFAULT_INTERVAL_MS))
