"""Snapshot files and the local store at the size a trader uses: 30 days of 1m data on 3 exchanges.

The GUI adds ``open_30d_ms`` (open until the first frame is drawn) on top of ``open_and_read`` below.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from market.archive import import_files
from market.series import MINUTE_MS, MarketFrames
from market.snapshot_source import open_and_read
from market.store import Store, save_snapshot

DAYS = 30
GOALS = {
    "file_mb": "< 40 MB for 30 days x 3 exchanges of 1m data",
    "save_30d_ms": "< 3000 ms",
    "open_30d_read_ms": "<= 100 ms (open, check, read all frames)",
    "import_rows_per_s": "> 100,000 rows/s",
    "store_write_30d_ms": "< 3000 ms (live cache, one transaction)",
    "store_read_30d_ms": "< 1000 ms",
}


def _synthetic_frames(days: int) -> MarketFrames:
    rng = np.random.default_rng(7)
    n = days * 1440
    ts = 1_767_225_600_000 + np.arange(n, dtype=np.int64) * MINUTE_MS
    parts, oi = [], []
    for ex in ("binance", "okx", "bybit"):
        close = 90_000 * np.exp(np.cumsum(rng.normal(0, 5e-4, n)))
        open_ = np.r_[close[0], close[:-1]]
        spread = np.abs(rng.normal(0, 20, n))
        vol = np.abs(rng.normal(50, 20, n))
        parts.append(pd.DataFrame(dict(ts=ts, exchange=ex, open=open_, high=np.maximum(open_, close) + spread,
                                       low=np.minimum(open_, close) - spread, close=close, volume=vol,
                                       taker_buy_volume=vol / 2, quote_volume=vol * close)))
        oi_base = 80_000 + np.cumsum(rng.normal(0, 20, len(ts[::5])))
        oi.append(pd.DataFrame(dict(ts=ts[::5], exchange=ex, oi_base=oi_base, oi_usd=oi_base * close[::5])))
    return MarketFrames.build(candles=pd.concat(parts), open_interest=pd.concat(oi))


def _frames_30d() -> tuple[MarketFrames, str]:
    try:
        from market.simulator import DemoSource
    except ImportError:
        return _synthetic_frames(DAYS), "synthetic"
    src = DemoSource(seed=7, history_days=DAYS)
    try:
        return src.history(src.symbol), "demo simulator"
    finally:
        src.close()


def _write_kline_archive(directory: Path, days: int) -> int:
    """Daily 1m klines files in Binance's exact format; half zipped, half not. Returns rows written."""
    t0 = 1_704_067_200_000
    rows = 0
    for d in range(days):
        t = t0 + d * 86_400_000 + np.arange(1440, dtype=np.int64) * MINUTE_MS
        o = 42_000 + np.arange(1440) * 0.1
        df = pd.DataFrame({"open_time": t, "open": o, "high": o + 5, "low": o - 5, "close": o + 1, "volume": 12.5,
                           "close_time": t + MINUTE_MS - 1, "quote_volume": 525_000.0, "count": 300,
                           "taker_buy_volume": 6.0, "taker_buy_quote_volume": 252_000.0, "ignore": 0})
        day = time.strftime("%Y-%m-%d", time.gmtime(int(t[0]) // 1000))
        name = f"BTCUSDT-1m-{day}.csv"
        text = df.to_csv(index=False)
        if d % 2:
            with zipfile.ZipFile(directory / name.replace(".csv", ".zip"), "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(name, text)
        else:
            (directory / name).write_text(text)
        rows += len(df)
    return rows


def _best_ms(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def run() -> dict:
    frames, origin = _frames_30d()
    with tempfile.TemporaryDirectory(prefix="cascade-bench-") as tmp:
        d = Path(tmp)
        path = d / "30d.cascade"
        save_ms = _best_ms(lambda: save_snapshot(frames, path, source_kind="demo"), repeat=2)
        open_times = []
        for _ in range(3):
            t = time.perf_counter()
            open_and_read(path)
            open_times.append((time.perf_counter() - t) * 1000)
        open_ms = statistics.median(open_times)
        store = Store(d / "cache.sqlite")
        t = time.perf_counter()
        store.write(frames)
        store_write_ms = (time.perf_counter() - t) * 1000
        store_read_ms = _best_ms(lambda: store.read(frames.symbol))
        store.close()
        archive = d / "archive"
        archive.mkdir()
        rows = _write_kline_archive(archive, 20)
        t = time.perf_counter()
        result = import_files([archive])
        import_s = time.perf_counter() - t
        assert len(result.frames.candles) == rows, "import lost rows"
        return {
            "frames_from": origin,
            "rows_30d": int(sum(frames.row_counts().values())),
            "candles_30d": int(len(frames.candles)),
            "file_mb": round(path.stat().st_size / 1e6, 2),
            "save_30d_ms": round(save_ms, 1),
            "open_30d_read_ms": round(open_ms, 1),
            "store_write_30d_ms": round(store_write_ms, 1),
            "store_read_30d_ms": round(store_read_ms, 1),
            "import_rows": rows,
            "import_rows_per_s": round(rows / import_s),
        }


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:>22}: {v}  {GOALS.get(k, '')}")
