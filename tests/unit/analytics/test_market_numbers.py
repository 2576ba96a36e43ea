"""OI changes, price change and drawdown, swings and sweeps, volume share, recent liquidations: hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.liquidation_events import ESTIMATED, REAL, recent_liquidations
from analytics.open_interest import DAY_MS, HOUR_MS, open_interest_at, total_open_interest
from analytics.structure import find_sweep, price_move, reference_ohlc, resample, swing_points
from analytics.volume import lowest_since, monthly_volume, volume_share
from tests.unit.analytics.market_gen import MINUTE, T0


def oi_frame(rows):
    return pd.DataFrame(rows, columns=["ts", "exchange", "oi_base", "oi_usd"])


def test_open_interest_at_and_changes():
    at = T0 + 31 * DAY_MS
    oi = oi_frame([
        (T0, "binance", 100.0, 8e6),
        (at - 30 * DAY_MS, "binance", 80.0, 7e6),
        (at - DAY_MS, "binance", 125.0, 1e7),
        (at - HOUR_MS - 1, "binance", 110.0, 1e7),  # the 1h change looks up the value as of at - 1h
        (at, "binance", 120.0, 1.2e7),
        (at + 1, "binance", 999.0, 1e9),  # after `at`: unknown then
        (at - DAY_MS, "okx", 50.0, 4e6),
        (at - 10, "okx", 40.0, 3.2e6),
    ])
    got = open_interest_at(oi, at, since_ms=T0)
    b = got["binance"]
    assert (b.base, b.usd, b.ts) == (120.0, 1.2e7, at)
    assert b.change_pct["1h"] == pytest.approx(120 / 110 * 100 - 100)
    assert b.change_pct["24h"] == pytest.approx(-4.0)
    assert b.change_pct["30d"] == pytest.approx(50.0)
    assert b.change_since_pct == pytest.approx(20.0)
    o = got["okx"]
    assert o.change_pct["24h"] == pytest.approx(-20.0)
    assert o.change_pct["7d"] is None and o.change_pct["30d"] is None  # no data that far back
    assert total_open_interest(got) == (160.0, 1.2e7 + 3.2e6)
    assert open_interest_at(oi, T0 - 1) == {}


def candles_from(closes, highs=None, lows=None, exchanges=("binance",), tf=MINUTE, t0=T0):
    n = len(closes)
    closes = np.asarray(closes, float)
    highs = closes if highs is None else np.asarray(highs, float)
    lows = closes if lows is None else np.asarray(lows, float)
    rows = []
    for ex in exchanges:
        rows.append(pd.DataFrame({"ts": t0 + np.arange(n) * tf, "exchange": ex, "open": closes, "high": highs,
                                  "low": lows, "close": closes, "volume": 1.0, "taker_buy_volume": 0.5,
                                  "quote_volume": closes}))
    return pd.concat(rows, ignore_index=True)


def test_price_move_change_and_drawdown_over_days():
    day = DAY_MS
    closes = [100.0, 120.0, 90.0, 102.0]  # daily candles
    c = candles_from(closes, highs=[101, 130, 95, 104], lows=[99, 110, 80, 100], tf=day)
    ref = reference_ohlc(c)
    mv = price_move(ref, T0 + 4 * day, 2, day)  # window: the last two daily candles
    assert mv.price == 102.0
    assert mv.start_price == 120.0  # close of the candle that closed at T0 + 2d
    assert mv.change_pct == pytest.approx(-15.0)
    assert mv.high == 104.0 and mv.low == 80.0
    assert mv.drawdown_pct == pytest.approx((102 / 104 - 1) * 100)
    longer = price_move(ref, T0 + 4 * day, 10, day)
    assert longer.change_pct is None and longer.high == 130.0
    assert price_move(ref, T0 + day - 1, 2, day) is None


def test_reference_price_is_the_median_over_exchanges_and_resamples():
    a = candles_from([100.0, 101.0], exchanges=("binance",))
    b = candles_from([110.0, 111.0], exchanges=("okx",))
    c = candles_from([90.0, 300.0], exchanges=("bybit",))
    ref = reference_ohlc(pd.concat([a, b, c]))
    assert ref["close"].tolist() == [100.0, 111.0]
    hourly = resample(candles_from(np.arange(120.0)), HOUR_MS)
    assert hourly["open"].tolist() == [0.0, 60.0] and hourly["close"].tolist() == [59.0, 119.0]
    assert hourly["high"].tolist() == [59.0, 119.0] and hourly["low"].tolist() == [0.0, 60.0]


def test_swing_points_strict_extremes():
    high = np.array([1, 3, 2, 5, 2, 2, 4, 1, 1], float)
    low = np.array([5, 4, 1, 3, 2, 3, 4, 0, 2], float)
    sh, sl = swing_points(high, low, 1)
    assert sh.tolist() == [1, 3, 6]
    assert sl.tolist() == [2, 4, 7]
    sh2, sl2 = swing_points(high, low, 2)
    assert sh2.tolist() == [3, 6] and sl2.tolist() == [2]


def bars(lows, closes):
    n = len(lows)
    return pd.DataFrame({"ts": T0 + np.arange(n) * HOUR_MS, "open": closes, "high": np.maximum(lows, closes) + 1,
                         "low": lows, "close": closes})


def test_sweep_breaks_swing_lows_and_reclaims():
    # swing lows at 80 (bar 2) and 83 (bar 6); bar 10 dips to 78 and bar 11 closes back at 84
    lows = [90, 88, 80, 87, 89, 86, 83, 85, 88, 87, 78, 82, 86]
    closes = [91, 89, 82, 88, 90, 87, 85, 86, 89, 88, 79, 84, 87]
    s = find_sweep(bars(lows, closes), k=2, reclaim_bars=3)
    assert s.swept and (s.low, s.high) == (80, 83)
    assert s.break_ts == T0 + 10 * HOUR_MS and s.reclaim_ts == T0 + 11 * HOUR_MS and s.extreme == 78


def test_breakdown_without_reclaim_is_not_a_sweep():
    lows = [90, 88, 80, 87, 89, 86, 83, 85, 88, 87, 78, 76, 75]
    closes = [91, 89, 82, 88, 90, 87, 85, 86, 89, 88, 79, 77, 76]
    assert not find_sweep(bars(lows, closes), k=2, reclaim_bars=3).swept


def test_unconfirmed_swing_low_is_not_swept():
    # the low at bar 6 needs 2 bars after it before it counts; bar 7 dips under it right away
    lows = [90, 88, 89, 90, 91, 90, 85, 84, 90, 91]
    closes = [91, 89, 90, 91, 92, 91, 86, 86, 91, 92]
    assert not find_sweep(bars(lows, closes), k=2, reclaim_bars=3).swept


def vol_candles(rows):
    return pd.DataFrame(rows, columns=["ts", "exchange", "close", "volume", "quote_volume"])


def test_volume_share_rank_and_missing_quote_volume():
    at = T0 + 30 * DAY_MS
    c = vol_candles([
        (T0, "binance", 100.0, 1.0, 500.0),
        (T0 + DAY_MS, "okx", 100.0, 2.0, np.nan),  # no quote volume: 2 x 100
        (T0 + 2 * DAY_MS, "bybit", 100.0, 1.0, 300.0),
        (T0 - 1, "bybit", 100.0, 1.0, 1e9),  # before the window
        (at - MINUTE, "binance", 100.0, 1.0, 100.0),  # closes exactly at `at`: in
        (at, "binance", 100.0, 1.0, 1e9),  # not closed yet
    ])
    v = volume_share(c, at, 30)
    assert v.usd == {"binance": 600.0, "bybit": 300.0, "okx": 200.0}
    assert v.rank == ("binance", "bybit", "okx")
    assert v.share["binance"] == pytest.approx(600 / 1100)
    assert v.covered_days == pytest.approx(30.0)


def test_monthly_volume_and_lowest_since():
    def ms(d):
        return int(pd.Timestamp(d, tz="UTC").timestamp() * 1000)

    c = vol_candles([(ms("2025-01-05"), "binance", 1.0, 1.0, 50.0), (ms("2025-02-05"), "binance", 1.0, 1.0, 90.0),
                     (ms("2025-03-05"), "binance", 1.0, 1.0, 70.0), (ms("2025-03-06"), "okx", 1.0, 1.0, 10.0),
                     (ms("2025-04-05"), "binance", 1.0, 1.0, 60.0)])
    m = monthly_volume(c)
    assert m["total"].tolist() == [50.0, 90.0, 80.0, 60.0]
    assert lowest_since(m, "2025-04") == "2025-01"  # lowest since January
    assert lowest_since(m, "2025-03") == "2025-01"
    assert lowest_since(m, "2025-01") is None
    assert lowest_since(m, "2026-01") is None


def liq_rows(rows):
    return pd.DataFrame(rows, columns=["ts", "exchange", "side", "price", "qty_base", "notional_usd"])


def test_recent_liquidations_real_where_given_estimated_otherwise():
    at = T0 + 2 * DAY_MS
    real = liq_rows([(at - 10, "binance", "long", 1, 1, 100.0), (at - DAY_MS, "binance", "short", 1, 1, 30.0),
                     (at - DAY_MS - 1, "binance", "long", 1, 1, 1e9), (at, "binance", "long", 1, 1, 1e9)])
    est = liq_rows([(at - 5, "okx", "long", 1, 1, 7.0), (at - 5, "binance", "long", 1, 1, 1e6)])
    t = recent_liquidations(real, est, at, ["binance", "okx"])
    assert t.per_exchange == {"binance": (100.0, 30.0, REAL), "okx": (7.0, 0.0, ESTIMATED)}
    assert (t.long_usd, t.short_usd, t.label) == (107.0, 30.0, "mixed")
    only_est = recent_liquidations(None, est, at, ["okx"])
    assert only_est.label == ESTIMATED
