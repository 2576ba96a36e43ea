"""The window's features, installed once the window is built, in this order: one line each.

A feature is a module with ``install(main_window)`` that takes what it needs from
``main_window.services`` (the state, menus by id, actions, the error box, the status line) and keeps
itself there (``services.keep(name, ...)``). Adding one is its module plus a line here; the window
itself does not change. Imported lazily: a feature's dependencies (keyring, dialogs) cost nothing
until the window is made.
"""

from __future__ import annotations

import importlib

FEATURES: tuple[str, ...] = (
    "gui.positions:install_positions_ui",  # Settings → exchange accounts, what-if positions, the overlay
    "gui.study:install_study_ui",  # Tools → Signal study…
    "gui.symbol_search:install_symbol_search",  # the toolbar's symbol list, from what the source has
    "gui.widgets.liq_feed:install_liquidation_feed",  # View → Liquidation feed
    "gui.leverage_layers:install_leverage_layers",  # View → Leverage layers
    "gui.alert_outputs:install_alert_outputs",  # alerts beyond the window: sound, webhook
    "gui.view_followups:install_view_followups",  # empty data, a view moved by a redraw
)


def install_all(main_window) -> None:
    for entry in FEATURES:
        module, _, name = entry.partition(":")
        getattr(importlib.import_module(module), name)(main_window)
