"""At-risk sums, ratio, clusters and targets on hand-made maps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.imbalance import default_targets, imbalance, large_clusters, longs_at_risk, nearest_clusters, shorts_at_risk
from analytics.levels import LiquidationMap


def make_map(price=100.0):
    edges = np.arange(80.0, 121.0, 2.0)  # centres 81, 83, ..., 119
    lo = np.zeros(20)
    sh = np.zeros(20)
    c = 0.5 * (edges[:-1] + edges[1:])
    lo[c == 97] = 10.0
    lo[c == 91] = 100.0  # the big long cluster
    lo[c == 85] = 5.0
    sh[c == 103] = 20.0
    sh[c == 109] = 300.0  # the big short cluster
    sh[c == 119] = 1.0
    sh[c == 95] = 7.0  # a short level below price is never "at risk on a rise"
    return LiquidationMap(at_ms=0, price=price, bin_edges=edges, long_usd=lo, short_usd=sh, per_exchange={})


def test_at_risk_sums_by_target():
    m = make_map()
    assert shorts_at_risk(m, 104.0) == 20.0
    assert shorts_at_risk(m, 109.0) == 320.0
    assert shorts_at_risk(m, 200.0) == 321.0
    assert longs_at_risk(m, 97.0) == 10.0
    assert longs_at_risk(m, 90.0) == 110.0
    assert longs_at_risk(m, 50.0) == 115.0


def test_imbalance_default_targets_are_ten_percent_and_ratio():
    im = imbalance(make_map())
    assert (im.up, im.down) == pytest.approx((110.0, 90.0))
    assert im.shorts_at_risk_usd == 320.0 and im.longs_at_risk_usd == 110.0
    assert im.ratio == pytest.approx(320.0 / 110.0)
    assert im.up_pct == pytest.approx(10.0) and im.down_pct == pytest.approx(-10.0)


def test_explicit_targets_and_no_longs_gives_no_ratio():
    im = imbalance(make_map(), up=104.0, down=99.0)
    assert im.shorts_at_risk_usd == 20.0 and im.longs_at_risk_usd == 0.0 and im.ratio is None


def test_clusters_and_snapped_targets():
    m = make_map()
    lo = m.long_usd.copy()
    lo[(m.prices < 100) & (lo == 0)] = 1.0  # many small long bins: mean of 10 bins = 124/10
    m = LiquidationMap(at_ms=0, price=100.0, bin_edges=m.bin_edges, long_usd=lo, short_usd=m.short_usd)
    # mean of non-empty short bins = 328/4 = 82: only 109 reaches 3x; longs: 3 x 12.4 -> only 91
    assert [c.price for c in large_clusters(m, "short")] == [109.0]
    assert [c.price for c in large_clusters(m, "long")] == [91.0]
    above, below = nearest_clusters(m)
    assert (above.price, above.notional_usd, below.price, below.notional_usd) == (109.0, 300.0, 91.0, 100.0)
    assert default_targets(m, 0.10, snap=True) == (110.0, 90.0)
    assert default_targets(m, 0.05, snap=True) == (104.0, 96.0)
    assert nearest_clusters(m, factor=100.0) == (None, None)


def test_map_without_price_is_refused():
    m = make_map(price=math.nan)
    with pytest.raises(ValueError):
        imbalance(m)
