"""The real venues' rough edges (tests/fake_exchange/edges.py), scaled to seconds: the app survives each
with nothing lost: every event the venue sent is stored once, and the feed ends ok."""

from __future__ import annotations

import asyncio
import json
import threading

import aiohttp
import numpy as np
import pandas as pd
import pytest

from market.series import MINUTE_MS, per_exchange
from market.source import FEED_OK
from tests.integration.live.conftest import push_until, wait_until


def _stored(store, symbol, venue) -> pd.DataFrame:
    return per_exchange(store.read(symbol).liquidations, venue).sort_values(["ts", "price"]).reset_index(drop=True)


def _sent(fake, venue) -> pd.DataFrame:
    return fake.pushed(venue).drop_duplicates(["ts", "side", "price", "qty_base"]).sort_values(["ts", "price"]).reset_index(drop=True)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want), f"{len(got)} stored vs {len(want)} sent"
    assert got["ts"].tolist() == want["ts"].tolist() and got["side"].tolist() == want["side"].tolist()
    np.testing.assert_allclose(got["qty_base"], want["qty_base"], rtol=1e-12)
    np.testing.assert_allclose(got["price"], want["price"], rtol=1e-12)


def _subscribed(fake, venue, n=1):
    assert wait_until(lambda: fake.subscriptions(venue) >= n, 10), f"{venue}: no (re)subscription"


