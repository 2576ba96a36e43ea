"""What followed each step: hand-computed forward returns, excursions and which band was reached first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.study import DOWN, NEITHER, UP, forward_outcomes
from tests.unit.study.markets import MINUTE, T0


def bars(rows, exchange="binance", t0=T0):
    """rows: (high, low, close) per minute from t0."""
    h, l, c = (np.array(x, float) for x in zip(*rows))
    return pd.DataFrame({"ts": t0 + np.arange(len(rows), dtype=np.int64) * MINUTE, "exchange": exchange,
                         "open": c, "high": h, "low": l, "close": c, "volume": 1.0, "taker_buy_volume": 0.5,
                         "quote_volume": c})


ROWS = [
    (101, 99, 100),  # 0
    (103, 98, 102),  # 1
    (106, 101, 104),  # 2: up band of 100 (+5% = 105) reached
    (104, 94, 95),  # 3: down band of 100 (95) reached
    (96, 90, 91),  # 4
    (106, 94, 100),  # 5: both bands of 100 in one candle
    (101, 99, 100),  # 6
    (101, 99, 100.5),  # 7
]


def outcomes(candles, at, price, horizon_min, band=5.0):
    return forward_outcomes(candles, MINUTE, np.array(at, np.int64), np.array(price, float), horizon_min * MINUTE, band)


def test_return_excursions_and_first_band_by_hand():
    c = bars(ROWS)
    out = outcomes(c, [T0, T0 + MINUTE, T0 + 5 * MINUTE, T0 + 6 * MINUTE], [100, 100, 100, 100], 2)
    assert out["complete"].tolist() == [True, True, True, True]
    # t = T0: bars 0-1 -> close 102, high 103, low 98, no band reached.
    # t = T0+1m: bars 1-2 -> close 104, high 106 (up band first), low 98.
    # t = T0+5m: bars 5-6 -> both bands in bar 5: neither counts as first.
    # t = T0+6m: bars 6-7 -> close 100.5.
    np.testing.assert_allclose(out["forward_return_pct"], [2.0, 4.0, 0.0, 0.5])
    np.testing.assert_allclose(out["max_up_pct"], [3.0, 6.0, 6.0, 1.0])
    np.testing.assert_allclose(out["max_down_pct"], [-2.0, -2.0, -6.0, -1.0])
    assert out["first"].tolist() == [NEITHER, UP, NEITHER, NEITHER]


def test_first_band_is_the_earlier_one_and_uses_the_step_price():
    c = bars(ROWS)
    out = outcomes(c, [T0, T0 + 2 * MINUTE, T0], [100, 104, 103], 4)
    # t = T0, p 100: up at bar 2, down at bar 3 -> up first; close of bar 3 = 95.
    # t = T0+2m, p 104: bars 2-5; up 109.2 never; down 98.8 at bar 3 -> down first; close 100.
    # t = T0, p 103: up 108.15 never; down 97.85 at bar 3 -> down first.
    assert out["first"].tolist() == [UP, DOWN, DOWN]
    np.testing.assert_allclose(out["forward_return_pct"], [-5.0, (100 / 104 - 1) * 100, (95 / 103 - 1) * 100])
    np.testing.assert_allclose(out["max_down_pct"], [-6.0, (90 / 104 - 1) * 100, (94 / 103 - 1) * 100])


def test_horizon_past_the_data_is_incomplete_and_steps_off_the_minute_start_at_the_next_candle():
    c = bars(ROWS)
    out = outcomes(c, [T0 + 6 * MINUTE + 1, T0 + 7 * MINUTE, T0 + 30_000], [100, 100, 100], 2)
    # T0+6m+1ms: the next candle opening at or after t is bar 7, so bars 7-8: bar 8 does not exist.
    # T0+30s: bars 1-2 (bar 0 was already open at t, its range is partly the past).
    assert out["complete"].tolist() == [False, False, True]
    assert out["first"][2] == UP
    assert out["max_down_pct"][2] == pytest.approx(-2.0)


def test_median_over_venues_ignores_one_venue_wick_and_gaps_carry_the_last_close():
    a = bars(ROWS, "binance")
    b = bars(ROWS, "okx")
    spiky = [list(r) for r in ROWS]
    spiky[1] = [150, 50, 102]  # one venue's wick through both bands
    c = bars([tuple(r) for r in spiky], "bybit")
    out = outcomes(pd.concat([a, b, c]), [T0], [100], 2)
    assert out["first"].tolist() == [NEITHER]
    np.testing.assert_allclose(out["max_up_pct"], [3.0])
    # A minute no venue has: the window still spans two minutes of time, the close is the last one known.
    gap = a[a["ts"] != T0 + 2 * MINUTE]
    out = outcomes(gap, [T0 + MINUTE], [100], 2)
    assert out["complete"].tolist() == [True]
    assert out["first"].tolist() == [NEITHER]  # bar 2 (the up band) is missing
    np.testing.assert_allclose(out["forward_return_pct"], [2.0])  # bar 1's close carried forward


def test_a_horizon_that_is_not_a_multiple_of_the_timeframe_is_refused():
    with pytest.raises(ValueError, match="multiple"):
        forward_outcomes(bars(ROWS), MINUTE, np.array([T0]), np.array([100.0]), 90_000, 5.0)


def test_one_step_per_pass_gives_the_same_outcomes(monkeypatch):
    import analytics.study as study

    c = bars(ROWS)
    at = [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 5 * MINUTE]
    together = outcomes(c, at, [100, 100, 104, 100], 3)
    monkeypatch.setattr(study, "FORWARD_CELLS", 1)
    alone = outcomes(c, at, [100, 100, 104, 100], 3)
    for key in together:
        np.testing.assert_array_equal(together[key], alone[key])
    assert together["first"].tolist() == [UP, UP, DOWN, NEITHER]
