"""After an open-interest history outage, the store must hold every 5-minute OI point the venue serves.

Found by the soak: each poll also stores a "current OI" row timestamped at the venue's now, and the next
poll resumes the OI history from the newest stored row, so history points between the last successful
history fetch and that "current" row are never fetched.
"""

from __future__ import annotations

from market.series import MINUTE_MS, per_exchange
from tests.integration.live.conftest import HOURS, fake, make_source, served, store, wait_until  # noqa: F401 (fixtures)

OI_STEP = 5 * MINUTE_MS


def test_oi_history_outage_is_refilled_after_recovery(fake, make_source, store):
    src = make_source(store=store, exchanges=("binance",), stream_liquidations=False)
    src.history(src.symbol)
    start = fake.now_ms - HOURS * 60 * MINUTE_MS
    # The history route fails while the "current OI" route still answers: an outage of one endpoint.
    fault = fake.fail("binance", "openInterestHist", 503, times=None)
    for _ in range(6):  # 30 minutes of venue time, a few poll cycles each step
        fake.advance(5 * MINUTE_MS)
        hits = fault.hits
        assert wait_until(lambda: fault.hits > hits, 10)
    fake.clear_faults()
    now = fake.now_ms
    want = served(fake, "open_interest", "binance", start + OI_STEP, now)

    def grid_rows():
        got = per_exchange(store.read(src.symbol).open_interest, "binance")
        return set(got.loc[(got["ts"] % OI_STEP == 0) & (got["ts"] > start), "ts"].tolist())

    wait_until(lambda: set(want["ts"].tolist()) <= grid_rows(), 10)
    missing = sorted(set(want["ts"].tolist()) - grid_rows())
    assert not missing, f"{len(missing)} OI history points never refilled, first at {missing[0]}"


def test_oi_history_outage_is_refilled_after_a_restart(fake, make_source, store):
    """The same outage, but the app is closed before the history route recovers: the next start must
    still refill every point, so where the real history ends has to survive in the store."""
    src = make_source(store=store, exchanges=("binance",), stream_liquidations=False)
    src.history(src.symbol)
    start = fake.now_ms - HOURS * 60 * MINUTE_MS
    fault = fake.fail("binance", "openInterestHist", 503, times=None)
    for _ in range(6):
        fake.advance(5 * MINUTE_MS)
        hits = fault.hits
        assert wait_until(lambda: fault.hits > hits, 10)
    src.close()  # quit (or killed) during the outage
    fake.clear_faults()
    again = make_source(store=store, exchanges=("binance",), stream_liquidations=False)
    again.history(again.symbol)
    now = fake.now_ms
    want = set(served(fake, "open_interest", "binance", start + OI_STEP, now)["ts"].tolist())
    got = per_exchange(store.read(again.symbol).open_interest, "binance")
    have = set(got.loc[(got["ts"] % OI_STEP == 0) & (got["ts"] > start), "ts"].tolist())
    missing = sorted(want - have)
    assert not missing, f"{len(missing)} OI history points lost across the restart, first at {missing[0]}"
    again.close()
