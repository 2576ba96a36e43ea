"""The imbalance card's figures follow the same central rule as the report (analytics.central)."""

from __future__ import annotations

import pytest

from analytics.central import Central
from analytics.ensemble import EnsembleModel, weighted_quantiles
from analytics.imbalance import longs_at_risk, shorts_at_risk
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from gui.analytics_bridge import LiquidityView, imbalance_view
from tests.unit.analytics.market_gen import random_market

HOUR = 3_600_000


def _view(params: ModelParams) -> LiquidityView:
    c, o = random_market(30 * 24, seed=5, tf=HOUR, vol=0.01)
    m = LiquidationModel.from_history(c, o, params, timeframe_ms=HOUR).map_at()
    em = EnsembleModel.from_history(c, o, params, timeframe_ms=HOUR).maps_at(None, m.bin_edges, m.price)
    return LiquidityView(m, None, ensemble=em)


def test_default_settings_show_the_median_crowd():
    view = _view(ModelParams())
    up, down = view.map.price * 1.05, view.map.price * 0.95
    v = imbalance_view(view, up, down, ModelParams())
    em = view.ensemble
    assert v.central is Central.MEDIAN_CROWD
    assert v.shorts_at_risk_usd == pytest.approx(weighted_quantiles(em.shorts_at_risk(up)[:, None], em.weights, (0.5,))[0, 0])
    assert v.longs_at_risk_usd == pytest.approx(weighted_quantiles(em.longs_at_risk(down)[:, None], em.weights, (0.5,))[0, 0])
    assert v.shorts_range[0] <= v.shorts_at_risk_usd <= v.shorts_range[1]


def test_stated_settings_show_their_own_figures():
    params = ModelParams(scale=0.5)  # what a calibration sets
    view = _view(params)
    up, down = view.map.price * 1.05, view.map.price * 0.95
    v = imbalance_view(view, up, down, params)
    assert v.central is Central.SETTINGS
    assert v.shorts_at_risk_usd == pytest.approx(shorts_at_risk(view.map, up))
    assert v.longs_at_risk_usd == pytest.approx(longs_at_risk(view.map, down))
    assert v.longs_range[0] <= v.longs_at_risk_usd <= v.longs_range[1]
