"""The Qt-free chart data: resampling, per-exchange series, cheap append = merge."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gui.chart_data import append_frames, bound_history, build_chart_data, resample_candles
from gui.items import lod
from market.series import MarketFrames


def candles(rows):
    df = pd.DataFrame(rows, columns=["ts", "exchange", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"])
    return df


def test_resample_hand_case():
    df = candles([
        (0, "binance", 10, 12, 9, 11, 1.0, 0.5, 11.0),
        (60_000, "binance", 11, 15, 10, 14, 2.0, 1.0, 28.0),
        (120_000, "binance", 14, 14, 8, 9, 3.0, 1.0, 27.0),
        (180_000, "binance", 9, 10, 9, 10, 4.0, 2.0, 40.0),
    ])
    out = resample_candles(df, 120_000)
    assert out["ts"].tolist() == [0, 120_000]
    assert out["open"].tolist() == [10, 14]
    assert out["high"].tolist() == [15, 14]
    assert out["low"].tolist() == [9, 8]
    assert out["close"].tolist() == [14, 10]
    assert out["volume"].tolist() == [3.0, 7.0]


def test_build_uses_first_chosen_exchange_price_and_sums_volume():
    c = candles([
        (0, "binance", 10, 12, 9, 11, 1.0, 0.5, 11.0),
        (0, "okx", 20, 22, 19, 21, 5.0, 2.0, 100.0),
        (60_000, "binance", 11, 15, 10, 14, 2.0, 1.0, 28.0),
        (60_000, "okx", 21, 25, 20, 24, 6.0, 3.0, 140.0),
    ])
    oi = pd.DataFrame({"ts": [0, 0, 60_000, 60_000], "exchange": ["binance", "okx"] * 2, "oi_base": [1.0, 2.0, 3.0, 5.0], "oi_usd": [10.0, 20, 30, 50]})
    liq = pd.DataFrame({"ts": [30_000, 70_000], "exchange": ["okx", "binance"], "side": ["long", "short"], "price": [9.5, 15.0], "qty_base": [1.0, 2.0], "notional_usd": [9.5, 30.0]})
    f = MarketFrames.build(candles=c, open_interest=oi, liquidations=liq)
    d = build_chart_data(f, ("binance", "okx"), 60_000)
    assert d.price_exchange == "binance"
    assert d.candles.close.tolist() == [11, 14]
    assert d.candles.volume.tolist() == [6.0, 8.0]
    assert d.oi_base["total"].y.tolist() == [3.0, 8.0]
    assert d.liquidations.long_usd.tolist() == [9.5, 0.0]
    assert d.liquidations.short_usd.tolist() == [0.0, 30.0]
    d2 = build_chart_data(f, ("okx",), 60_000)
    assert d2.price_exchange == "okx" and d2.candles.close.tolist() == [21, 24]
    assert set(d2.oi_base) == {"okx", "total"}


def test_append_frames_equals_merge():
    c = candles([(t * 60_000, ex, 1, 2, 0.5, 1.5, 1.0, 0.5, 1.5) for t in range(5) for ex in ("binance", "okx")])
    base = MarketFrames.build(candles=c.iloc[:8])
    newer = MarketFrames.build(candles=pd.concat([c.iloc[6:], c.iloc[6:7].assign(close=9.0)]))
    a = append_frames(base, newer)
    b = base.merge(newer)
    pd.testing.assert_frame_equal(a.candles, b.candles)
    assert a.candles["close"].iloc[6] == 9.0


def test_lod_merge_factor_and_merge():
    assert lod.merge_factor(43_200, 1200) == 72
    assert lod.merge_factor(100, 1200) == 1
    x = np.arange(6.0)
    o, h, l, c = x + 1, x + 3, x, x + 2
    mx, mo, mh, ml, mc = lod.merge_ohlc(x, o, h, l, c, 4)
    assert mx.tolist() == [0, 4] and mo.tolist() == [1, 5] and mh.tolist() == [6, 8] and ml.tolist() == [0, 4] and mc.tolist() == [5, 7]


def test_bound_history_keeps_a_window_and_trims_in_steps():
    # A day of minute candles on two venues and a funding row a day older than them all.
    minute, day = 60_000, 86_400_000
    c = candles([(t * minute, ex, 1, 2, 0.5, 1.5, 1.0, 0.5, 1.5) for t in range(1440) for ex in ("binance", "okx")])
    frames = MarketFrames.build(candles=c)
    now = 1440 * minute
    keep = 12 * 3_600_000
    # Older than the window but within its slack: untouched (no copy on every poll).
    assert bound_history(frames, keep, now, slack=1.5) is frames
    bounded = bound_history(frames, keep, now, slack=0.25)
    ts = bounded.candles["ts"]
    assert int(ts.min()) == now - keep and int(ts.max()) == now - minute
    assert len(bounded.candles) == 2 * 720
    assert bounded.candles.index.tolist() == list(range(len(bounded.candles)))
    # The newest rows are kept as they were.
    pd.testing.assert_frame_equal(bounded.candles, frames.candles.iloc[-1440:].reset_index(drop=True))
    assert bound_history(bounded, keep, now, slack=0.25) is bounded
    assert bound_history(MarketFrames.build(), keep, now + day).is_empty()
