"""DemoSource behind the MarketSource protocol, driven by a fake clock (no sleeping)."""

import numpy as np
import pandas as pd
import pytest

from market.series import MINUTE_MS, SERIES_COLUMNS, MarketFrames
from market.simulator import DemoSource, MarketSimulator, SimConfig, simulate
from market.simulator.source import DEMO_LABEL
from market.source import FEED_OK, MarketSource
from market.venues import VENUE_NAMES

SYM = "BTC/USDT:USDT"
DAYS = 0.5  # short history keeps the file fast


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _source(speed: float = 1.0, seed: int = 7):
    clock = FakeClock()
    return DemoSource(seed=seed, speed=speed, history_days=DAYS, clock=clock), clock


def test_conforms_to_the_protocol_and_says_it_is_a_demo():
    src, _ = _source()
    assert isinstance(src, MarketSource)
    info = src.info()
    assert info.kind == "demo" and info.label == DEMO_LABEL == "Demo market — simulated data"
    assert info.has_real_liquidations is True
    assert info.symbols == (SYM,) and info.exchanges == VENUE_NAMES  # every registered venue is simulated


def test_history_is_the_seeds_simulation_with_progress():
    src, _ = _source()
    calls = []
    h = src.history(SYM, progress=lambda f, text: calls.append((f, text)))
    assert calls[0][0] == 0.0 and calls[-1][0] == 1.0 and all(isinstance(t, str) and t for _, t in calls)
    expect = simulate(SimConfig(seed=7, days=DAYS, truth_every_minutes=0)).frames
    for name in SERIES_COLUMNS:
        pd.testing.assert_frame_equal(h.series(name), expect.series(name))
    assert h.time_range() == (src.config.start_ms, src.config.end_ms)
    assert src.now_ms() == src.config.end_ms


def test_history_range_and_exchange_filters_and_bad_input():
    src, _ = _source()
    start = src.config.start_ms + 60 * MINUTE_MS
    part = src.history(SYM, start, start + 30 * MINUTE_MS, exchanges=["okx"])
    assert set(part.candles["exchange"]) == {"okx"}
    assert part.candles["ts"].tolist() == list(range(start, start + 30 * MINUTE_MS, MINUTE_MS))
    with pytest.raises(ValueError, match="kraken"):
        src.history(SYM, exchanges=["kraken"])
    with pytest.raises(ValueError, match="ETH"):
        src.history("ETH/USDT:USDT")
    with pytest.raises(ValueError):
        DemoSource(speed=0)


def test_poll_ticks_with_the_clock_closed_minutes_and_a_growing_candle():
    src, clock = _source(speed=1.0)
    src.history(SYM)
    end = src.config.end_ms
    assert src.poll(SYM).is_empty()  # no wall time passed
    clock.t += 30.0  # half a simulated minute: only the growing candle
    p1 = src.poll(SYM)
    assert p1.candles["ts"].tolist() == [end] * len(VENUE_NAMES) and len(p1.open_interest) == 0
    assert src.now_ms() == end + 30_000
    clock.t += 15.0
    p2 = src.poll(SYM)
    assert p2.candles["ts"].tolist() == [end] * len(VENUE_NAMES)
    assert (p2.candles["volume"].to_numpy() > p1.candles["volume"].to_numpy()).all()
    clock.t += 75.0  # exactly 2 minutes in: both minutes closed, nothing in progress
    p3 = src.poll(SYM)
    assert src.now_ms() == end + 2 * MINUTE_MS
    assert sorted(set(p3.candles["ts"])) == [end, end + MINUTE_MS]
    assert sorted(set(p3.open_interest["ts"])) == [end + MINUTE_MS, end + 2 * MINUTE_MS]
    # The closed minutes are exactly the simulator's continuation of history.
    sim = MarketSimulator(src.config)
    sim.step_minutes(src.config.minutes)
    cont = sim.step_minutes(2)
    merged = p1.merge(p2).merge(p3)
    got = merged.candles[merged.candles["ts"] < end + 2 * MINUTE_MS].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, cont.candles)
    # The growing candle stayed inside the final candle's range and opened at its open.
    final = cont.candles[cont.candles["ts"] == end].reset_index(drop=True)
    part = p1.candles.reset_index(drop=True)
    assert np.array_equal(part["open"], final["open"])
    assert (part["high"] <= final["high"] + 1e-9).all() and (part["low"] >= final["low"] - 1e-9).all()


