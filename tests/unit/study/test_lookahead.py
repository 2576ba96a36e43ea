"""No look-ahead: what the study uses at step t is exactly what a model built on ``known_at(t)`` shows."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.imbalance import longs_at_risk, shorts_at_risk
from analytics.liquidation import LiquidationModel
from analytics.study import at_risk, observe, step_maps, step_times
from market.series import MarketFrames
from tests.unit.study.markets import MINUTE, T0, no_feedback_market

HOUR = 60 * MINUTE


@pytest.fixture(scope="module")
def frames() -> MarketFrames:
    # Three venues, 1m candles, OI every minute; a volatile walk so cohorts are consumed in both directions.
    candles, oi = no_feedback_market(2.0, seed=5, exchanges=("binance", "okx", "bybit"), vol=0.0012)
    # OKX's OI only every 5 minutes and one Bybit hour missing: the cut must respect both.
    oi = oi[(oi["exchange"] != "okx") | ((oi["ts"] - T0) % (5 * MINUTE) == 0)]
    gap = (candles["exchange"] == "bybit") & (candles["ts"] >= T0 + 30 * HOUR) & (candles["ts"] < T0 + 31 * HOUR)
    return MarketFrames.build(candles=candles[~gap], open_interest=oi)


# Steps on the hour and off it (mid-candle instants), including one inside Bybit's gap.
STEPS = np.array([T0 + 6 * HOUR, T0 + 13 * HOUR + 30_000, T0 + 24 * HOUR, T0 + 30 * HOUR + 17 * MINUTE,
                  T0 + 41 * HOUR + 59 * MINUTE + 59_999], np.int64)


def cut_model(frames: MarketFrames, t: int) -> LiquidationModel:
    known = frames.known_at(t)
    return LiquidationModel.from_history(known.candles, known.open_interest, timeframe_ms=frames.timeframe_ms)


def test_map_at_each_step_equals_the_model_built_on_known_at(frames):
    full = LiquidationModel.from_history(frames.candles, frames.open_interest)
    seen = {}
    for j, m in step_maps(full, STEPS, band_pct=3.0):
        seen[j] = m
    assert sorted(seen) == list(range(len(STEPS)))
    for j, t in enumerate(STEPS):
        m = seen[j]
        ref = cut_model(frames, int(t)).map_at(int(t), bin_edges=m.bin_edges)
        assert m.at_ms == t
        assert m.price == ref.price
        total = ref.long_usd.sum() + ref.short_usd.sum()
        assert total > 1e6  # a populated map, so the comparison means something
        np.testing.assert_allclose(m.long_usd, ref.long_usd, rtol=1e-6, atol=1e-9 * total)
        np.testing.assert_allclose(m.short_usd, ref.short_usd, rtol=1e-6, atol=1e-9 * total)


@pytest.mark.parametrize("band", [1.0, 3.0, 10.0])
def test_at_risk_equals_imbalance_on_the_default_map_at_t(frames, band):
    """The study's numbers are those of ``analytics.imbalance`` on the map the app shows at t."""
    full = LiquidationModel.from_history(frames.candles, frames.open_interest)
    price, shorts, longs = at_risk(full, STEPS, band)
    for j, t in enumerate(STEPS):
        m = cut_model(frames, int(t)).map_at(int(t))  # default bins, as the app shows it
        assert price[j] == m.price
        want_s = shorts_at_risk(m, m.price * (1 + band / 100))
        want_l = longs_at_risk(m, m.price * (1 - band / 100))
        assert want_s > 0 and want_l > 0
        assert shorts[j] == pytest.approx(want_s, rel=1e-6)
        assert longs[j] == pytest.approx(want_l, rel=1e-6)


def test_rewriting_the_future_changes_no_imbalance_before_it(frames):
    """Everything after T is replaced by a crash with collapsing OI: the imbalance at steps <= T is unchanged,
    and only outcomes whose horizon reaches past T may change."""
    T = T0 + 30 * HOUR
    c = frames.candles.copy()
    late = c["ts"].to_numpy() + MINUTE > T  # candles not closed by T
    for col in ("open", "high", "low", "close"):
        c.loc[late, col] = c.loc[late, col] * 0.7
    o = frames.open_interest.copy()
    o.loc[o["ts"] > T, "oi_base"] = o.loc[o["ts"] > T, "oi_base"] * 0.2
    steps = step_times(T0, T0 + 48 * HOUR, HOUR, start_ms=T0 + 6 * HOUR)
    horizon = 4 * HOUR
    a, _ = observe(frames.candles, frames.open_interest, steps, band_pct=2.0, horizon_ms=horizon)
    b, _ = observe(c, o, steps, band_pct=2.0, horizon_ms=horizon)
    before = a.at_ms <= T
    assert before.sum() >= 20
    np.testing.assert_array_equal(a.at_ms[before], b.at_ms[before])
    for name in ("price", "shorts_at_risk_usd", "longs_at_risk_usd", "heavier"):
        np.testing.assert_array_equal(getattr(a, name)[before], getattr(b, name)[before])
    settled = a.at_ms + horizon <= T
    for name in ("forward_return_pct", "max_up_pct", "max_down_pct", "first"):
        np.testing.assert_array_equal(getattr(a, name)[settled], getattr(b, name)[settled])
    after = (a.at_ms > T) & np.isin(a.at_ms, b.at_ms)
    assert after.any()
    assert not np.allclose(a.price[after], b.price[np.isin(b.at_ms, a.at_ms[after])])  # the rewrite did bite


