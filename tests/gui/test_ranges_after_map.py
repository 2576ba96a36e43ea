"""After a rebuild the map and heatmap are drawn from the central model first; the ranges follow once
the other crowds' runs are built. The figures drawn in between are the same as a one-shot build's, and
no figure is shown on the card without its range."""

from __future__ import annotations

import numpy as np

from analytics.ensemble import EnsembleModel
from analytics.liquidation import LiquidationModel, ModelParams
from gui.analytics_bridge import ModelKeeper, imbalance_view
from gui.widgets.imbalance import ImbalanceCard, imbalance_text
from gui.theme import theme_named
from market.series import MarketFrames
from tests.unit.analytics.market_gen import MINUTE, random_market

SYMBOL = "BTC/USDT:USDT"
VENUES = ("binance", "okx")


def _frames(candles, oi, lo_ms: int, hi_ms: int) -> MarketFrames:
    c = candles[(candles["ts"] >= lo_ms) & (candles["ts"] < hi_ms)]
    o = oi[(oi["ts"] >= lo_ms) & (oi["ts"] < hi_ms)]
    return MarketFrames.build(SYMBOL, candles=c, open_interest=o)


def _market():
    candles, oi = random_market(1500, exchanges=VENUES, seed=11)
    return candles, oi, int(candles["ts"].iloc[0])


def test_the_central_map_comes_first_and_equals_a_one_shot_build():
    candles, oi, t0 = _market()
    frames = _frames(candles, oi, t0, t0 + 1440 * MINUTE)
    params = ModelParams()
    keeper = ModelKeeper()
    first = keeper.view(1, frames, params, VENUES, None, None, live=False, defer_ranges=True)
    assert first is not None and first.heatmap is not None
    assert first.ranges_pending and first.ensemble is None and first.ranges is None
    assert keeper.ranges_pending

    # The one-shot build: every ensemble run, then the central model on their crossings.
    ens = EnsembleModel.from_history(frames.candles, frames.open_interest, params)
    ref = LiquidationModel(params)
    ref.ingest(frames.candles, frames.open_interest, crossings_from=ens.crossing_model)
    want = ref.map_at(None, exchanges=VENUES)
    np.testing.assert_allclose(first.map.long_usd, want.long_usd, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(first.map.short_usd, want.short_usd, rtol=1e-9, atol=1e-6)

    assert keeper.finish_ranges()
    assert not keeper.finish_ranges()  # once
    full = keeper.view(1, frames, params, VENUES, None, None, live=False, defer_ranges=True)
    assert full is not None and not full.ranges_pending and full.ranges is not None
    np.testing.assert_array_equal(full.map.long_usd, first.map.long_usd)
    want_ens = ens.maps_at(None, full.map.bin_edges, full.map.price, exchanges=VENUES)
    up = full.map.price * 1.05
    np.testing.assert_allclose(full.ensemble.shorts_at_risk(up), want_ens.shorts_at_risk(up), rtol=1e-9)


def test_an_update_first_completes_the_ranges():
    candles, oi, t0 = _market()
    params = ModelParams()
    keeper = ModelKeeper()
    keeper.view(1, _frames(candles, oi, t0, t0 + 1200 * MINUTE), params, VENUES, None, None, live=True, defer_ranges=True)
    assert keeper.ranges_pending
    # The next poll's rows arrive before anyone asked for the ranges: the other runs are built first.
    later = _frames(candles, oi, t0, t0 + 1260 * MINUTE)
    shown = keeper.view(1, later, params, VENUES, None, None, live=True, defer_ranges=True)
    assert shown is not None and not shown.ranges_pending and shown.ranges is not None
    # The same sequence without deferring: built whole, then updated.
    whole = ModelKeeper()
    whole.view(1, _frames(candles, oi, t0, t0 + 1200 * MINUTE), params, VENUES, None, None, live=True)
    fresh = whole.view(1, later, params, VENUES, None, None, live=True)
    up = shown.map.price * 1.05
    np.testing.assert_allclose(shown.ensemble.shorts_at_risk(up), fresh.ensemble.shorts_at_risk(up), rtol=1e-9)
    assert keeper.rebuilds == 1


def test_without_deferring_the_view_is_complete():
    candles, oi, t0 = _market()
    view = ModelKeeper().view(1, _frames(candles, oi, t0, t0 + 1440 * MINUTE), ModelParams(), VENUES, None, None, live=False)
    assert view is not None and view.ranges is not None and not view.ranges_pending


def test_the_card_shows_no_figure_without_its_range(qtbot):
    candles, oi, t0 = _market()
    params = ModelParams()
    keeper = ModelKeeper()
    frames = _frames(candles, oi, t0, t0 + 1440 * MINUTE)
    pending = keeper.view(1, frames, params, VENUES, None, None, live=False, defer_ranges=True)
    price = pending.map.price
    card = ImbalanceCard(theme_named("dark"))
    qtbot.addWidget(card)
    iv = imbalance_view(pending, price * 1.05, price * 0.95, params)
    card.set_view(iv)
    assert iv.ranges_pending and iv.shorts_range is None
    assert "$" not in card.label.text() and "range" in card.label.text()
    assert "$" not in imbalance_text(iv)

    keeper.finish_ranges()
    full = keeper.view(1, frames, params, VENUES, None, None, live=False, defer_ranges=True)
    iv = imbalance_view(full, price * 1.05, price * 0.95, params)
    card.set_view(iv)
    assert iv.shorts_range is not None and "shorts at risk" in card.label.text()
