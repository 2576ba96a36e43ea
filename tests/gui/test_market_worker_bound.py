"""A live session left running keeps a bounded window of history in memory, not everything polled since
it started (older rows stay in the store): what the window, the model's inputs and the drawn items cost
must not grow with the hours the terminal has been open."""

from __future__ import annotations

import pandas as pd

from gui.sources import SourceSpec
from gui.workers import MarketWorker
from market.series import MarketFrames
from market.source import SourceInfo

MINUTE, HOUR = 60_000, 3_600_000


def _candles(start_min: int, stop_min: int) -> pd.DataFrame:
    rows = [(t * MINUTE, "binance", 1.0, 2.0, 0.5, 1.5, 1.0, 0.5, 1.5) for t in range(start_min, stop_min)]
    return pd.DataFrame(rows, columns=["ts", "exchange", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"])


class _Source:
    """Two hours of history, then each poll brings the next ten minutes (the clock moves with them)."""

    def __init__(self) -> None:
        self.next_min = 120

    def info(self) -> SourceInfo:
        return SourceInfo("live", "fake", ("BTC/USDT:USDT",), ("binance",), True)

    def history(self, symbol, progress=None, start_ms=None, end_ms=None) -> MarketFrames:
        return MarketFrames.build(symbol, candles=_candles(0, self.next_min))

    def poll(self, symbol) -> MarketFrames:
        start, self.next_min = self.next_min, self.next_min + 10
        return MarketFrames.build(symbol, candles=_candles(start, self.next_min))

    def now_ms(self) -> int:
        return self.next_min * MINUTE

    def feed_states(self):
        return ()

    def close(self) -> None:
        pass


def test_polled_history_is_bounded_to_the_kept_window(qtbot):
    worker = MarketWorker(_Source, "BTC/USDT:USDT", poll_ms=1, keep_ms=2 * HOUR)
    seen: list[MarketFrames] = []
    worker.updated.connect(lambda frames, _clock: seen.append(frames))
    try:
        worker.start()
        # Ten simulated hours polled: five times the kept window.
        qtbot.waitUntil(lambda: bool(seen) and int(seen[-1].candles["ts"].max()) >= 12 * HOUR, timeout=60_000)
    finally:
        assert worker.stop()
    last = seen[-1].candles
    newest = int(last["ts"].max())
    assert newest - int(last["ts"].min()) <= 2 * HOUR * 1.25
    # Nothing inside the window is lost: every minute from the cut to the newest is there.
    assert last["ts"].diff().dropna().eq(MINUTE).all()


def test_live_and_demo_sessions_keep_their_history_window_and_snapshots_keep_all():
    assert SourceSpec("live", history_days=0.5).keep_ms == 12 * HOUR
    assert SourceSpec("demo", history_days=30).keep_ms == 30 * 24 * HOUR
    assert SourceSpec("snapshot", path="x.cascade").keep_ms is None
