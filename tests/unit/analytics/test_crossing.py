"""First-crossing search (sparse table + binary lifting) against a plain scan."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.crossing import first_at_or_below, first_crossings, min_sparse_table, segment_suffix_min


def scan(x, start, stop, thr):
    for m in range(start, stop):
        if x[m] <= thr:
            return m
    return stop


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 20), min_size=0, max_size=40), min_size=1, max_size=4), st.data())
def test_matches_a_plain_scan(segments, data):
    x = np.array([v for s in segments for v in s], dtype=float)
    bounds = np.cumsum([0] + [len(s) for s in segments])
    qs = []
    for k, s in enumerate(segments):
        for _ in range(data.draw(st.integers(0, 6))):
            a = int(bounds[k]) + data.draw(st.integers(0, len(s)))
            qs.append((a, int(bounds[k + 1]), float(data.draw(st.integers(-1, 21)))))
    if not qs or len(x) == 0:
        return
    start, stop, thr = (np.array(c) for c in zip(*qs))
    want = [scan(x, a, b, t) for a, b, t in qs]
    assert first_at_or_below(x, start, stop, thr).tolist() == want
    longest = max(len(s) for s in segments)
    table = min_sparse_table(x, int(longest).bit_length() + 1)
    reach = segment_suffix_min(x, bounds[:-1])
    assert first_at_or_below(x, start, stop, thr, table, reach).tolist() == want
    assert first_crossings(x, bounds[:-1], start, stop, thr).tolist() == want


def test_float32_walk_is_exact_at_near_ties():
    # values one float64 ulp apart collapse in float32: the walk must still find the exact first crossing
    base = 80_000.123456789
    thr = base
    x = np.array([base + 1e-9, base + 2e-9, base + 1e-11, base, base - 1.0, base + 3e-9] * 50)
    start = np.arange(0, 290, 7)
    stop = np.full(len(start), len(x))
    want = [scan(x, a, len(x), thr) for a in start]
    got = first_crossings(x, np.array([0]), start, stop, np.full(len(start), thr))
    assert got.tolist() == want
    assert first_crossings(x, np.array([0]), start, stop, np.full(len(start), base - 2.0)).tolist() == stop.tolist()


def test_sparse_table_levels_are_window_minima():
    x = np.array([5.0, 3.0, 4.0, 1.0, 2.0])
    t = min_sparse_table(x)
    assert t[1].tolist() == [3, 3, 1, 1, 2]
    assert t[2].tolist() == [1, 1, 1, 1, 2]
    assert segment_suffix_min(x, np.array([0, 3])).tolist() == [3, 3, 4, 1, 2]