def test_poll_rows_have_contract_dtypes_and_increasing_ts():
    src, clock = _source(speed=600.0)  # 10 simulated minutes per second
    src.history(SYM)
    last = src.config.end_ms - 1
    for _ in range(5):
        clock.t += 1.3
        p = src.poll(SYM)
        for name, cols in SERIES_COLUMNS.items():
            df = p.series(name)
            assert {c: str(t) for c, t in df.dtypes.items()} == dict(cols)
        ts = p.candles["ts"].to_numpy()
        assert len(ts) and ts.min() > last - MINUTE_MS and (np.diff(ts) >= 0).all()
        last = ts.max()
    assert src.now_ms() == src.config.end_ms + int(6.5 * 600 * 1000)
    # history() afterwards includes the released minutes.
    h = src.history(SYM)
    assert h.time_range()[1] > src.config.end_ms


def test_live_ticks_are_deterministic_for_a_seed():
    outs = []
    for _ in range(2):
        src, clock = _source(speed=120.0)
        src.history(SYM)
        got = []
        for dt in (0.2, 0.7, 1.1, 0.05):
            clock.t += dt
            got.append(src.poll(SYM))
        outs.append(got)
    for a, b in zip(*outs):
        for name in SERIES_COLUMNS:
            pd.testing.assert_frame_equal(a.series(name), b.series(name))


def test_poll_before_history_backfills_and_close_is_idempotent():
    src, clock = _source(speed=60.0)
    assert src.now_ms() == src.config.end_ms
    assert src.poll(SYM).is_empty()
    clock.t += 2.0
    assert len(src.poll(SYM).candles) > 0
    states = src.feed_states()
    assert states and all(s.status == FEED_OK for s in states)
    assert {s.feed.split(":")[0] for s in states} == {"binance", "okx", "bybit"}
    src.close()
    src.close()
    clock.t += 100.0
    assert src.poll(SYM).is_empty()


def test_truth_now_matches_released_open_interest():
    src, clock = _source(speed=60.0)
    src.history(SYM)
    clock.t += 3.0
    p = src.poll(SYM)
    t = src.truth_now()
    oi = p.open_interest
    last = oi[oi["ts"] == oi["ts"].max()]
    assert int(oi["ts"].max()) == t.ts
    for name, base in zip(last["exchange"], last["oi_base"]):
        assert base == pytest.approx(t.open_base(name), rel=1e-9)


def test_huge_speed_is_capped_per_poll_and_catches_up_contiguously():
    from market.simulator.source import MAX_MINUTES_PER_POLL

    src, clock = _source(speed=1e6)
    src.history(SYM)
    end = src.config.end_ms
    clock.t += 0.2  # 200,000 simulated seconds = 3333 minutes due
    a = src.poll(SYM)
    ts = sorted(set(a.candles["ts"]))
    assert ts == list(range(end, end + MAX_MINUTES_PER_POLL * MINUTE_MS, MINUTE_MS))
    assert src.now_ms() < end + 3333 * MINUTE_MS  # behind the clock, catching up on later polls
    b = src.poll(SYM)
    assert min(b.candles["ts"]) == end + MAX_MINUTES_PER_POLL * MINUTE_MS
    whole = src.history(SYM)
    c = whole.candles[whole.candles["exchange"] == "binance"]["ts"].to_numpy()
    assert (np.diff(c) == MINUTE_MS).all() and c[-1] == end + (2 * MAX_MINUTES_PER_POLL - 1) * MINUTE_MS
