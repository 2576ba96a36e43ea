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


# -- the incremental builder equals a full build -----------------------------------------------------------
def _same_chart(a, b):
    from dataclasses import fields

    assert (a.symbol, a.timeframe_ms, a.price_exchange, a.exchanges) == (b.symbol, b.timeframe_ms, b.price_exchange, b.exchanges)
    for part in ("candles", "liquidations"):
        for f in fields(getattr(a, part)):
            np.testing.assert_array_equal(getattr(getattr(a, part), f.name), getattr(getattr(b, part), f.name), err_msg=f"{part}.{f.name}")
    for part in ("oi_base", "oi_usd", "funding"):
        la, lb = getattr(a, part), getattr(b, part)
        assert list(la) == list(lb), part
        for name in la:
            np.testing.assert_array_equal(la[name].x, lb[name].x, err_msg=f"{part}[{name}].x")
            np.testing.assert_array_equal(la[name].y, lb[name].y, err_msg=f"{part}[{name}].y")


def _market(n=400, seed=3):
    from tests.unit.analytics.market_gen import random_market

    c, oi = random_market(n, exchanges=("binance", "okx", "bybit"), seed=seed)
    oi.loc[oi.index % 7 == 3, "oi_usd"] = np.nan  # gaps the total forward-fills over
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.choice(c["ts"].to_numpy(), 60)) + 1_000
    liq = pd.DataFrame({"ts": ts, "exchange": rng.choice(["binance", "okx", "bybit"], 60), "side": rng.choice(["long", "short"], 60),
                        "price": 80_000.0, "qty_base": 1.0, "notional_usd": rng.gamma(2.0, 1e5, 60)})
    t0 = int(c["ts"].iloc[0])
    funding = pd.DataFrame({"ts": np.repeat(t0 + np.arange(0, n, 60) * 60_000, 3), "exchange": ["binance", "okx", "bybit"] * len(range(0, n, 60)),
                            "rate": rng.normal(1e-4, 5e-5, 3 * len(range(0, n, 60)))})
    return c, oi, liq, funding


def _frames(c, oi, liq, funding):
    return MarketFrames.build(candles=c, open_interest=oi, liquidations=liq, funding=funding)


def test_chart_builder_recomputes_the_newest_bars_only_and_equals_a_full_build():
    from gui.chart_data import ChartBuilder

    c, oi, liq, funding = _market()
    for exchanges, tf in ((("binance", "okx", "bybit"), 60_000), (("okx", "bybit"), 300_000)):
        builder = ChartBuilder()
        steps = [_frames(c.iloc[:900], oi.iloc[:900], liq.iloc[:30], funding.iloc[:9])]
        # a live candle revised, then a new minute of every series, then a late funding row and liquidation
        revised = c.iloc[:900].copy()
        revised.loc[revised.index[-3:], "close"] *= 1.001
        steps.append(_frames(revised, oi.iloc[:900], liq.iloc[:30], funding.iloc[:9]))
        steps.append(_frames(c.iloc[:960], oi.iloc[:960], liq.iloc[:33], funding.iloc[:12]))
        late = pd.concat([funding.iloc[:12], pd.DataFrame({"ts": [int(c["ts"].iloc[600]) + 5], "exchange": ["okx"], "rate": [3e-4]})])
        steps.append(_frames(c.iloc[:960], oi.iloc[:960], liq.iloc[:34], late))
        steps.append(steps[-1])  # nothing new
        steps.append(_frames(c, oi, liq, late))
        for frames in steps:
            _same_chart(builder.build(frames, exchanges, tf), build_chart_data(frames.only(exchanges), exchanges, tf))
        assert builder.partial_builds >= 3


def test_chart_builder_keeps_the_total_of_a_venue_whose_open_interest_stopped_and_follows_a_new_feed():
    from gui.chart_data import ChartBuilder

    c, oi, liq, funding = _market()
    ex = ("binance", "okx", "bybit")
    quiet = oi[~((oi["exchange"] == "bybit") & (oi["ts"] > oi["ts"].iloc[500]))]  # bybit's OI ends early
    builder = ChartBuilder()
    first = _frames(c.iloc[:900], quiet.iloc[:800], liq, funding)
    builder.build(first, ex, 60_000)
    later = _frames(c.iloc[:960], quiet, liq, funding)
    _same_chart(builder.build(later, ex, 60_000), build_chart_data(later.only(ex), ex, 60_000))
    other = _frames(*_market(seed=9))  # another feed altogether
    _same_chart(builder.build(other, ex, 60_000), build_chart_data(other.only(ex), ex, 60_000))


def test_forward_filled_sum_is_the_pandas_join():
    from gui.chart_data import forward_filled_sum

    rng = np.random.default_rng(5)
    lines = []
    for k in range(4):
        ts = np.sort(rng.choice(np.arange(10_000, dtype=np.int64) * 60_000 + k * 7, 3_000 - 500 * k, replace=False))
        y = rng.gamma(2.0, 1e4 * (k + 1), len(ts))
        y[rng.random(len(ts)) < 0.05] = np.nan  # gaps, carried over by the last value
        lines.append((ts, y))
    same_instants = [(lines[0][0], rng.gamma(2.0, 1e4, len(lines[0][0]))) for _ in range(4)]
    same_instants[2][1][:3] = np.nan  # a venue without a value yet at the start
    for case in (lines, same_instants):
        want = pd.concat([pd.Series(y, index=ts) for ts, y in case], axis=1).sort_index().ffill().dropna()
        got = forward_filled_sum(case)
        np.testing.assert_array_equal(got.x, want.index.to_numpy() / 1000.0)
        np.testing.assert_array_equal(got.y, want.sum(axis=1).to_numpy())


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
