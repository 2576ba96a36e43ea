"""Status-bar widget: per-feed age, coloured when stale or failing."""

from __future__ import annotations

import time
from typing import Sequence

from PySide6 import QtWidgets

from gui.theme import Theme
from market.series import EXCHANGE_NAMES
from market.source import FEED_OK, FEED_UNAVAILABLE, FeedState

STALE_AFTER_S = 30.0


def age_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def summarize(states: Sequence[FeedState], now_ms: int) -> list[tuple[str, str, str]]:
    """(exchange, text, level) per exchange: the worst feed wins; level is ok / warn / error."""
    worst: dict[str, tuple[int, str, str]] = {}
    # A silent liquidation stream is as bad as a failed one: the map would quietly show no real events.
    # "unavailable" (the venue publishes no such series) ranks below ok: it never colours the venue, and it
    # shows only when it is all there is to say (the tooltip names it).
    rank = {"unavailable": -1, "ok": 0, "retrying": 2, "stale": 1, "failed": 3, "offline": 3, "silent": 3}
    for s in states:
        exchange = s.feed.split(":")[0]
        age = (now_ms - s.last_update_ms) / 1000.0 if s.last_update_ms is not None else None
        level = rank.get(s.status, 3)
        if s.status == FEED_OK and age is not None and age > STALE_AFTER_S:
            level = 1
        text = s.status if s.status != FEED_OK else (age_text(max(age, 0.0)) if age is not None else "ok")
        if s.status != FEED_OK and s.detail:
            # a failed feed's detail already reads "failed: reason"
            text = s.detail if s.detail.startswith(f"{s.status}:") else f"{s.status}: {s.detail}"
        if exchange not in worst or level > worst[exchange][0]:
            worst[exchange] = (level, text, s.status)
    out = []
    for exchange, (level, text, _status) in worst.items():
        out.append((exchange, text, "ok" if level <= 0 else "warn" if level <= 2 else "error"))
    return out


def history_depth(states: Sequence[FeedState]) -> list[str]:
    """'OKX: open interest since 27 Nov 14:05 UTC' per venue that says how deep its OI history goes."""
    out = []
    for s in states:
        exchange, _, series = s.feed.partition(":")
        if series == "open_interest" and s.history_from_ms is not None:
            since = time.strftime("%d %b %H:%M UTC", time.gmtime(s.history_from_ms / 1000))
            line = f"{EXCHANGE_NAMES.get(exchange, exchange.capitalize())}: open interest since {since}"
            out.append(f"{line} ({s.history_note})" if s.history_note else line)
    return out


class FeedStatus(QtWidgets.QLabel):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.items: list[tuple[str, str, str]] = []
        self._received = time.monotonic()

    def set_states(self, states: Sequence[FeedState], now_ms: int) -> None:
        self.items = summarize(states, now_ms)
        t = self.theme
        colors = {"ok": t.up, "warn": t.warning, "error": t.error}
        parts = [f"<span style='color:{colors[level]}'>● {EXCHANGE_NAMES.get(ex, ex.capitalize())} {text}</span>" for ex, text, level in self.items]
        self.setText("  ".join(parts))
        # Venues serve OI history to different depths (OKX: 5-minute rows for 5 days, hourly before): say so.
        # What a venue does not publish at all is not a fault, so it never colours the line; it is said here too.
        missing = [f"{EXCHANGE_NAMES.get(s.feed.split(':')[0], s.feed)}: {s.detail}" for s in states if s.status == FEED_UNAVAILABLE]
        self.setToolTip("\n".join(history_depth(states) + missing))
