"""Fuzzing WebSocket liquidation messages on the real path: fake exchange socket -> ccxt.pro -> adapter -> store.

Mutated pushes (fields of the wrong type, missing keys, absurd numbers, whole messages replaced) are sent
on the live sockets of a running LiveSource. Afterwards a valid liquidation is pushed on every venue and
must be stored: the stream survived the garbage (it may have reconnected), the source's thread is alive,
no feed is "failed", and no absurd row (NaN/negative price or size, a side other than long/short) was stored.
"""

from __future__ import annotations

import random
import time

import pandas as pd
import pytest

from market.series import MINUTE_MS, per_exchange
from market.source import FEED_FAILED
from market.store_schema import absurd_rows
from tests.fake_exchange.server import VENUES as FAKE_VENUES
from tests.integration.live.conftest import fake, make_source, store, wait_until  # noqa: F401 (fixtures)
from tests.reliability.json_mutation import mutate

PER_VENUE = 150
SYMBOL = "BTC/USDT:USDT"


def _event(venue: str, ts: int, price: float, side: str = "long") -> pd.DataFrame:
    return pd.DataFrame({"ts": [ts], "exchange": [venue], "side": [side], "price": [price], "qty_base": [0.5],
                         "notional_usd": [0.5 * price]})


def _valid_message(venue: str, ts: int, price: float) -> dict:
    return FAKE_VENUES[venue].liquidation_messages(_event(venue, ts, price))[0][0]


def test_garbage_websocket_messages_never_kill_the_liquidation_stream(fake, make_source, store, fuzz_cases):
    src = make_source(store=store)
    src.history(SYMBOL)
    venues = ("binance", "okx", "bybit")
    assert wait_until(lambda: all(fake.subscriptions(v) >= 1 for v in venues), 10)
    rng = random.Random(29)
    base = fake.now_ms - 30 * MINUTE_MS
    sent = 0
    for i in range(PER_VENUE):
        for v in venues:
            template = _valid_message(v, base + i * 1000, 60_000.0 + i)
            try:
                fake.push_raw(v, mutate(template, rng))
            except Exception:  # the socket was closed by a reconnect in progress: that push is not a case
                continue
            sent += 1
        if i % 25 == 24:
            time.sleep(0.2)  # let the client drain (and reconnect if it chose to)
    fuzz_cases.add("websocket", sent)
    assert sent >= PER_VENUE * 2

    # Sentinels: one valid event per venue, pushed until it is stored (a reconnect takes a retry delay).
    sentinel_ts = fake.now_ms - 1000

    def stored(v: str) -> bool:
        liq = per_exchange(store.read(SYMBOL).liquidations, v)
        return bool(((liq["ts"] == sentinel_ts) & (liq["price"] == 12_345.5)).any())

    for v in venues:
        deadline = time.monotonic() + 15
        while not stored(v) and time.monotonic() < deadline:
            if fake.subscriptions(v):
                try:
                    fake.push_raw(v, _valid_message(v, sentinel_ts, 12_345.5))
                except Exception:
                    pass
            time.sleep(0.5)
        recent = [s.detail for s in src.feed_log() if s.feed == f"{v}:liquidations"][-4:]
        assert stored(v), f"{v}: the liquidation stream did not survive the garbage (valid event never stored; feed log {recent})"

    assert src._thread.is_alive()
    states = {s.feed: s for s in src.feed_states()}
    assert all(s.status != FEED_FAILED for s in states.values()), {k: s.detail for k, s in states.items() if s.status == FEED_FAILED}


# Well-formed messages with absurd values: each parses, so nothing upstream rejects them.
ABSURD = [dict(price=-60_000.0), dict(price=0.0), dict(qty=-0.5), dict(qty=0.0), dict(ts=5_000)]


def test_absurd_liquidation_values_are_not_stored(fake, make_source, store, fuzz_cases):
    """A stored absurd row (negative price, zero size, a 1970 timestamp) is not only wrong on the map: it
    makes every later snapshot of that range impossible (save_snapshot refuses absurd frames)."""
    src = make_source(store=store)
    src.history(SYMBOL)
    venues = ("binance", "okx", "bybit")
    assert wait_until(lambda: all(fake.subscriptions(v) >= 1 for v in venues), 10)
    now = fake.now_ms
    for v in venues:
        for k, bad in enumerate(ABSURD):
            ev = _event(v, bad.get("ts", now - 5000 - k), bad.get("price", 61_000.0 + k))
            ev["qty_base"] = bad.get("qty", 0.5)
            fake.push_raw(v, FAKE_VENUES[v].liquidation_messages(ev)[0][0])
            fuzz_cases.add("websocket")
        fake.push_raw(v, _valid_message(v, now - 1000, 12_345.5))
    assert wait_until(lambda: all(((per_exchange(store.read(SYMBOL).liquidations, v)["price"] == 12_345.5).any()) for v in venues), 10)
    liq = store.read(SYMBOL).liquidations
    assert absurd_rows("liquidations", liq) == [], absurd_rows("liquidations", liq)