def _events(venue: str, t0: int, offsets_ms, price=60_000.0) -> pd.DataFrame:
    n = len(offsets_ms)
    return pd.DataFrame({"ts": [t0 + o for o in offsets_ms], "exchange": [venue] * n, "side": ["long", "short"] * (n // 2) + ["long"] * (n % 2),
                         "price": [price + 10 * i for i in range(n)], "qty_base": [0.01 * (i + 1) for i in range(n)],
                         "notional_usd": [(price + 10 * i) * 0.01 * (i + 1) for i in range(n)]})


def test_server_pings_are_answered_and_the_connection_stays(fake, make_source, store):
    # Binance: a ping every 3 min, the pong due within 10 min; here every 1.5 s, the pong due within 0.75 s
    # (wide margins: the machine running the tests may be busy)
    fake.state.edges.ping_every_s["binance"] = 1.5
    src = make_source(store=store, exchanges=("binance",))
    src.history(src.symbol)
    _subscribed(fake, "binance")
    for _ in range(10):  # five seconds of server pings while events flow
        fake.advance(5 * MINUTE_MS)
        wait_until(lambda: False, 0.5)
    assert wait_until(lambda: len(_stored(store, src.symbol, "binance")) >= len(_sent(fake, "binance")) > 0)
    _same(_stored(store, src.symbol, "binance"), _sent(fake, "binance"))
    assert fake.state.ws_cuts == {} and fake.subscriptions("binance") == 1  # never dropped for a missing pong


def test_the_fake_drops_a_client_that_does_not_pong(fake):
    fake.state.edges.ping_every_s["binance"] = 0.1
    url = f"ws://127.0.0.1:{fake.port}/binance/market/ws/0"

    async def deaf() -> str:
        async with aiohttp.ClientSession() as s, s.ws_connect(url, autoping=False) as ws:
            while True:
                msg = await asyncio.wait_for(ws.receive(), 3)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return "closed"

    assert asyncio.run(deaf()) == "closed"


def test_binance_24h_disconnect_reconnects_with_nothing_lost(fake, make_source, store):
    fake.state.edges.max_age_s["binance"] = 0.6  # 24 h, scaled
    src = make_source(store=store, exchanges=("binance",))
    src.history(src.symbol)
    for round_ in range(1, 4):
        _subscribed(fake, "binance", round_)
        push_until(fake, ["binance"], min_events=2 * round_)
        wait_until(lambda: fake.state.ws_cuts["binance age"] >= round_, 5)
    assert fake.state.ws_cuts["binance age"] >= 2 and fake.subscriptions("binance") >= 3
    assert wait_until(lambda: len(_stored(store, src.symbol, "binance")) >= len(_sent(fake, "binance")))
    _same(_stored(store, src.symbol, "binance"), _sent(fake, "binance"))
    assert wait_until(lambda: {s.feed: s for s in src.feed_states()}["binance:liquidations"].status == FEED_OK)


def test_okx_idle_cut_is_kept_away_by_pings(fake, make_source, store):
    # OKX: cut after 30 s, ccxt pings every 18 s; here 8 s and 0.4 s (wide margins: on a loaded machine a
    # ping can come seconds late, and a cut would lose the pushes that land while it reconnects)
    fake.state.edges.idle_cut_s["okx"] = 8.0
    src = make_source(store=store, exchanges=("okx",), ws_keepalive_ms=400)
    src.history(src.symbol)
    _subscribed(fake, "okx")
    wait_until(lambda: False, 9.0)  # more than an idle limit with nothing pushed
    push_until(fake, ["okx"], min_events=3)
    assert wait_until(lambda: len(_stored(store, src.symbol, "okx")) >= len(_sent(fake, "okx")))
    _same(_stored(store, src.symbol, "okx"), _sent(fake, "okx"))
    assert fake.state.ws_cuts["okx idle"] == 0  # the pings counted as traffic: the fake never cut


def test_okx_idle_cut_without_pings_reconnects_with_nothing_lost(fake, make_source, store):
    fake.state.edges.idle_cut_s["okx"] = 0.4  # shorter than ccxt's 18 s keepalive: the fake cuts
    src = make_source(store=store, exchanges=("okx",))
    src.history(src.symbol)
    _subscribed(fake, "okx")
    assert wait_until(lambda: fake.state.ws_cuts["okx idle"] >= 1 and fake.subscriptions("okx") >= 2, 15)
    t = fake.now_ms + 1000
    for i in range(40):  # one event at a time, whenever a (re)subscribed socket is there to take it
        if len(fake.pushed("okx")) >= 3:
            break
        wait_until(lambda: any(getattr(ws, "cascade_subscribed", False) and not ws.closed for ws in fake.state.sockets["okx"]), 5)
        fake.push_events("okx", _events("okx", t + 10 * i, [0]))
    assert len(fake.pushed("okx")) >= 3
    assert wait_until(lambda: len(_stored(store, src.symbol, "okx")) >= len(_sent(fake, "okx")))
    _same(_stored(store, src.symbol, "okx"), _sent(fake, "okx"))


def test_bybit_messages_batching_several_events(fake, make_source, store):
    fake.state.edges.bybit_batch = 4
    src = make_source(store=store, exchanges=("bybit",))
    src.history(src.symbol)
    _subscribed(fake, "bybit")
    t0 = fake.now_ms + 1000
    fake.push_events("bybit", _events("bybit", t0, [0, 100, 200, 300, 400, 500, 600]))  # two messages: 4 + 3
    assert wait_until(lambda: len(_stored(store, src.symbol, "bybit")) >= 7)
    _same(_stored(store, src.symbol, "bybit"), _sent(fake, "bybit"))
    assert len(_stored(store, src.symbol, "bybit")) == 7


def test_okx_every_instrument_out_of_time_order(fake, make_source, store):
    fake.state.edges.okx_every_instrument = True
    fake.state.edges.okx_out_of_order = True
    src = make_source(store=store, exchanges=("okx",))
    src.history(src.symbol)
    _subscribed(fake, "okx")
    t0 = fake.now_ms + 1000
    fake.push_events("okx", _events("okx", t0, [0, 50, 100, 150, 200, 250, 300, 350]))
    push_until(fake, ["okx"], min_events=12)
    assert wait_until(lambda: len(_stored(store, src.symbol, "okx")) >= len(_sent(fake, "okx")))
    got = _stored(store, src.symbol, "okx")
    _same(got, _sent(fake, "okx"))  # BTC only (no ETH-USDT-SWAP row), each once, sorted back into time order
    assert (got["price"] > 10_000).all()


def test_binance_one_force_order_per_second(fake, make_source, store):
    fake.state.edges.binance_one_per_second = True
    src = make_source(store=store, exchanges=("binance",))
    src.history(src.symbol)
    _subscribed(fake, "binance")
    t0 = (fake.now_ms // 1000 + 1) * 1000
    burst = _events("binance", t0, [0, 120, 480, 990, 1500, 2010, 2020])  # seconds t0: 4, t0+1: 1, t0+2: 2
    fake.push_events("binance", burst)
    assert wait_until(lambda: len(_stored(store, src.symbol, "binance")) >= 3)
    got = _stored(store, src.symbol, "binance")
    assert got["ts"].tolist() == [t0 + 990, t0 + 1500, t0 + 2020]  # the latest of each second: all the venue sent
    _same(got, _sent(fake, "binance"))


def test_rest_429_with_retry_after_on_a_capped_history_route(fake, make_source, store):
    fault = fake.fail("okx", "open-interest-history", 429, retry_after_s=1, times=2)
    src = make_source(store=store, exchanges=("okx",))
    src.history(src.symbol)
    assert fault.hits == 2
    log = [s for s in src.feed_log() if s.feed == "okx:open_interest" and "rate limited (HTTP 429)" in s.detail]
    assert log and all(s.retry_in_s >= 1 for s in log)  # never before the venue's Retry-After
    oi = per_exchange(store.read(src.symbol).open_interest, "okx")
    served = per_exchange(fake.state.data.open_interest, "okx")
    served = served[(served["ts"] % (5 * MINUTE_MS) == 0) & (served["ts"] >= oi["ts"].min()) & (served["ts"] < fake.now_ms)]
    assert oi[oi["ts"] < fake.now_ms]["ts"].tolist() == served["ts"].tolist()