def test_step_times_are_aligned_and_bounded():
    day = 24 * HOUR
    s = step_times(T0 + 7 * MINUTE, T0 + 3 * day, HOUR)
    assert s[0] == T0 + day + HOUR  # a day of warm-up after the first candle, then the next full hour
    assert s[-1] == T0 + 3 * day
    assert np.all(np.diff(s) == HOUR)
    s = step_times(T0, T0 + 3 * day, 15 * MINUTE, start_ms=T0 + 10 * HOUR + 1, end_ms=T0 + 11 * HOUR)
    assert s.tolist() == [T0 + 10 * HOUR + 15 * MINUTE * k for k in (1, 2, 3, 4)]
    assert len(step_times(T0, T0 + HOUR, HOUR)) == 0  # nothing after the warm-up


def test_steps_on_both_sides_of_a_bin_size_change_and_chunked_reads(monkeypatch):
    """Around $100k the app's bin size changes (200 -> 250): each step still gets its own map's bins, and
    reading the steps one heatmap column at a time gives the same numbers as reading them together."""
    import analytics.study as study

    candles, oi = no_feedback_market(1.5, seed=4, exchanges=("binance", "okx"), vol=0.0012, price=100_000.0)
    frames = MarketFrames.build(candles=candles, open_interest=oi)
    steps = step_times(T0, T0 + 36 * HOUR, 2 * HOUR, start_ms=T0 + 6 * HOUR)
    full = LiquidationModel.from_history(frames.candles, frames.open_interest)
    widths = {j: m.bin_usd for j, m in step_maps(full, steps, band_pct=2.0)}
    assert set(widths.values()) == {200.0, 250.0}
    price, shorts, longs = at_risk(full, steps, 2.0)
    for j, t in enumerate(steps):
        m = cut_model(frames, int(t)).map_at(int(t))
        assert m.bin_usd == widths[j]
        assert shorts[j] == pytest.approx(shorts_at_risk(m, m.price * 1.02), rel=1e-6)
        assert longs[j] == pytest.approx(longs_at_risk(m, m.price * 0.98), rel=1e-6)
    monkeypatch.setattr(study, "MAX_HEAT_CELLS", 1)  # one step per heatmap call
    p1, s1, l1 = at_risk(full, steps, 2.0)
    np.testing.assert_array_equal(p1, price)
    np.testing.assert_allclose(s1, shorts, rtol=1e-6)
    np.testing.assert_allclose(l1, longs, rtol=1e-6)


def test_study_maps_equal_the_incremental_model_stepped_forward(frames):
    """The live path: a model that only ever saw known_at(t0), then updated step by step with what became
    known, shows at each step the same map the study reads."""
    steps = np.array([T0 + 20 * HOUR + k * 20 * MINUTE for k in range(1, 7)], np.int64)
    full = LiquidationModel.from_history(frames.candles, frames.open_interest)
    study_maps = dict(step_maps(full, steps, band_pct=3.0))
    live = cut_model(frames, T0 + 20 * HOUR)
    known = T0 + 20 * HOUR
    for j, t in enumerate(steps):
        new = frames.known_at(int(t)).slice(start_ms=known - MINUTE)  # rows that became known since (overlap is ignored)
        live.update(new.candles, new.open_interest)
        known = int(t)
        m = study_maps[j]
        ref = live.map_at(int(t), bin_edges=m.bin_edges)
        total = ref.long_usd.sum() + ref.short_usd.sum()
        assert ref.price == m.price
        np.testing.assert_allclose(m.long_usd, ref.long_usd, rtol=1e-6, atol=1e-9 * total)
        np.testing.assert_allclose(m.short_usd, ref.short_usd, rtol=1e-6, atol=1e-9 * total)


def test_a_cheap_coin_with_fractional_bins(frames):
    """Prices near 1.3 (bins of 0.005): the same equality with the map of the model cut at t."""
    c = frames.candles.copy()
    for col in ("open", "high", "low", "close"):
        c[col] = c[col] / 60_000.0
    small = MarketFrames.build(candles=c, open_interest=frames.open_interest)
    full = LiquidationModel.from_history(small.candles, small.open_interest)
    price, shorts, longs = at_risk(full, STEPS, 3.0)
    for j, t in enumerate(STEPS):
        m = cut_model(small, int(t)).map_at(int(t))
        assert m.bin_usd < 0.01
        assert shorts[j] == pytest.approx(shorts_at_risk(m, m.price * 1.03), rel=1e-6)
        assert longs[j] == pytest.approx(longs_at_risk(m, m.price * 0.97), rel=1e-6)
