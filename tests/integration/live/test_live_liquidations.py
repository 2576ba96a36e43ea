"""Liquidation events streamed over real WebSockets (ccxt.pro) from the fake exchange, per venue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from market.series import per_exchange
from market.source import FEED_OK, FEED_RETRYING
from tests.integration.live.conftest import push_until, wait_until

EXCHANGES = ("binance", "okx", "bybit")


def _subscribed(fake, venues, n: int = 1):
    assert wait_until(lambda: all(fake.subscriptions(v) >= n for v in venues), 10), "no liquidation subscription"


def _expected(fake, venue: str) -> pd.DataFrame:
    """Distinct events the venue pushed, in Cascade's units (what the store must hold, once each)."""
    p = fake.pushed(venue).drop_duplicates(["ts", "side", "price", "qty_base"])
    return p.sort_values(["ts", "side", "price", "qty_base"]).reset_index(drop=True)


def _stored(store, symbol, venue) -> pd.DataFrame:
    liq = per_exchange(store.read(symbol).liquidations, venue)
    return liq.sort_values(["ts", "side", "price", "qty_base"]).reset_index(drop=True)


def _assert_same_events(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want), f"{len(got)} stored vs {len(want)} pushed"
    assert got["ts"].tolist() == want["ts"].tolist()
    assert got["side"].tolist() == want["side"].tolist()
    np.testing.assert_allclose(got["price"], want["price"], rtol=1e-12)
    np.testing.assert_allclose(got["qty_base"], want["qty_base"], rtol=1e-12)
    # ccxt.pro leaves the notional empty: Cascade computes contracts * contractSize * price.
    np.testing.assert_allclose(got["notional_usd"], got["qty_base"] * got["price"], rtol=1e-12)
    assert not got.duplicated(["ts", "side", "price", "qty_base"]).any()


def test_each_venue_streams_liquidations_with_its_side_convention(fake, make_source, store):
    src = make_source(store=store)
    src.history(src.symbol)
    _subscribed(fake, EXCHANGES)
    push_until(fake, EXCHANGES, min_events=4)
    for ex in EXCHANGES:
        assert wait_until(lambda: len(_stored(store, src.symbol, ex)) >= len(_expected(fake, ex)), 10), ex
        got, want = _stored(store, src.symbol, ex), _expected(fake, ex)
        _assert_same_events(got, want)
        assert {"long", "short"} >= set(got["side"])
    # poll hands the same events to the GUI
    polled = src.poll(src.symbol).liquidations
    for ex in EXCHANGES:
        assert len(per_exchange(polled, ex)) == len(_expected(fake, ex))
    states = {s.feed: s for s in src.feed_states()}
    for ex in EXCHANGES:
        st = states[f"{ex}:liquidations"]
        assert st.status == FEED_OK and st.last_update_ms == int(_expected(fake, ex)["ts"].max())


