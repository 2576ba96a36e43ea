"""Fuzzing exchange REST responses through the venue adapters (market/live/venues).

Valid bodies are recorded once from the fake exchange through real ccxt exchanges (every endpoint each
adapter method calls). Each case then replays a mutated body to the adapter method, exactly as ccxt
would hand it over after parsing the JSON. The adapter must either return rows that the engine can
store (``MarketFrames.build`` accepts them), or fail with an exception the retry logic classifies as
"malformed response" (so the feed says so and retries). Anything else is a bug: an unclassified
exception shows the trader "unexpected KeyError" at best.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.live.retry import classify
from market.live.venues import VENUES
from market.series import MINUTE_MS, MarketFrames
from tests.fake_exchange import FakeExchange
from tests.reliability.json_mutation import mutate

SYMBOL = "BTC/USDT:USDT"
# adapter method -> the series its rows are (None: not rows, e.g. tiers or a volume figure)
METHODS = {"candles": "candles", "oi_history": "open_interest", "oi_now": "open_interest", "funding_history": "funding",
           "funding_now": "funding", "long_short": "long_short", "leverage_tiers": None, "volume_30d": None}


class _Recorder:
    """Passes implicit-API calls to a real ccxt exchange and keeps each parsed answer."""

    def __init__(self, ex, log: dict) -> None:
        self._ex, self._log = ex, log

    def __getattr__(self, name: str):
        target = getattr(self._ex, name)

        async def call(*args, **kwargs):
            body = await target(*args, **kwargs)
            self._log[name] = body
            return body

        return call


class _Replay:
    """Answers each implicit-API call with a given body, as ccxt would after parsing the JSON."""

    def __init__(self, bodies: dict[str, Any]) -> None:
        self._bodies = bodies

    def __getattr__(self, name: str):
        body = self._bodies[name]

        async def call(*args, **kwargs):
            return body

        return call


def _call(venue: str, method: str, ex, market: dict, now: int):
    adapter = VENUES[venue]
    if method in ("oi_now", "funding_now", "leverage_tiers"):
        return getattr(adapter, method)(ex, market)
    if method == "volume_30d":
        return adapter.volume_30d(ex, market, now)
    return getattr(adapter, method)(ex, market, now - 3 * 3_600_000, now)


def _run_now(coro):
    """Run a coroutine that never really waits (the replay answers at once) without an event loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError("the adapter waited on something other than the exchange")


@pytest.fixture(scope="module")
def recorded():
    return record_bodies()


def record_bodies() -> dict:
    """{(venue, method): (market, now, {endpoint: body})} recorded from the fake exchange."""
    fake = FakeExchange(hours=4).start()
    out: dict = {}

    async def go():
        import ccxt.pro

        for venue, adapter in VENUES.items():
            ex = getattr(ccxt.pro, adapter.ccxt_id)({"options": dict(adapter.ccxt_options)})
            adapter.point_at(ex, fake.base_url, None)
            try:
                await ex.load_markets()
                market = ex.market(adapter.listing(SYMBOL))  # a USDC-settled venue lists it as BTC/USDC:USDC
                for method in METHODS:
                    log: dict = {}
                    await _call(venue, method, _Recorder(ex, log), market, fake.now_ms)
                    if log:
                        out[(venue, method)] = (market, fake.now_ms, log)
            finally:
                await ex.close()

    try:
        asyncio.run(go())
    finally:
        fake.stop()
    return out


CASES = sorted((v, m) for v in VENUES for m in METHODS)


def _check(venue: str, method: str, market: dict, now: int, bodies: dict) -> str:
    try:
        result = _run_now(_call(venue, method, _Replay(bodies), market, now))
    except Exception as exc:  # what call_with_retries would classify
        reason = classify(exc).reason
        assert reason == "malformed response", f"{venue}.{method}: {type(exc).__name__}: {exc} -> feed says {reason!r}"
        return "refused"
    series = METHODS[method]
    if series is not None:
        assert isinstance(result, pd.DataFrame)
        MarketFrames.build(SYMBOL, MINUTE_MS, **{series: result})  # the engine's next step must accept it
    return "accepted"


def test_recorded_bodies_are_accepted(recorded):
    # Unmutated bodies must pass, or a "refused" outcome would prove nothing.
    assert len(recorded) >= 18, sorted(recorded)
    for (venue, method), (market, now, bodies) in recorded.items():
        assert _check(venue, method, market, now, bodies) == "accepted", (venue, method)


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), seed=st.integers(0, 2**32 - 1))
def test_mutated_exchange_responses_are_rows_or_a_clean_malformed_error(recorded, fuzz_cases, case, seed):
    if case not in recorded:
        return  # e.g. Binance leverage tiers: no public endpoint, nothing to mutate
    market, now, bodies = recorded[case]
    rng = random.Random(seed)
    endpoint = rng.choice(sorted(bodies))
    mutated = dict(bodies)
    mutated[endpoint] = mutate(bodies[endpoint], rng)
    _check(case[0], case[1], market, now, mutated)
    fuzz_cases.add("exchange_json")
