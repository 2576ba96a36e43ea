"""LiqBook: crossing is a suffix, expired rows are never liquidated, the merge keeps the order; the
cascade fixed point; the first-crossing search."""

import numpy as np

from market.simulator.book import LiqBook
from market.simulator.crossing import FirstCross
from market.simulator.engine import cascade
from market.simulator.positions import EXP, LIQ, NCOL, QTY, RID, ladder


def _rows(liq, qty, exp, start_id=0):
    f = np.zeros((len(liq), NCOL))
    f[:, LIQ] = liq
    f[:, QTY] = qty
    f[:, EXP] = exp
    f[:, RID] = np.arange(start_id, start_id + len(liq))
    return f


def test_long_crossing_pops_exactly_the_live_crossed_rows_and_records_their_end():
    b = LiqBook(1, 0)
    b.append(_rows([100.0, 95.0, 90.0, 99.0], [1.0, 2.0, 3.0, 4.0], [50, 50, 50, 5]))
    b.realized()
    assert b.crossed_notional(96.0, g=10) == 100.0  # the 99 row expired at 5: not liquidatable
    popped = b.pop(96.0, g=10)
    assert sorted(popped[:, LIQ]) == [100.0]
    F, end = b.chunk_roster()
    assert dict(zip(F[:, LIQ], end)) == {100.0: 10, 95.0: 50, 90.0: 50, 99.0: 5}
    b.merge(12, np.empty((0, NCOL)))
    assert list(b.key[: b.n]) == [90.0, 95.0]  # sorted, expired and liquidated rows gone
    assert b.crossed_notional(95.0, g=20) == 2 * 95.0


def test_short_keys_are_negated_liq_prices_and_merge_interleaves_sorted_runs():
    b = LiqBook(-1, 0)
    b.append(_rows([101.0, 110.0, 105.0], [1, 1, 1], [99, 99, 99]))
    b.merge(1, _rows([103.0, 120.0], [1, 1], [99, 99], 10))
    assert list(-b.key[: b.n]) == [120.0, 110.0, 105.0, 103.0, 101.0]
    assert list(b.pop(-104.0, g=2)[:, LIQ]) == [103.0, 101.0]


def test_cascade_fixed_point_hand_computed():
    b = LiqBook(1, 0)
    b.append(_rows([99.0, 97.0], [10.0, 10.0], [99, 99]))
    b.realized()
    # low 99.5 crosses nothing; 98.9 crosses 99 -> impact 0.1*990/10000 ~ 0.0099 -> low ~97.93: not 97
    imp, thr, _ = cascade([b], [100.0], [1.0], 98.9, 1, 10_000.0, 0.1, 0.05, lambda bk: None, 0)
    assert abs(imp - 0.1 * 990 / 10_000) < 1e-12 and 97.0 < thr[0] < 99.0
    imp, _, _ = cascade([b], [100.0], [1.0], 99.5, 1, 10_000.0, 0.1, 0.05, lambda bk: None, 0)
    assert imp == 0.0


def test_first_cross_matches_a_plain_scan():
    rng = np.random.default_rng(0)
    for n in (1, 7, 240, 255):
        x = rng.random(n)
        s = rng.integers(0, n + 1, 300)
        y = rng.random(300)
        want = [next((t for t in range(a, n) if x[t] <= lvl), n) for a, lvl in zip(s, y)]
        assert FirstCross(x).first(s, y).tolist() == want


def test_tranche_ladder_moves_away_and_single_tranche_is_the_isolated_formula():
    f = ladder(1, np.array([0.1]), np.array([40_000.0]), np.array([1]), 3)
    assert abs(f[0, 0] - 0.9 / (1 - 0.004)) < 1e-12 and np.isnan(f[0, 1])
    f = ladder(1, np.array([0.05]), np.array([2e6]), np.array([3]), 3)[0]
    assert f[0] > f[1] > f[2] > 0
    s = ladder(-1, np.array([0.05]), np.array([2e6]), np.array([3]), 3)[0]
    assert 1 < s[0] < s[1] < s[2]
