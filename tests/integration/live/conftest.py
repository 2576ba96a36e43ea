"""Fixtures for the live-market tests: a fake exchange on 127.0.0.1 and LiveSources pointed at it."""

from __future__ import annotations

import random
import time

import numpy as np
import pandas as pd
import pytest

from market.live import LiveSource, RetryPolicy
from market.series import MINUTE_MS, per_exchange
from tests.fake_exchange import FakeExchange

FAST_RETRY = RetryPolicy(base_s=0.02, factor=2.0, max_s=0.2, attempts=6)
HOURS = 3  # history the tests backfill
OI_STEP = 5 * MINUTE_MS


@pytest.fixture
def fake():
    fx = FakeExchange(hours=HOURS + 1).start()
    try:
        yield fx
    finally:
        fx.stop()


@pytest.fixture
def make_source(fake, store):
    # depends on ``store`` so that sources close (and stop writing) before the store closes
    made = []

    def make(store=None, exchanges=("binance", "okx", "bybit"), **kw) -> LiveSource:
        args = dict(urls_override=fake.url_overrides(), clock=lambda: fake.now_ms, history_days=HOURS / 24,
                    retry=FAST_RETRY, rng=random.Random(1), poll_interval_s=0.2, timeout_s=2.0,
                    rate_limit_ms=5)
        args.update(kw)
        src = LiveSource(store=store, exchanges=exchanges, **args)
        made.append(src)
        return src

    yield make
    for s in made:
        s.close()


@pytest.fixture
def store(tmp_path):
    from market.store import Store

    st = Store(tmp_path / "cascade.sqlite")
    yield st
    st.close()


def wait_until(cond, timeout: float = 10.0, every: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(every)
    return bool(cond())


def served(fake: FakeExchange, series: str, exchange: str, start: int, end: int) -> pd.DataFrame:
    """What the fake serves for [start, end]: its market rows, on the venue's history grid."""
    df = per_exchange(fake.state.data.series(series), exchange)
    df = df[(df["ts"] >= start) & (df["ts"] <= end)]
    if series in ("open_interest", "long_short"):
        df = df[df["ts"] % OI_STEP == 0]
    if series == "candles":
        df = df[df["ts"] + MINUTE_MS <= fake.now_ms]
    return df.reset_index(drop=True)


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame, columns, rtol: float = 1e-9) -> None:
    got = got.sort_values("ts").reset_index(drop=True)
    want = want.sort_values("ts").reset_index(drop=True)
    assert got["ts"].tolist() == want["ts"].tolist(), f"ts differ: {len(got)} stored vs {len(want)} served"
    assert not got.duplicated(["ts", "exchange"]).any()
    for c in columns:
        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=rtol, err_msg=c)


def push_until(fake: FakeExchange, venues, min_events: int = 3, step_ms: int = 5 * MINUTE_MS, max_steps: int = 60) -> None:
    """Advance the venue clock step by step until every venue has pushed at least ``min_events``."""
    for _ in range(max_steps):
        if all(len(fake.pushed(v)) >= min_events for v in venues):
            return
        fake.advance(step_ms)
    raise AssertionError("the fake market had too few liquidations")
