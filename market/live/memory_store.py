"""An in-memory stand-in with the Store API (write/read/last_ts), for a LiveSource without a database."""

from __future__ import annotations

import threading
from typing import Optional, Sequence

import pandas as pd

from market.series import MINUTE_MS, SERIES_COLUMNS, MarketFrames


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: dict[str, MarketFrames] = {}

    def write(self, frames: MarketFrames) -> dict[str, int]:
        with self._lock:
            old = self._frames.get(frames.symbol) or MarketFrames.build(frames.symbol, frames.timeframe_ms)
            self._frames[frames.symbol] = old.merge(frames)
        return frames.row_counts()

    def read(self, symbol: str, start_ms: Optional[int] = None, end_ms: Optional[int] = None,
             exchanges: Optional[Sequence[str]] = None, *, timeframe_ms: int = MINUTE_MS) -> MarketFrames:
        with self._lock:
            frames = self._frames.get(symbol) or MarketFrames.build(symbol, timeframe_ms)
        frames = frames.slice(start_ms, end_ms)
        return frames.only(exchanges) if exchanges is not None else frames

    def last_ts(self, symbol: str, exchange: str, series: str, *, timeframe_ms: int = MINUTE_MS) -> Optional[int]:
        ts = self._feed_ts(symbol, exchange, series)
        return None if ts is None or len(ts) == 0 else int(ts.max())

    def first_ts(self, symbol: str, exchange: str, series: str, *, timeframe_ms: int = MINUTE_MS) -> Optional[int]:
        ts = self._feed_ts(symbol, exchange, series)
        return None if ts is None or len(ts) == 0 else int(ts.min())

    def _feed_ts(self, symbol: str, exchange: str, series: str) -> Optional[pd.Series]:
        if series not in SERIES_COLUMNS:
            raise ValueError(f"unknown series {series!r}")
        with self._lock:
            frames = self._frames.get(symbol)
        if frames is None:
            return None
        df = frames.series(series)
        return df.loc[df["exchange"] == exchange, "ts"]

    def close(self) -> None:
        pass
