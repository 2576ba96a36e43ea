"""The demo's history kept between launches: a second start reads the same frames back instead of
simulating them, its live minutes are the ones a fresh start gives, and a damaged or foreign file only
costs a new simulation."""

from __future__ import annotations

import time

import pandas as pd

from market.demo_cache import KEEP, DemoHistoryCache
from market.series import MINUTE_MS, SERIES_COLUMNS, MarketFrames
from market.simulator import DemoSource

SYM = "BTC/USDT:USDT"
DAYS = 0.25


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _source(cache, seed: int = 7, speed: float = 60.0):
    clock = FakeClock()
    return DemoSource(seed=seed, speed=speed, history_days=DAYS, clock=clock, history_cache=cache), clock


def _equal(a: MarketFrames, b: MarketFrames) -> None:
    for name in SERIES_COLUMNS:
        x, y = a.series(name), b.series(name)
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_exact=True, obj=name)


def _saved(src: DemoSource) -> None:
    src.close()  # saves now: the source would wait until the window has drawn


def _files(cache: DemoHistoryCache) -> list:
    return sorted(cache.directory.glob("demo-history-*.cascade"))


def test_a_second_start_reads_the_history_back_and_goes_on_like_a_fresh_one(tmp_path):
    cache = DemoHistoryCache(tmp_path)
    cold, cold_clock = _source(cache)
    first = cold.history(SYM)
    assert _files(cache) == []  # kept later: the save must not compete with the first frame
    _saved(cold)
    assert len(_files(cache)) == 1

    warm, warm_clock = _source(cache)
    steps: list[str] = []
    again = warm.history(SYM, progress=lambda f, text: steps.append(text))
    assert warm._sim is None  # drawn from the file: nothing simulated before the first frame
    assert not any("Simulating" in s for s in steps)
    _equal(first, again)

    # Live: the same minutes, growing candle included, as the source that simulated its history.
    uncached, plain_clock = _source(None)
    uncached.history(SYM)
    for clock in (warm_clock, plain_clock):
        clock.t += 3.5  # 3.5 simulated minutes at 60x
    _equal(warm.poll(SYM), uncached.poll(SYM))
    tw, tu = warm.truth_now(), uncached.truth_now()
    assert (tw.ts, tw.price, tw.venue_price) == (tu.ts, tu.price, tu.venue_price)
    assert (tw.long_liq_price == tu.long_liq_price).all() and (tw.short_liq_price == tu.short_liq_price).all()
    for clock in (warm_clock, plain_clock):
        clock.t += 61.0
    _equal(warm.poll(SYM), uncached.poll(SYM))
    _equal(warm.history(SYM), uncached.history(SYM))


def test_a_damaged_file_is_replaced_by_a_new_simulation(tmp_path):
    cache = DemoHistoryCache(tmp_path)
    src, _ = _source(cache)
    good = src.history(SYM)
    _saved(src)
    (path,) = _files(cache)
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data[: len(data) // 3]))  # cut short, as by a full disk

    again, _ = _source(cache)
    _equal(again.history(SYM), good)  # simulated again, no error
    assert again._sim is not None
    _saved(again)
    assert len(_files(cache)) == 1 and path.stat().st_size == len(data)


def test_each_setting_has_its_own_file_and_only_the_newest_are_kept(tmp_path):
    cache = DemoHistoryCache(tmp_path)
    for seed in range(KEEP + 2):
        src, _ = _source(cache, seed=seed)
        src.history(SYM)
        _saved(src)
        time.sleep(0.01)  # distinct modification times
    assert len(_files(cache)) == KEEP
    newest, _ = _source(cache, seed=KEEP + 1)
    newest.history(SYM)
    assert newest._sim is None  # the newest seed's file is still there
    oldest, _ = _source(cache, seed=0)
    oldest.history(SYM)
    assert oldest._sim is not None  # pruned: simulated again
    newest.close()
    oldest.close()


def test_a_cache_folder_that_cannot_be_written_only_costs_the_cache(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    cache = DemoHistoryCache(blocker / "demo")
    src, _ = _source(cache)
    frames = src.history(SYM)
    _saved(src)
    assert len(frames.candles) > 0 and blocker.read_text() == "x"


def test_the_default_folder_is_never_the_users_under_tests(monkeypatch, tmp_path):
    monkeypatch.delenv("CASCADE_CACHE_DIR", raising=False)
    monkeypatch.setenv("CASCADE_TEST", "1")
    assert DemoHistoryCache.default() is None  # no folder named: no cache at all
    monkeypatch.setenv("CASCADE_CACHE_DIR", str(tmp_path / "c"))
    cache = DemoHistoryCache.default()
    assert cache is not None and cache.directory == tmp_path / "c"


def test_the_live_clock_starts_when_the_saved_history_is_drawn(tmp_path):
    cache = DemoHistoryCache(tmp_path)
    cold, _ = _source(cache, speed=1.0)
    cold.history(SYM)
    _saved(cold)
    warm, clock = _source(cache, speed=1.0)
    warm.history(SYM)
    clock.t += 130.0  # two minutes and ten seconds at 1x
    out = warm.poll(SYM)
    assert sorted(set(out.candles["ts"])) == [warm.config.end_ms + k * MINUTE_MS for k in range(3)]  # 2 closed + growing


def test_closing_during_the_catch_up_does_not_wait_for_it(tmp_path):
    import threading

    cache = DemoHistoryCache(tmp_path)
    cold = DemoSource(seed=7, history_days=3, clock=FakeClock(), history_cache=cache)
    cold.history(SYM)
    _saved(cold)
    warm = DemoSource(seed=7, history_days=3, clock=FakeClock(), history_cache=cache)
    warm.history(SYM)
    t0 = time.perf_counter()
    whole = DemoSource(seed=7, history_days=3, clock=FakeClock())
    whole.history(SYM)
    simulate_s = time.perf_counter() - t0  # what the catch-up would take

    polled: list[MarketFrames] = []
    poller = threading.Thread(target=lambda: polled.append(warm.poll(SYM)))
    poller.start()
    time.sleep(simulate_s / 4)  # the catch-up is under way, holding the source's lock
    t1 = time.perf_counter()
    warm.close()
    poller.join(30)
    assert not poller.is_alive()
    assert time.perf_counter() - t1 < simulate_s / 2  # stopped within a simulated day, not at the end
    assert polled and polled[0].is_empty()
    assert warm.poll(SYM).is_empty()  # closed
