"""Child process of the crash-safety test: records batches into a Store until it is killed.

``python -m tests.reliability.crash_writer DB FIRST_BATCH`` opens the store, prints "ready", then writes
batch FIRST_BATCH, FIRST_BATCH + 1, ... forever, each one ``Store.write`` (one transaction), and prints
"committed N" (flushed) right after batch N's commit returned. The parent kills it with SIGKILL.

What a batch holds is a pure function of its number (``batch_frames``), so the parent can check every
row of every batch it finds, and tell a whole batch from a partial one.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from market.series import MINUTE_MS, MarketFrames

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
CANDLES_PER_BATCH = 240  # one transaction of a few hundred rows: big enough to be cut mid-write
LIQUIDATIONS_PER_BATCH = 30
EXCHANGES = ("binance", "okx", "bybit")


def batch_frames(n: int) -> MarketFrames:
    """Batch ``n``: candles of minutes [n*80, n*80+80) on 3 venues, 30 liquidations, one OI row per venue."""
    per_venue = CANDLES_PER_BATCH // len(EXCHANGES)
    minutes = np.arange(n * per_venue, (n + 1) * per_venue, dtype=np.int64)
    rows = []
    for k, ex in enumerate(EXCHANGES):
        o = 50_000.0 + minutes + k * 0.5
        rows.append(pd.DataFrame({"ts": T0 + minutes * MINUTE_MS, "exchange": ex, "open": o, "high": o + 10.0,
                                  "low": o - 10.0, "close": o + 1.0, "volume": 1.0 + n, "taker_buy_volume": 0.5,
                                  "quote_volume": (1.0 + n) * o}))
    j = np.arange(LIQUIDATIONS_PER_BATCH)
    liq = pd.DataFrame({"ts": T0 + (n * per_venue + j % per_venue) * MINUTE_MS + j, "exchange": "binance",
                        "side": np.where(j % 2 == 0, "long", "short"), "price": 40_000.0 + n + j,
                        "qty_base": 0.001 * (j + 1), "notional_usd": (40_000.0 + n + j) * 0.001 * (j + 1)})
    oi = pd.DataFrame({"ts": T0 + n * per_venue * MINUTE_MS, "exchange": list(EXCHANGES),
                       "oi_base": [float(n + 1)] * 3, "oi_usd": [float(n + 1) * 50_000.0] * 3})
    return MarketFrames.build("BTC/USDT:USDT", MINUTE_MS, candles=pd.concat(rows), liquidations=liq, open_interest=oi)


def main(argv: list[str]) -> int:
    from market.store import Store

    path, first = argv[0], int(argv[1])
    store = Store(path)
    print("ready", flush=True)
    n = first
    while True:
        store.write(batch_frames(n))
        print(f"committed {n}", flush=True)
        n += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
