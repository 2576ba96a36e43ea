"""What-if positions, distance to liquidation, and the cluster sentence."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from analytics.liqprice import binance_liq_price
from analytics.positions import WhatIfPosition, cluster_context, distance_to_liquidation, format_usd


def test_whatif_isolated_long_uses_notional_over_leverage_as_margin():
    p = WhatIfPosition(entry=80_000, qty=0.5, leverage=10, side="long")
    assert p.initial_margin == 4_000
    assert p.liquidation_price() == pytest.approx(80_000 * 0.9 / 0.996)
    # the wallet is irrelevant in isolated mode
    assert WhatIfPosition(80_000, 0.5, 10, "long", wallet=1e6).liquidation_price() == pytest.approx(p.liquidation_price())


def test_whatif_cross_short_uses_wallet_and_other_positions():
    p = WhatIfPosition(entry=60_000, qty=5, leverage=20, side="short", margin_mode="cross", wallet=50_000)
    expected = binance_liq_price(-1, 5, 60_000, 50_000, 0.01, 1_300, 400, -150)
    assert p.liquidation_price(other_mm=400, other_upnl=-150) == pytest.approx(expected)
    assert p.liquidation_price() > 60_000


def test_whatif_bybit_rule_differs_from_binance():
    base = dict(entry=50_000, qty=0.5, leverage=10, side="long")
    bybit = WhatIfPosition(**base, exchange="bybit").liquidation_price()
    assert bybit == pytest.approx(45_250)
    assert bybit != pytest.approx(WhatIfPosition(**base).liquidation_price())


def test_whatif_validation_and_leverage_problem():
    with pytest.raises(ValueError, match="side"):
        WhatIfPosition(80_000, 1, 10, "up")
    with pytest.raises(ValueError, match="wallet"):
        WhatIfPosition(80_000, 1, 10, "long", margin_mode="cross")
    with pytest.raises(ValueError, match="qty"):
        WhatIfPosition(80_000, 0, 10, "long")
    assert WhatIfPosition(80_000, 0.5, 125, "long").leverage_problem() is None
    assert "above the 100x" in WhatIfPosition(80_000, 1, 125, "long").leverage_problem()  # 80k notional: bracket 2
    assert "below the initial margin" in WhatIfPosition(80_000, 1, 10, "long", "cross", wallet=5_000).leverage_problem()


def test_distance_to_liquidation_long_and_short():
    long = SimpleNamespace(side="long", liquidation_price=72_000.0)
    pct, usd = distance_to_liquidation(long, 80_000)
    assert usd == pytest.approx(8_000) and pct == pytest.approx(10.0)
    short = SimpleNamespace(side="short", liquidation_price=88_000.0)
    pct, usd = distance_to_liquidation(short, 80_000)
    assert usd == pytest.approx(8_000) and pct == pytest.approx(10.0)
    pct, usd = distance_to_liquidation(short, 90_000)  # already past it
    assert usd == pytest.approx(-2_000) and pct < 0
    assert distance_to_liquidation(SimpleNamespace(side="long", liquidation_price=None), 80_000) is None
    assert distance_to_liquidation(SimpleNamespace(side="long", liquidation_price=0.0), 80_000) is None


def test_distance_accepts_a_whatif_position():
    p = WhatIfPosition(80_000, 0.5, 10, "long")
    pct, usd = distance_to_liquidation(p, 80_000)
    assert usd == pytest.approx(80_000 - p.liquidation_price())


EDGES = np.arange(77_000, 81_001, 100.0)  # 40 bins of $100


def _map(cluster_bins: dict[int, float], side_scale: float = 1.0) -> np.ndarray:
    a = np.full(len(EDGES) - 1, 5e6)
    for i, v in cluster_bins.items():
        a[i] = v * side_scale
    return a


def test_cluster_context_inside_a_long_cluster():
    # bins 15..21 (78,500–79,200) hold 1.1B of long liquidations in total
    longs = _map({i: 1.1e9 / 7 for i in range(15, 22)})
    shorts = _map({})
    text = cluster_context(78_900, "long", EDGES, longs, shorts)
    assert text == "your long liquidates at 78,900, inside a $1.1B long-liquidation cluster 78,500–79,200"


def test_cluster_context_uses_own_side_and_reports_nearest():
    longs = _map({i: 3e8 for i in range(15, 22)})
    shorts = _map({i: 5e8 for i in range(30, 33)})  # 80,000–80,300
    text = cluster_context(79_500, "short", EDGES, longs, shorts)
    assert text == "your short liquidates at 79,500, 500 below a $1.5B short-liquidation cluster 80,000–80,300"
    text = cluster_context(79_500, "long", EDGES, longs, shorts)
    assert text == "your long liquidates at 79,500, 300 above a $2.1B long-liquidation cluster 78,500–79,200"


def test_cluster_context_none_cases_and_shape_check():
    flat = np.zeros(len(EDGES) - 1)
    assert cluster_context(78_900, "long", EDGES, flat, flat) is None
    longs = _map({20: 1e9})
    assert cluster_context(90_000, "long", EDGES, longs, flat) is None  # off the map
    with pytest.raises(ValueError):
        cluster_context(78_900, "long", EDGES[:-1], longs, flat)


def test_format_usd():
    assert [format_usd(v) for v in (1.1e9, 2e9, 3.5e8, 12_300, 950)] == ["$1.1B", "$2.0B", "$350M", "$12.3K", "$950"]
