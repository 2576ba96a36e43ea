"""Price binning and map helpers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.levels import LiquidationMap, auto_bin_edges, bin_index, grid_index, grid_origin, nice_step


@settings(max_examples=200, deadline=None)
@given(st.floats(-1000, 1000), st.sampled_from([0.1, 0.3, 1.0, 7.0, 250.0]), st.integers(1, 50),
       st.lists(st.floats(-2000, 2000), min_size=1, max_size=30), st.booleans())
def test_bin_index_equals_searchsorted(lo, step, nb, prices, on_edges):
    edges = lo + step * np.arange(nb + 1)
    p = np.array(prices)
    if on_edges:
        p = np.concatenate([p, edges, np.nextafter(edges, -np.inf)])
    want = np.searchsorted(edges, p, side="right") - 1
    want[(want < 0) | (want >= nb)] = -1
    assert bin_index(p, edges).tolist() == want.tolist()
    assert bin_index(np.array([np.nan]), edges).tolist() == [-1]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1000), st.sampled_from([0.1, 0.25, 1.0, 7.0, 200.0]), st.integers(1, 40),
       st.lists(st.floats(-100, 300_000), min_size=1, max_size=30))
def test_grid_index_agrees_with_searchsorted_on_grid_edges(i0, step, nb, prices):
    edges = np.arange(i0, i0 + nb + 1, dtype=float) * step
    assert grid_origin(edges) == (step, i0)
    p = np.concatenate([np.array(prices), edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    want = np.searchsorted(edges, p, side="right") - 1
    got = grid_index(p, step) - i0
    inside = (want >= 0) & (want < nb)
    assert (got[inside] == want[inside]).all()
    assert ((got[~inside] < 0) | (got[~inside] >= nb)).all()


def test_grid_origin_rejects_other_edges():
    assert grid_origin(np.linspace(0.0, 1.0, 11)) in (None, (0.1, 0))
    assert grid_origin(np.array([0.0, 1.0, 3.0])) is None
    assert grid_origin(np.array([5.0])) is None


def test_auto_edges_and_nice_steps():
    assert [nice_step(x) for x in (0.3, 1.0, 1.7, 2.2, 3.0, 7.0, 180.0)] == [0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 200.0]
    e = auto_bin_edges(80_000.0)
    assert np.allclose(np.diff(e), 200.0) and e[0] <= 48_000 and e[-1] >= 112_000
    assert np.allclose(np.diff(auto_bin_edges(80_000.0, bin_usd=50.0)), 50.0)


def test_cumulative_curves_of_a_map():
    m = LiquidationMap(0, 100.0, np.array([90.0, 95.0, 100.0, 105.0, 110.0]), np.array([1.0, 2.0, 4.0, 8.0]),
                       np.array([16.0, 32.0, 64.0, 128.0]))
    assert m.cumulative_long().tolist() == [3.0, 2.0, 0.0, 0.0]  # longs below price, summed up to it
    assert m.cumulative_short().tolist() == [0.0, 0.0, 64.0, 192.0]
