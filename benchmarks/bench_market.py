"""Live-market backfill against the loopback fake exchange: 30 days of 1m candles + OI history, 3 venues.

Runs the real path: ccxt (REST, with each venue's own rate limit), the fake exchange serving the demo
simulator's market in the venues' shapes, and the SQLite store. Then a restart on the same store, which
must fetch only what is missing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

GOALS = {
    "backfill_30d_s": "< 120 s with ccxt's rate limits on (OKX dominates: 481 requests, rubik endpoints weigh 2-4)",
    "resume_s": "< 5 s (restart on a full store fetches only the missing minutes)",
}

DAYS = 30


def run() -> dict:
    from market.live import LiveSource
    from market.series import EXCHANGES
    from market.store import Store
    from tests.fake_exchange import FakeExchange

    with tempfile.TemporaryDirectory() as tmp, FakeExchange(hours=(DAYS + 1) * 24) as fake:
        store = Store(Path(tmp) / "bench.sqlite")
        try:
            src = LiveSource(store=store, history_days=DAYS, urls_override=fake.url_overrides(), clock=lambda: fake.now_ms,
                             stream_liquidations=False, stream_candles=False, poll_interval_s=3600)
            before = fake.requests_served()
            t0 = time.perf_counter()
            frames = src.history(src.symbol)
            backfill_s = time.perf_counter() - t0
            served = {ex: fake.requests_served()[ex] - before[ex] for ex in EXCHANGES}
            src.close()
            fake.advance(5 * 60_000, push=False)
            again = LiveSource(store=store, history_days=DAYS, urls_override=fake.url_overrides(), clock=lambda: fake.now_ms,
                               stream_liquidations=False, stream_candles=False, poll_interval_s=3600)
            mid = fake.requests_served()
            t0 = time.perf_counter()
            again.history(again.symbol)
            resume_s = time.perf_counter() - t0
            resumed = {ex: fake.requests_served()[ex] - mid[ex] for ex in EXCHANGES}
            again.close()
        finally:
            store.close()
    counts = frames.row_counts()
    out = {
        "backfill_30d_s": round(backfill_s, 2),
        "requests_per_exchange": served,
        **{f"requests_{ex}": n for ex, n in served.items()},
        "candles_stored": counts["candles"],
        "open_interest_stored": counts["open_interest"],
        "resume_s": round(resume_s, 2),
        **{f"resume_requests_{ex}": n for ex, n in resumed.items()},
    }
    return out


if __name__ == "__main__":
    print(run())
