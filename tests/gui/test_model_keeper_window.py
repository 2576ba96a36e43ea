"""A session that drops history older than its window drops it from the liquidation model too: what the
model holds (every position opened since the terminal started, until its price is hit) must not grow with
the hours the terminal has been open, and the map it shows is what a restart on the kept window shows."""

from __future__ import annotations

import numpy as np

from analytics.liquidation import ModelParams
from gui.analytics_bridge import ModelKeeper
from market.series import MarketFrames
from tests.unit.analytics.market_gen import MINUTE, random_market

SYMBOL = "BTC/USDT:USDT"


def _frames(candles, oi, lo_ms: int, hi_ms: int) -> MarketFrames:
    c = candles[(candles["ts"] >= lo_ms) & (candles["ts"] < hi_ms)]
    o = oi[(oi["ts"] >= lo_ms) & (oi["ts"] < hi_ms)]
    return MarketFrames.build(SYMBOL, candles=c, open_interest=o)


def test_a_cut_history_is_cut_from_the_model_too():
    candles, oi = random_market(3 * 720, exchanges=("binance", "okx"), seed=3)
    t0 = int(candles["ts"].iloc[0])
    params = ModelParams()
    keeper = ModelKeeper()
    keeper.view(1, _frames(candles, oi, t0, t0 + 720 * MINUTE), params, ("binance", "okx"), None, None, live=True)
    # The session polls on; then its window moves: the oldest rows are dropped.
    keeper.view(1, _frames(candles, oi, t0, t0 + 1440 * MINUTE), params, ("binance", "okx"), None, None, live=True)
    kept = _frames(candles, oi, t0 + 900 * MINUTE, t0 + 2160 * MINUTE)
    shown = keeper.view(1, kept, params, ("binance", "okx"), None, None, live=True)

    fresh = ModelKeeper().view(1, kept, params, ("binance", "okx"), None, None, live=True)
    assert shown is not None and fresh is not None
    np.testing.assert_allclose(shown.map.long_usd, fresh.map.long_usd, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(shown.map.short_usd, fresh.map.short_usd, rtol=1e-9, atol=1e-6)
    lo, hi = shown.ensemble.shorts_at_risk(shown.map.price * 1.05), fresh.ensemble.shorts_at_risk(fresh.map.price * 1.05)
    np.testing.assert_allclose(lo, hi, rtol=1e-9)


def test_history_growing_at_the_front_is_not_a_cut():
    candles, oi = random_market(1440, exchanges=("binance",), seed=4)
    t0 = int(candles["ts"].iloc[0])
    params = ModelParams()
    keeper = ModelKeeper()
    keeper.view(1, _frames(candles, oi, t0, t0 + 720 * MINUTE), params, ("binance",), None, None, live=True)
    keeper.view(1, _frames(candles, oi, t0, t0 + 1440 * MINUTE), params, ("binance",), None, None, live=True)
    assert keeper.rebuilds == 1  # new rows at the end are an update, not a rebuild
