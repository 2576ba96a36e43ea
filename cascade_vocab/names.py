"""The words compared across layers, as enums and constants: never compared as string literals.

Each enum is a ``str`` enum, so a value read from a file, a settings store or an older snapshot (a plain
string) compares equal to its member, and JSON output is unchanged.
"""

from __future__ import annotations

from enum import Enum


class SourceKind(str, Enum):
    """Where the shown market comes from."""

    DEMO = "demo"
    LIVE = "live"
    SNAPSHOT = "snapshot"

    def __str__(self) -> str:
        return self.value


class FeedStatus(str, Enum):
    """The state of one feed, shown in the status bar."""

    OK = "ok"
    RETRYING = "retrying"
    STALE = "stale"
    FAILED = "failed"
    OFFLINE = "offline"
    SILENT = "silent"  # a liquidation stream connected but quiet through a move that should have produced events
    UNAVAILABLE = "unavailable"  # the venue does not publish this series at all

    def __str__(self) -> str:
        return self.value


# The feeds that count as down when every one of them is (the window then says so over the last data).
FEED_DOWN = frozenset({FeedStatus.OFFLINE, FeedStatus.FAILED, FeedStatus.RETRYING})


class Series(str, Enum):
    """The normalized series of ``market.series`` (table names in the store and snapshot files)."""

    CANDLES = "candles"
    OPEN_INTEREST = "open_interest"
    FUNDING = "funding"
    LIQUIDATIONS = "liquidations"
    LONG_SHORT = "long_short"
    LIQUIDATION_MINUTES = "liquidation_minutes"  # per-minute sums, from imports only

    def __str__(self) -> str:
        return self.value