def test_raw_side_fields_map_to_the_liquidated_position(fake, make_source, store):
    """One hand-made event per venue: a LONG was liquidated, each venue says it its own way."""
    src = make_source(store=store)
    src.history(src.symbol)
    _subscribed(fake, EXCHANGES)
    t = fake.now_ms + 1234
    fake.push_raw("binance", {"e": "forceOrder", "E": t, "o": {"s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC",
                  "q": "0.5", "p": "59000", "ap": "59010.5", "X": "FILLED", "l": "0.5", "z": "0.5", "T": t}})
    fake.push_raw("okx", {"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [
        {"details": [{"bkLoss": "0", "bkPx": "59000.1", "ccy": "", "posSide": "net", "side": "sell", "sz": "37", "ts": str(t)},
                     {"bkLoss": "0", "bkPx": "61000", "ccy": "", "posSide": "short", "side": "buy", "sz": "5", "ts": str(t + 1)}],
         "instFamily": "BTC-USDT", "instId": "BTC-USDT-SWAP", "instType": "SWAP", "uly": "BTC-USDT"},
        {"details": [{"bkLoss": "0", "bkPx": "3000", "ccy": "", "posSide": "long", "side": "sell", "sz": "1", "ts": str(t)}],
         "instFamily": "ETH-USDT", "instId": "ETH-USDT-SWAP", "instType": "SWAP", "uly": "ETH-USDT"}]})
    fake.push_raw("bybit", {"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": t + 5,
                            "data": [{"T": t, "s": "BTCUSDT", "S": "Buy", "v": "0.25", "p": "58990.5"}]})
    assert wait_until(lambda: all(len(_stored(store, src.symbol, ex)) >= n for ex, n in
                                  (("binance", 1), ("okx", 2), ("bybit", 1))), 10)
    b = _stored(store, src.symbol, "binance").iloc[0]
    assert (b.side, b.price, b.qty_base, b.notional_usd) == ("long", 59010.5, 0.5, 0.5 * 59010.5)  # price = ap
    o = _stored(store, src.symbol, "okx")
    assert len(o) == 2  # both details of the BTC message; the ETH one is another instrument
    assert o.iloc[0].side == "long" and o.iloc[0].qty_base == pytest.approx(0.37) and o.iloc[0].price == 59000.1
    assert o.iloc[1].side == "short" and o.iloc[1].qty_base == pytest.approx(0.05)
    assert o.iloc[0].notional_usd == pytest.approx(37 * 0.01 * 59000.1, rel=1e-12)
    y = _stored(store, src.symbol, "bybit").iloc[0]
    assert (y.side, y.qty_base, y.notional_usd) == ("long", 0.25, 0.25 * 58990.5)


@pytest.mark.parametrize("fault", ["duplicate", "reorder"])
def test_duplicate_and_out_of_order_messages_are_stored_once_in_order(fake, make_source, store, fault):
    src = make_source(store=store, exchanges=("binance", "bybit"))
    src.history(src.symbol)
    _subscribed(fake, ("binance", "bybit"))
    for ex in ("binance", "bybit"):
        (fake.duplicate_ws if fault == "duplicate" else fake.reorder_ws)(ex, times=None)
    push_until(fake, ("binance", "bybit"), min_events=6)
    for ex in ("binance", "bybit"):
        want = _expected(fake, ex)
        if fault == "duplicate":
            assert len(fake.pushed(ex)) >= 2 * len(want) - 1  # really sent twice
        assert wait_until(lambda: len(_stored(store, src.symbol, ex)) >= len(want), 10)
        _assert_same_events(_stored(store, src.symbol, ex), want)
    polled = src.poll(src.symbol).liquidations
    assert not polled.duplicated(["ts", "exchange", "side", "price", "qty_base"]).any()
    assert polled["ts"].is_monotonic_increasing


def test_websocket_dropping_mid_stream_reconnects_and_keeps_every_event(fake, make_source, store):
    src = make_source(store=store, exchanges=("binance", "okx", "bybit"))
    src.history(src.symbol)
    _subscribed(fake, EXCHANGES)
    for ex in EXCHANGES:
        fake.drop_ws(ex, after_messages=1)
    push_until(fake, EXCHANGES, min_events=1)
    # each venue's socket closes after one message; the feed backs off, then resubscribes
    assert wait_until(lambda: all(fake.subscriptions(ex) >= 2 for ex in EXCHANGES), 15)
    for ex in EXCHANGES:
        assert any(s.feed == f"{ex}:liquidations" and s.status == FEED_RETRYING for s in src.feed_log()), ex
    before = {ex: len(_expected(fake, ex)) for ex in EXCHANGES}
    push_until(fake, EXCHANGES, min_events=max(before.values()) + 3)
    for ex in EXCHANGES:
        want = _expected(fake, ex)
        assert wait_until(lambda: len(_stored(store, src.symbol, ex)) >= len(want), 10), ex
        _assert_same_events(_stored(store, src.symbol, ex), want)
    states = {s.feed: s.status for s in src.feed_states()}
    assert all(states[f"{ex}:liquidations"] == FEED_OK for ex in EXCHANGES)
