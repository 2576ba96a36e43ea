"""The source interface, written once and run against every source: demo, snapshot file and live.

Every panel and every analytics function relies on these properties, whichever source feeds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from market.series import EXCHANGES, SERIES_COLUMNS, SERIES_KEYS, MarketFrames
from market.source import (
    FEED_FAILED,
    FEED_OFFLINE,
    FEED_OK,
    FEED_RETRYING,
    FEED_STALE,
    FEED_UNAVAILABLE,
    SOURCE_KINDS,
    FeedState,
    MarketSource,
)

SYMBOL = "BTC/USDT:USDT"
FEED_STATUSES = {FEED_OK, FEED_RETRYING, FEED_STALE, FEED_FAILED, FEED_OFFLINE, FEED_UNAVAILABLE}


def _demo(tmp_path):
    from market.simulator import DemoSource

    return DemoSource(seed=3, speed=60.0, symbol=SYMBOL, history_days=1)


def _snapshot(tmp_path):
    from market.simulator import DemoSource
    from market.snapshot_file import save_snapshot
    from market.snapshot_source import open_snapshot

    demo = DemoSource(seed=3, symbol=SYMBOL, history_days=1)
    frames = demo.history(SYMBOL)
    demo.close()
    path = save_snapshot(frames, tmp_path / "conformance.cascade", source_kind="demo")
    return open_snapshot(path)


def _live(tmp_path):
    from market.live import LiveSource
    from tests.fake_exchange import FakeExchange

    fake = FakeExchange(history_minutes=6 * 60)
    fake.start()
    src = LiveSource(symbol=SYMBOL, history_days=0.25, urls_override=fake.url_overrides(), store=None)
    src._conformance_fake = fake  # stopped by the fixture below
    return src


@pytest.fixture(params=["demo", "snapshot", "live"])
def source(request, tmp_path):
    src = {"demo": _demo, "snapshot": _snapshot, "live": _live}[request.param](tmp_path)
    yield src
    src.close()
    fake = getattr(src, "_conformance_fake", None)
    if fake is not None:
        fake.stop()


@pytest.fixture
def history(source) -> MarketFrames:
    return source.history(SYMBOL)


def test_implements_protocol(source):
    assert isinstance(source, MarketSource)
    info = source.info()
    assert info.kind in SOURCE_KINDS
    assert info.label
    assert SYMBOL in info.symbols
    assert set(info.exchanges) <= set(EXCHANGES) and info.exchanges


def test_history_has_normalized_shape(history):
    assert isinstance(history, MarketFrames)
    assert history.symbol == SYMBOL
    for name, columns in SERIES_COLUMNS.items():
        df = history.series(name)
        assert list(df.columns) == list(columns), name
        for col, dtype in columns.items():
            if dtype != "object":
                assert df[col].dtype == np.dtype(dtype), (name, col)
        ts = df["ts"].to_numpy()
        assert np.all(np.diff(ts) >= 0), f"{name} not sorted by time"
        assert not df.duplicated(list(SERIES_KEYS[name])).any(), f"{name} has duplicate rows"
    assert len(history.candles) > 0 and len(history.open_interest) > 0


def test_history_values_are_sane(history):
    c = history.candles
    assert (c["ts"] % history.timeframe_ms == 0).all(), "candle open times on the timeframe grid"
    assert (c[["open", "high", "low", "close"]] > 0).all().all()
    assert (c["high"] >= c[["open", "close"]].max(axis=1) - 1e-9).all()
    assert (c["low"] <= c[["open", "close"]].min(axis=1) + 1e-9).all()
    assert (c["volume"] >= 0).all()
    tb = c["taker_buy_volume"].dropna()
    assert (tb <= c.loc[tb.index, "volume"] + 1e-9).all()
    oi = history.open_interest
    assert (oi["oi_base"] > 0).all() and (oi["oi_usd"] > 0).all()
    liq = history.liquidations
    assert set(liq["side"].unique()) <= {"long", "short"}
    assert (liq["notional_usd"] >= 0).all()
    assert set(c["exchange"].unique()) <= set(EXCHANGES)


def test_history_respects_range_and_exchanges(source, history):
    start, end = history.time_range()
    mid = start + (end - start) // 2
    mid -= mid % history.timeframe_ms
    part = source.history(SYMBOL, start_ms=mid, end_ms=end, exchanges=["binance"])
    assert len(part.candles) > 0
    assert part.candles["ts"].min() >= mid
    assert set(part.candles["exchange"].unique()) == {"binance"}
    expected = history.slice(mid, end).only(["binance"]).candles
    got = part.candles[part.candles["ts"].isin(expected["ts"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[["ts", "close"]], expected[["ts", "close"]].reset_index(drop=True), check_exact=False)


def test_poll_and_clock(source, history):
    new = source.poll(SYMBOL)
    assert isinstance(new, MarketFrames) and new.symbol == SYMBOL
    _, end = history.time_range()
    assert source.now_ms() >= end - history.timeframe_ms


def test_feed_states(source, history):
    states = source.feed_states()
    assert isinstance(states, tuple) and states
    for s in states:
        assert isinstance(s, FeedState)
        assert s.status in FEED_STATUSES
        assert s.feed


def test_close_is_idempotent(source):
    source.close()
    source.close()
