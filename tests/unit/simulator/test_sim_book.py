"""SideBook: the sorted liquidation index, by hand-computed small cases."""

import math

import numpy as np
import pytest

from market.simulator.book import SideBook
from market.simulator.engine import cascade


def _book(side: int, entries_facs: list[tuple[float, float, float]], venue: int = 0) -> SideBook:
    """A book with one cohort per minute: (entry, liq factor, qty)."""
    b = SideBook(side, venue)
    n = len(entries_facs)
    fac = np.array([[f] for _, f, _ in entries_facs])
    b.begin_chunk(fac, np.ones((n, 1)), np.full((n, 1), 10.0), np.full((n, 1), 1 / 10_000), id_base=100)
    for j, (entry, _f, qty) in enumerate(entries_facs):
        b.add_minute(entry, qty, 1_000 + j)
    return b


def test_long_crossing_is_a_suffix_and_pop_removes_exactly_the_crossed():
    b = _book(1, [(100.0, 0.9, 1.0), (100.0, 0.95, 2.0), (100.0, 0.99, 3.0)])
    assert b.max_key == pytest.approx(99.0)
    assert b.open_base() == pytest.approx(6.0)
    # low 95 crosses liq 99 and 95 (liq >= low), not 90: notional = 3*99 + 2*95
    assert b.crossed_notional(95.0) == pytest.approx(3 * 99 + 2 * 95)
    f, i, key = b.pop(95.0)
    assert sorted(key.tolist()) == pytest.approx([95.0, 99.0])
    assert sorted(f[:, 0].tolist()) == pytest.approx([2.0, 3.0])
    assert sorted(i[:, 1].tolist()) == [101, 102]
    assert b.open_base() == pytest.approx(1.0)
    assert b.max_key == pytest.approx(90.0)
    assert b.crossed_notional(95.0) == 0.0


def test_after_merge_the_sorted_main_index_answers_the_same():
    b = _book(1, [(100.0, 0.99, 3.0), (100.0, 0.9, 1.0), (100.0, 0.95, 2.0)])
    b.merge(prune_fraction=0.05)
    assert b.key.tolist() == pytest.approx([90.0, 95.0, 99.0])
    assert b.crossed_notional(94.0) == pytest.approx(3 * 99 + 2 * 95)
    f, _i, key = b.pop(94.0)
    assert sorted(key.tolist()) == pytest.approx([95.0, 99.0])
    assert b.n == 1 and b.open_base() == pytest.approx(1.0)


def test_short_keys_are_negated_liq_prices():
    b = _book(-1, [(100.0, 1.01, 1.0), (100.0, 1.05, 2.0)])
    # high 102 crosses liq 101 only: key threshold -102
    assert b.crossed_notional(-102.0) == pytest.approx(1.0 * 101)
    f, _i, key = b.pop(-102.0)
    assert (-key).tolist() == pytest.approx([101.0])
    assert b.open_base() == pytest.approx(2.0)


def test_voluntary_closes_scale_every_cohort_and_prune_small_ones():
    b = _book(1, [(100.0, 0.9, 1.0), (100.0, 0.95, 2.0)])
    closed = b.close_fraction(0.5)
    assert closed == pytest.approx(1.5)
    assert b.open_base() == pytest.approx(1.5)
    f, _i, _k = b.open_rows()
    assert sorted(f[:, 0].tolist()) == pytest.approx([0.5, 1.0])
    for _ in range(4):
        b.close_fraction(0.5)  # now each is 1/32 of its opening size
    pruned, ids = b.merge(prune_fraction=0.05)
    assert pruned == pytest.approx(3 / 32)
    assert sorted(ids.tolist()) == [100, 101]
    assert b.open_base() == 0.0 and b.n == 0


def test_cascade_fixed_point_hand_computed():
    # Mid low 99.1 without impact; long cohorts liq 99.2 (qty 1), 98.0 (qty 1), 90 (qty 1); open 100.
    # impact = 0.01 * notional / 1000: step 1 crosses 99.2 -> imp 0.000992 -> low 99.0017 (no new) -> stop.
    b = _book(1, [(100.0, 0.992, 1.0), (100.0, 0.98, 1.0), (100.0, 0.9, 1.0)])
    imp, thr, keys = cascade([b], [100.0], [1.0], 99.1, 1, 1000.0, 0.01, 0.05)
    assert imp == pytest.approx(0.01 * 99.2 / 1000)
    assert thr[0] == pytest.approx(99.1 * math.exp(-imp))
    # A stronger impact reaches 98: imp1 = 0.2*99.2/1000 = 0.01984 -> low 97.15 crosses 98 ->
    # imp2 = 0.2*(99.2+98)/1000 = 0.03944 -> low 95.27 (90 not crossed) -> fixed point.
    imp, thr, _ = cascade([b], [100.0], [1.0], 99.1, 1, 1000.0, 0.2, 0.05)
    assert imp == pytest.approx(0.2 * (99.2 + 98.0) / 1000)
    assert 90.0 < thr[0] <= 98.0
    # The cap stops the spiral.
    imp, _thr, _ = cascade([b], [100.0], [1.0], 99.1, 1, 1000.0, 5.0, 0.05)
    assert imp == 0.05
