"""The source interface: what the demo simulator, live exchanges and snapshot files all implement.

A source is used from a worker thread, never the GUI thread: ``history`` may take seconds (a live
backfill), ``poll`` returns promptly with whatever arrived since the last call. Results are
``MarketFrames`` in the normalized shape of ``market.series``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, Sequence, runtime_checkable

from cascade_vocab.names import FeedStatus, SourceKind
from market.series import MarketFrames

SOURCE_KINDS: tuple[SourceKind, ...] = tuple(SourceKind)

# Feed states shown in the status bar (the names other modules import; the values are FeedStatus members).
FEED_OK = FeedStatus.OK
FEED_RETRYING = FeedStatus.RETRYING
FEED_STALE = FeedStatus.STALE
FEED_FAILED = FeedStatus.FAILED
FEED_OFFLINE = FeedStatus.OFFLINE
# A liquidation stream that is connected but has said nothing through a price move that should have
# produced events (market/live/silence.py): the worst failure for a liquidation map, so it has its own state.
FEED_SILENT = FeedStatus.SILENT
# The venue does not publish this series at all (e.g. Hyperliquid has no public liquidation stream): not a
# failure, and never silently "ok"; ``detail`` says so in plain words.
FEED_UNAVAILABLE = FeedStatus.UNAVAILABLE

ProgressFn = Callable[[float, str], None]  # fraction 0..1, what is being done


@dataclass(frozen=True)
class SourceInfo:
    kind: str  # one of SOURCE_KINDS
    label: str  # what the window says, e.g. "Demo market — simulated data"
    symbols: tuple[str, ...]
    exchanges: tuple[str, ...]
    has_real_liquidations: bool  # True where liquidation events are real (or simulated truth), not estimates
    created_at_ms: Optional[int] = None  # snapshots: when it was saved
    # The liquidation events are the demo simulator's (a demo source, or a snapshot saved from one):
    # exact for the simulated market, but never to be called real.
    liquidations_simulated: bool = False
    detail: str = ""  # e.g. the snapshot's path


@dataclass(frozen=True)
class FeedState:
    feed: str  # e.g. "binance:candles"
    status: str  # FEED_OK | FEED_RETRYING | FEED_STALE | FEED_FAILED | FEED_OFFLINE | FEED_SILENT | FEED_UNAVAILABLE
    detail: str = ""  # plain words: "HTTP 429, retrying in 8 s"
    last_update_ms: Optional[int] = None  # source clock of the newest row received
    retry_in_s: Optional[float] = None
    history_from_ms: Optional[int] = None  # history series: the oldest row the venue served (its depth)
    history_note: str = ""  # how that history is made up, e.g. "5-minute rows from 27 Nov 14:05 UTC, hourly before"


@runtime_checkable
class MarketSource(Protocol):
    def info(self) -> SourceInfo:
        """What this source is; cheap, no I/O."""

    def history(
        self,
        symbol: str,
        start_ms: Optional[int] = None,
        end_ms: Optional[int] = None,
        exchanges: Optional[Sequence[str]] = None,
        progress: Optional[ProgressFn] = None,
    ) -> MarketFrames:
        """All series in ``[start_ms, end_ms)`` (defaults: the source's default lookback up to now)."""

    def poll(self, symbol: str) -> MarketFrames:
        """Rows that arrived since the previous poll (possibly empty). Returns promptly."""

    def feed_states(self) -> tuple[FeedState, ...]:
        """The state of every feed, for the status bar."""

    def now_ms(self) -> int:
        """The source's clock: simulated time for the demo, wall time live, the end of a snapshot."""

    def close(self) -> None:
        """Release sockets, threads and files. Idempotent."""


# Optional capabilities: a source may offer these beyond the Protocol above. Callers test with isinstance
# (runtime_checkable) instead of probing with getattr, so a checker sees the names and types.
@runtime_checkable
class HasModelSettings(Protocol):
    """A source that was saved with the model settings its map was drawn with (a snapshot)."""

    model_settings: Optional[dict]


@runtime_checkable
class HasSentiment(Protocol):
    """A source that can read a market sentiment index (live: the Fear & Greed index)."""

    def fear_greed(self) -> Any:
        """A ``market.live.FearGreed``, or raises when the index is unavailable."""


@runtime_checkable
class ListsSymbols(Protocol):
    """A source that can list every symbol it could show (not only those it has loaded)."""

    def list_symbols(self) -> Sequence[str]:
        """Every symbol this source can open."""
