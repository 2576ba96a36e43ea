"""Leverage layers: the map and the heatmap of chosen tiers are the per-tier maps' sums."""

from __future__ import annotations

import numpy as np

from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import MINUTE, random_market


def test_tier_subsets_partition_the_map_and_the_heatmap():
    candles, oi = random_market(600, seed=3)[:2]
    model = LiquidationModel.from_history(candles, oi, ModelParams())
    full = model.map_at()
    tl, ts, _ = model.tier_maps_at(None, full.bin_edges)
    high = model.map_at(None, full.bin_edges, tiers=(3, 4))
    low = model.map_at(None, full.bin_edges, tiers=(0, 1, 2))
    np.testing.assert_allclose(high.long_usd, tl[3] + tl[4], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(high.short_usd, ts[3] + ts[4], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(high.long_usd + low.long_usd, full.long_usd, rtol=1e-9, atol=1e-6)
    assert 0 < high.total_long_usd() < full.total_long_usd()
    for name, (lo, sh) in high.per_exchange.items():
        assert (lo <= full.per_exchange[name][0] + 1e-6).all()
    # All tiers named is the plain map.
    np.testing.assert_allclose(model.map_at(None, full.bin_edges, tiers=range(5)).long_usd, full.long_usd)
    t_end = int(candles["ts"].max()) + MINUTE
    edges = np.arange(t_end - 200 * MINUTE, t_end + 1, 20 * MINUTE)
    h_all = model.heatmap(edges, full.bin_edges)
    h_hi = model.heatmap(edges, full.bin_edges, tiers=(3, 4))
    h_lo = model.heatmap(edges, full.bin_edges, tiers=(0, 1, 2))
    np.testing.assert_allclose(h_hi.values + h_lo.values, h_all.values, rtol=1e-4, atol=1e-2)
    # The last column is the map as of its end.
    np.testing.assert_allclose(h_hi.long_values[-1], high.long_usd, rtol=1e-4, atol=1e-2)
