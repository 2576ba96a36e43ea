"""The liquidation-level model: hand-computed cases, incremental = full, as-of = cut data, fast = oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from tests.unit.analytics import reference_model
from tests.unit.analytics.market_gen import MINUTE, T0, random_market

TINY = float(np.finfo(float).tiny)  # smallest normal double
ONE_TIER = ModelParams(leverages=(10.0,), weights=(1.0,), position_usd=10_000.0, mean_hold_ms=None)  # mmr 0.4%


def frames(rows, oi_rows, ex="binance"):
    c = pd.DataFrame(rows, columns=["ts", "high", "low", "close", "volume", "taker_buy_volume"])
    c["exchange"] = ex
    c["open"] = c["close"]
    c["quote_volume"] = np.nan
    o = pd.DataFrame(oi_rows, columns=["ts", "oi_base"])
    o["exchange"] = ex
    o["oi_usd"] = np.nan
    return c, o


def hand_case():
    rows = [
        (T0, 100.0, 100.0, 100.0, 10.0, 7.0),  # OI 100 -> 110: opens 7 long, 3 short at 100
        (T0 + MINUTE, 105.0, 95.0, 100.0, 10.0, 5.0),  # OI 110 -> 99: 10% of every cohort closes
        (T0 + 2 * MINUTE, 110.0, 99.0, 108.0, 10.0, 5.0),  # high 110 reaches the short level 109.56
    ]
    oi = [(T0, 100.0), (T0 + MINUTE, 110.0), (T0 + 2 * MINUTE, 99.0), (T0 + 3 * MINUTE, 99.0)]
    return frames(rows, oi)


LONG_LIQ = 100.0 * 0.9 / 0.996
SHORT_LIQ = 100.0 * 1.1 / 1.004


def test_hand_computed_cohorts_reduction_and_consumption():
    c, o = hand_case()
    m = LiquidationModel.from_history(c, o, ONE_TIER)
    edges = np.array([80.0, 90.0, 91.0, 100.0, 109.0, 110.0, 120.0])
    after_open = m.map_at(T0 + MINUTE, edges)
    assert after_open.long_usd == pytest.approx([0, 7 * LONG_LIQ, 0, 0, 0, 0])
    assert after_open.short_usd == pytest.approx([0, 0, 0, 0, 3 * SHORT_LIQ, 0])
    after_fall = m.map_at(T0 + 2 * MINUTE, edges)
    assert after_fall.total_long_usd() == pytest.approx(6.3 * LONG_LIQ)
    assert after_fall.total_short_usd() == pytest.approx(2.7 * SHORT_LIQ)
    end = m.map_at(None, edges)
    # The short cohort (2.7) is liquidated in the last candle while OI stays at 99: its liquidation is
    # credited, so 2.7 is newly opened at that candle's typical price, split 5/5 by its taker volume.
    typical = (110.0 + 99.0 + 108.0) / 3.0
    assert end.total_short_usd() == pytest.approx(1.35 * typical * 1.1 / 1.004)
    assert end.total_long_usd() == pytest.approx(6.3 * LONG_LIQ + 1.35 * typical * 0.9 / 0.996)
    assert end.price == 108.0
    liq = m.estimated_liquidations()
    assert len(liq) == 1
    row = liq.iloc[0]
    assert (row["ts"], row["side"], row["exchange"]) == (T0 + 2 * MINUTE, "short", "binance")
    assert row["price"] == pytest.approx(SHORT_LIQ)
    assert row["qty_base"] == pytest.approx(2.7)
    assert row["notional_usd"] == pytest.approx(2.7 * SHORT_LIQ)


def test_before_any_candle_closes_the_map_is_empty():
    c, o = hand_case()
    m = LiquidationModel.from_history(c, o, ONE_TIER)
    early = m.map_at(T0 + MINUTE - 1, np.array([0.0, 200.0]))
    assert early.total_long_usd() == 0.0 and np.isnan(early.price)


def test_taker_split_off_splits_evenly_and_leverage_mix_weights():
    c, o = hand_case()
    p = ModelParams(leverages=(10.0, 100.0), weights=(3.0, 1.0), taker_split=False, mean_hold_ms=None)
    m = LiquidationModel.from_history(c.iloc[:1], o, p)
    lv = m.open_levels()["binance"].sort_values(["side", "leverage"])
    # 10 opened: 5 long, 5 short; 75% at 10x and 25% at 100x
    assert lv["qty_base"].tolist() == pytest.approx([3.75, 1.25, 3.75, 1.25])
    assert lv["liq_price"].tolist() == pytest.approx([100 * 0.9 / 0.996, 100 * 0.99 / 0.996, 100 * 1.1 / 1.004, 100 * 1.01 / 1.004])
    assert lv["leverage"].tolist() == [10.0, 100.0, 10.0, 100.0] and lv["side"].tolist() == ["long", "long", "short", "short"]


def test_coarse_oi_is_attributed_to_the_candle_closing_at_the_measurement():
    rows = [(T0 + k * MINUTE, 101.0, 99.0, 100.0, 10.0, 5.0) for k in range(10)]
    oi = [(T0, 100.0), (T0 + 5 * MINUTE, 120.0), (T0 + 10 * MINUTE, 120.0)]  # every 5 minutes
    c, o = frames(rows, oi)
    m = LiquidationModel.from_history(c, o, ONE_TIER)
    lv = m.open_levels()["binance"]
    assert lv["qty_base"].sum() == pytest.approx(20.0)
    # nothing is known open before the candle that closes at T0+5m
    assert m.map_at(T0 + 4 * MINUTE, np.array([0.0, 1000.0])).total_long_usd() == 0.0
    assert m.map_at(T0 + 5 * MINUTE, np.array([0.0, 1000.0])).total_long_usd() == pytest.approx(10 * 100 * 0.9 / 0.996)


def test_half_life_halves_open_size():
    rows = [(T0 + k * MINUTE, 101.0, 99.0, 100.0, 10.0, 5.0) for k in range(11)]
    oi = [(T0, 100.0)] + [(T0 + k * MINUTE, 110.0) for k in range(1, 12)]
    c, o = frames(rows, oi)
    p = ModelParams(leverages=(10.0,), weights=(1.0,), half_life_ms=10 * MINUTE, mean_hold_ms=None)
    m = LiquidationModel.from_history(c, o, p)
    edges = np.array([0.0, 1000.0])
    first = m.map_at(T0 + MINUTE, edges).total_long_usd()
    assert m.map_at(T0 + 11 * MINUTE, edges).total_long_usd() == pytest.approx(first / 2)


def test_turnover_reopens_what_ordinary_closing_removes():
    rows = [(T0 + k * MINUTE, 101.0, 99.0, 100.0, 10.0, 5.0) for k in range(2)]
    oi = [(T0, 100.0), (T0 + MINUTE, 100.0), (T0 + 2 * MINUTE, 100.0)]  # flat OI
    c, o = frames(rows, oi)
    hold = MINUTE / np.log(2.0)  # half the open positions turn over each minute
    m = LiquidationModel.from_history(c, o, ModelParams(leverages=(10.0,), weights=(1.0,), mean_hold_ms=hold))
    lv = m.open_levels()["binance"]
    # candle 0 opens 100 - 100/2 = 50; candle 1 halves it to 25 and opens another 50
    assert sorted(lv["qty_base"].round(9).tolist()) == [12.5, 12.5, 25.0, 25.0]


def test_incremental_update_equals_full_recompute():
    c, o = random_market(400, seed=3, vol=0.001)
    full = LiquidationModel.from_history(c, o)
    cut = 300
    ts_cut = T0 + cut * MINUTE
    inc = LiquidationModel.from_history(c[c.ts < ts_cut], o[o.ts <= ts_cut])
    for k in range(cut, 400):
        t = T0 + k * MINUTE
        inc.update(c[c.ts == t], o[o.ts == t + MINUTE])
    edges = np.linspace(60_000, 100_000, 201)
    a, b = full.map_at(None, edges), inc.map_at(None, edges)
    np.testing.assert_allclose(a.long_usd, b.long_usd, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(a.short_usd, b.short_usd, rtol=1e-9, atol=1e-6)
    for ex in a.per_exchange:
        np.testing.assert_allclose(a.per_exchange[ex][0], b.per_exchange[ex][0], rtol=1e-9, atol=1e-6)
    te = np.linspace(T0, T0 + 400 * MINUTE, 41).astype(np.int64)
    np.testing.assert_allclose(full.heatmap(te, edges).values, inc.heatmap(te, edges).values, rtol=1e-5, atol=1e-2)
    la, lb = full.estimated_liquidations(), inc.estimated_liquidations()
    assert len(la) == len(lb) > 0
    assert la["notional_usd"].sum() == pytest.approx(lb["notional_usd"].sum(), rel=1e-9)


def test_map_as_of_t_equals_recompute_on_data_cut_at_t():
    c, o = random_market(300, seed=5, vol=0.001)
    full = LiquidationModel.from_history(c, o)
    edges = np.linspace(60_000, 100_000, 161)
    for t in (T0 + 17 * MINUTE, T0 + 150 * MINUTE + 30_000, T0 + 299 * MINUTE):
        known = LiquidationModel.from_history(c[c.ts + MINUTE <= t], o[o.ts <= t])
        a, b = full.map_at(t, edges), known.map_at(t, edges)
        np.testing.assert_allclose(a.long_usd, b.long_usd, rtol=1e-9)
        np.testing.assert_allclose(a.short_usd, b.short_usd, rtol=1e-9)
        assert a.price == b.price


def test_heatmap_columns_equal_maps_at_column_ends():
    c, o = random_market(200, seed=9, vol=0.001)
    m = LiquidationModel.from_history(c, o, ModelParams(half_life_ms=30 * MINUTE))
    te = np.linspace(T0 - 10 * MINUTE, T0 + 200 * MINUTE, 22).astype(np.int64)
    pe = np.linspace(60_000, 100_000, 81)
    h = m.heatmap(te, pe)
    assert h.values.shape == (21, 80) and h.values.dtype == np.float32
    for col in (0, 5, 20):
        mp = m.map_at(int(te[col + 1]), pe)
        np.testing.assert_allclose(h.long_values[col], mp.long_usd, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(h.short_values[col], mp.short_usd, rtol=1e-5, atol=1e-3)


def assert_matches_reference(c, o, params, at=None):
    model = LiquidationModel.from_history(c, o, params)
    ref = reference_model.run(c, o, params, until_ms=at)
    edges = np.linspace(0.0, 400.0, 401)
    lo, sh = reference_model.map_usd(ref, edges)
    got = model.map_at(at, edges)
    np.testing.assert_allclose(got.long_usd, lo, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(got.short_usd, sh, rtol=1e-7, atol=1e-7)
    if at is None:
        est = model.estimated_liquidations()
        ref_liq = sum(q * p for _c, liqs, _l in ref.values() for (_t, _s, p, q) in liqs)
        assert est["notional_usd"].sum() == pytest.approx(ref_liq, rel=1e-7, abs=1e-7)
        # Both sides count the same events down to the smallest normal double, and no further: a size
        # below it has no significant digits left. The oracle shrinks a cohort candle by candle and
        # each product rounds back up to the smallest subnormal (0.7 × 5e-324 -> 5e-324), while the model
        # multiplies once by exp(G[now] - G[open]) and rounds to 0 (0.35 × 5e-324, correctly rounded):
        # the same cohort, a liquidation of nothing on one side and of 5e-324 base on the other.
        assert int((est["qty_base"] >= TINY).sum()) == sum(q >= TINY for _c, liqs, _l in ref.values() for (*_, q) in liqs)
        assert (est["qty_base"] > 0).all()  # a cohort of zero size is never a liquidation


def subnormal_long_case():
    """A long cohort of the smallest subnormal size, decayed for three candles, then reached.

    The taker buy share is 5e-324 (hypothesis found it): one base opened makes a long cohort of
    5e-324. A half-life of two candles shrinks it by 0.707 per candle for three candles before the
    last candle's low reaches it; the short cohort (size 1) is never reached.
    """
    rows = [(T0, 100.0, 100.0, 100.0, 1.0, 5e-324)]  # OI 0 -> 1: long 5e-324, short 1 at 100
    rows += [(T0 + k * MINUTE, 100.0, 100.0, 100.0, 0.0, 0.0) for k in (1, 2, 3)]
    rows += [(T0 + 4 * MINUTE, 100.0, 90.0, 95.0, 0.0, 0.0)]  # low 90 reaches the long level 90.36
    oi = [(T0, 0.0)] + [(T0 + k * MINUTE, 1.0) for k in range(1, 6)]
    params = ModelParams(leverages=(10.0,), weights=(1.0,), half_life_ms=2 * MINUTE, mean_hold_ms=None)
    return (*frames(rows, oi), params)


def test_subnormal_cohort_counts_alike_in_model_and_oracle():
    c, o, params = subnormal_long_case()
    assert_matches_reference(c, o, params)


@st.composite
def small_market(draw):
    n = draw(st.integers(1, 14))
    exchanges = draw(st.sampled_from([("binance",), ("binance", "okx"), ("okx", "bybit", "binance")]))
    rows, oi_rows = [], []
    for ex in exchanges:
        price = draw(st.floats(50, 150))
        oi = draw(st.floats(0, 100))
        every = draw(st.sampled_from([1, 1, 2, 5]))
        skip = draw(st.integers(0, 3))  # OI may start late
        for k in range(n):
            close = draw(st.floats(50, 150))
            hi = max(price, close) + draw(st.floats(0, 20))
            lo = min(price, close) - draw(st.floats(0, 20))
            vol = draw(st.sampled_from([0.0, 1.0, 7.5]))
            tb = draw(st.one_of(st.just(float("nan")), st.floats(0, 1))) * vol
            rows.append((T0 + k * MINUTE, ex, price, hi, lo, close, vol, tb, vol * close))
            price = close
        for k in range(skip, n + 1, every):
            oi = max(0.0, oi + draw(st.floats(-30, 30)))
            oi_rows.append((T0 + k * MINUTE, ex, oi, oi * price))
    c = pd.DataFrame(rows, columns=["ts", "exchange", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"])
    o = pd.DataFrame(oi_rows, columns=["ts", "exchange", "oi_base", "oi_usd"])
    return c.sort_values(["ts", "exchange"]).reset_index(drop=True), o.sort_values(["ts", "exchange"]).reset_index(drop=True), n


PARAMS = st.builds(
    ModelParams,
    leverages=st.just((2.0, 5.0, 20.0, 100.0)),
    weights=st.tuples(*[st.sampled_from([0.0, 0.05, 0.3, 1.0])] * 3, st.floats(0.1, 1)),
    taker_split=st.booleans(),
    entry=st.sampled_from(["typical", "vwap"]),
    position_usd=st.sampled_from([1_000.0, 300_000.0, 30_000_000.0]),
    half_life_ms=st.sampled_from([None, 3 * MINUTE]),
    mean_hold_ms=st.sampled_from([None, 5 * MINUTE]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_market(), PARAMS, st.integers(0, 30))
def test_fast_path_equals_reference_oracle(market, params, at_k):
    c, o, n = market
    assert_matches_reference(c, o, params)
    assert_matches_reference(c, o, params, at=T0 + min(at_k, n) * MINUTE + at_k * 1000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_market(), PARAMS, st.integers(0, 25))
def test_incremental_equals_reference_oracle(market, params, split):
    c, o, n = market
    k = min(split, n)
    cut = T0 + k * MINUTE
    model = LiquidationModel.from_history(c[c.ts < cut], o[o.ts <= cut], params)
    for j in range(k, n):
        t = T0 + j * MINUTE
        model.update(c[c.ts == t], o[(o.ts > t) & (o.ts <= t + MINUTE)])
    ref = reference_model.run(c, o, params)
    edges = np.linspace(0.0, 400.0, 401)
    lo, sh = reference_model.map_usd(ref, edges)
    got = model.map_at(None, edges)
    np.testing.assert_allclose(got.long_usd, lo, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(got.short_usd, sh, rtol=1e-7, atol=1e-7)


def test_heatmap_with_decay_spanning_hundreds_of_e_folds_matches_maps():
    # G falls by ~0.7 per candle: the heatmap must split its rebasing segments and stay finite
    c, o = random_market(1500, exchanges=("binance",), seed=4, vol=0.001)
    m = LiquidationModel.from_history(c, o, ModelParams(half_life_ms=MINUTE))
    te = np.linspace(T0, T0 + 1500 * MINUTE, 31).astype(np.int64)
    pe = np.linspace(60_000, 100_000, 41)
    h = m.heatmap(te, pe)
    assert np.isfinite(h.values).all()
    for col in (0, 3, 14, 29):
        mp = m.map_at(int(te[col + 1]), pe)
        np.testing.assert_allclose(h.long_values[col], mp.long_usd, rtol=1e-4, atol=1e-6 * mp.long_usd.max())
        np.testing.assert_allclose(h.short_values[col], mp.short_usd, rtol=1e-4, atol=1e-6 * mp.short_usd.max())
