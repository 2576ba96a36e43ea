"""A snapshot file served as a ``MarketSource``: the market as it was, offline, with no clock of its own.

The file is checked and read whole on open (a 30-day 3-exchange 1m file loads in well under a second),
then closed: the source holds frames, not a file handle, so the file can be moved or overwritten while
it is shown, and replay (``MarketFrames.known_at``) never touches the disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence

from market.series import MarketFrames
from market.source import FEED_OK, FeedState, ProgressFn, SourceInfo
from market.snapshot_file import SnapshotError, load_snapshot_file
from cascade_vocab.utc import utc_minute
from cascade_vocab.names import SourceKind

__all__ = ["SnapshotError", "SnapshotSource", "open_snapshot", "open_and_read"]


def _utc_label(ms: int) -> str:
    try:
        return f"{utc_minute(ms)} UTC"
    except (ValueError, OverflowError, OSError):  # a date no calendar has: said so, never a crash
        return "an impossible date"


class SnapshotSource:
    """``market.source.MarketSource`` over a snapshot's frames. Immutable after open; any thread may read it."""

    def __init__(self, path: Path, meta: dict[str, Any], frames: MarketFrames) -> None:
        self.path = path
        self.meta = dict(meta)
        self.frames = frames
        rng = frames.time_range()
        ends = [int(frames.series(n)["ts"].iloc[-1]) for n in frames.row_counts() if len(frames.series(n))]
        created = meta.get("created_at_ms")
        self.created_at_ms: Optional[int] = created if isinstance(created, int) else None
        # The source's clock is the end of its data: the close of the last candle, or the last row of any kind.
        self._now_ms = rng[1] if rng else (max(ends) if ends else (self.created_at_ms or 0))
        self.source_kind: str = str(meta.get("source_kind", "unknown"))
        self.model_settings: Optional[dict] = meta.get("model_settings") if isinstance(meta.get("model_settings"), dict) else None
        self.positions: Optional[list] = meta.get("positions") if isinstance(meta.get("positions"), list) else None
        # "of when" = the market moment the file shows (end of data), which is what a trader reviews.
        self._info = SourceInfo(
            kind="snapshot",
            label=f"Snapshot of {_utc_label(self._now_ms)} — {path.name}",
            symbols=(frames.symbol,),
            exchanges=frames.exchanges(),
            has_real_liquidations=len(frames.liquidations) > 0,
            created_at_ms=self.created_at_ms,
            detail=str(path),
            liquidations_simulated=self.source_kind == SourceKind.DEMO,
        )

    def info(self) -> SourceInfo:
        return self._info

    def history(
        self,
        symbol: str,
        start_ms: Optional[int] = None,
        end_ms: Optional[int] = None,
        exchanges: Optional[Sequence[str]] = None,
        progress: Optional[ProgressFn] = None,
    ) -> MarketFrames:
        """The stored frames in ``[start_ms, end_ms)`` (whole file by default); empty for another symbol."""
        if symbol != self.frames.symbol:
            out = MarketFrames(symbol, self.frames.timeframe_ms)
        else:
            out = self.frames.slice(start_ms, end_ms)
            if exchanges is not None:
                out = out.only(exchanges)
        if progress is not None:
            progress(1.0, f"read {self.path.name}")
        return out

    def poll(self, symbol: str) -> MarketFrames:
        return MarketFrames(symbol, self.frames.timeframe_ms)  # a snapshot never changes

    def feed_states(self) -> tuple[FeedState, ...]:
        return (FeedState("snapshot", FEED_OK, f"snapshot file {self.path.name}", last_update_ms=self._now_ms),)

    def now_ms(self) -> int:
        return self._now_ms

    def close(self) -> None:
        """Nothing to release: the file was closed right after reading. Idempotent."""


def open_snapshot(path: str | os.PathLike[str]) -> SnapshotSource:
    """Check and read a snapshot file. Raises ``SnapshotError`` with one plain line for any bad file."""
    p = Path(path)
    meta, frames = load_snapshot_file(p)
    return SnapshotSource(p, meta, frames)


def open_and_read(path: str | os.PathLike[str]) -> MarketFrames:
    """Open a snapshot and return all its frames: what the benchmark times (the GUI adds drawing)."""
    src = open_snapshot(path)
    try:
        return src.history(src.frames.symbol)
    finally:
        src.close()
