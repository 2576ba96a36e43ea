"""GUI smoothness and start-up against finplot: first frames, peak memory, event-loop stalls.

first_paint_ms / open_30d_ms: wall time from launching a fresh process (``benchmarks/first_frame.py``,
started like ``main.py --demo`` / ``main.py --open`` a 30-day 1-minute snapshot of every registered venue)
to the first frame drawn with candles, heatmap, liquidation map and every panel. ``first_paint`` is a
first launch (an empty cache folder each run: the demo simulates its month); ``first_paint_warm`` a later
one (the month the first launch kept is read back). ``*_candles_ms``: to the
first frame with candles (equal when everything arrives at once). ``*_ranges_ms``: to the first frame whose
map and imbalance card carry their 80 % ranges too (after a rebuild they follow the central map; finplot
draws no model, so the ratio is taken at the full frame). *_vs_finplot: the median, over
alternating pairs run back to back, of that time (or the peak RSS at that frame) divided by finplot's
(``benchmarks/finplot_probe.py``: the same Binance candles with volume, 1440x900, on the same Qt and
pyqtgraph), whole process in both cases. finplot comes from the ``bench`` extra; without it the ratios
are None and ``finplot_note`` says why.

max/p99_stall_ms: a 2 ms QTimer probe's lateness while the demo runs at 60x speed (a minute of market
per second, every poll revising the live candle) polled 50 times per second for STALL_SECONDS.
redraws_per_s: how often the panels were redrawn meanwhile (coalesced). The *_app_rate figures repeat
the stall probe at the window's own poll rate (200 ms). Stalls come mostly from worker threads holding
the interpreter lock, so they grow with the poll rate and the machine's load (``load_average_1m``).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from benchmarks import child

ROOT = Path(__file__).resolve().parents[1]
STALL_SECONDS = float(os.environ.get("CASCADE_BENCH_STALL_S", "30"))
PAIRS = int(os.environ.get("CASCADE_BENCH_PAIRS", "5"))

GOALS = {
    "first_paint_ms": "<= 1500",
    "first_paint_vs_finplot": "<= 1.0",
    "first_paint_warm_vs_finplot": "<= 1.0 (a later launch: the demo's month read back, not simulated)",
    "open_30d_vs_finplot": "<= 1.0",
    "peak_rss_vs_finplot": "<= 1.2",
    "p99_stall_ms": "<= 16 (50 updates/s)",
    "max_stall_ms": "<= 50 (50 updates/s)",
    "max_stall_ms_app_rate": "<= 33",
    "p99_stall_ms_app_rate": "<= 16",
    "redraws_per_s": "<= 10-20 (coalesced)",
}


def _stalls(speed: float = 60.0, poll_ms: int = 20, seconds: float = STALL_SECONDS) -> dict:
    os.environ.setdefault("CASCADE_TEST", "1")
    os.environ.setdefault("CASCADE_SETTINGS_DIR", tempfile.mkdtemp())
    import numpy as np
    from PySide6 import QtCore

    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import SourceSpec

    # A first start each time (an empty cache folder), as these figures were always measured: after a
    # start from the kept history the simulator's catch-up would fall inside the probe.
    cache = tempfile.mkdtemp(prefix="cascade-bench-cache-")
    os.environ["CASCADE_CACHE_DIR"] = cache
    app = make_app()
    win = MainWindow(SourceSpec("demo", seed=7, speed=speed, history_days=7, poll_ms=poll_ms))
    win.resize(1440, 900)
    win.show()
    deadline = time.monotonic() + 60
    while not win.terminal.has_drawn_data() and time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    lateness: list[float] = []
    probe = QtCore.QTimer()
    probe.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    probe.setInterval(2)
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000.0 - 2.0))
        last[0] = now

    probe.timeout.connect(tick)
    redraws0, polls0 = win.terminal.redraws, win.session.worker.polls
    probe.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
    probe.stop()
    redraws = win.terminal.redraws - redraws0
    polls = win.session.worker.polls - polls0
    win.close()  # the demo source keeps its history in the cache folder as it closes
    shutil.rmtree(cache, ignore_errors=True)
    arr = np.array(lateness[5:] or [0.0])
    return {
        "max_stall_ms": round(float(arr.max()), 1),
        "p99_stall_ms": round(float(np.percentile(arr, 99)), 1),
        "redraws_per_s": round(redraws / seconds, 1),
        "source_updates_per_s": round(polls / seconds, 1),
    }


def snapshot_30d() -> Path:
    """A 30-day demo snapshot of every registered venue, cached in the temp dir per schema version."""
    from market.store_schema import SCHEMA_VERSION
    from market.venues import VENUE_NAMES

    path = Path(tempfile.gettempdir()) / f"cascade-bench-30d-v{SCHEMA_VERSION}-{'-'.join(VENUE_NAMES)}.cascade"
    if not path.exists():
        from market.simulator import DemoSource
        from market.store import save_snapshot

        src = DemoSource(seed=7, history_days=30)
        frames = src.history(src.info().symbols[0])
        src.close()
        save_snapshot(frames, path, source_kind="demo")
    return path


def binance_csv(frames, path: Path) -> Path:
    """The price venue's candles as finplot reads them (ts in ms, OHLCV)."""
    c = frames.candles
    c[c["exchange"] == "binance"][["ts", "open", "high", "low", "close", "volume"]].to_csv(path, index=False)
    return path


def demo_frames():
    from gui.sources import DEMO_HISTORY_DAYS
    from market.simulator import DemoSource

    src = DemoSource(seed=7, history_days=DEMO_HISTORY_DAYS)
    try:
        return src.history(src.info().symbols[0])
    finally:
        src.close()


def _versus(out: dict, name: str, main_args: list[str], csv: Path | None, rss: bool = False,
            cache_dir: Optional[Callable[[], str]] = None) -> None:
    """``name``_ms from alternating Cascade / finplot runs, and the ratios when finplot is there.
    ``cache_dir``: the demo's history cache folder for each Cascade run (CASCADE_CACHE_DIR)."""

    def run_cascade() -> child.ProbeRun:
        if cache_dir is not None:
            os.environ["CASCADE_CACHE_DIR"] = cache_dir()
        return child.cascade(main_args)

    if csv is None:
        runs = [run_cascade() for _ in range(PAIRS)]
        fin: list[child.ProbeRun] = []
    else:
        runs, fin = child.alternate(run_cascade, lambda: child.finplot(csv), PAIRS)
    out[f"{name}_ms"] = round(child.median(runs, "first_frame_ms"))
    out[f"{name}_candles_ms"] = round(child.median(runs, "candles_ms"))
    out[f"{name}_ranges_ms"] = round(child.median(runs, "ranges_ms"))  # the map's and the card's ranges drawn too
    out[f"{name}_startup_imports_ms"] = round(child.median(runs, "startup_ms") + child.median(runs, "imports_ms"))
    out[f"{name}_peak_rss_mb"] = round(child.median(runs, "peak_rss_mb"), 1)
    out[f"{name}_runs_ms"] = [round(r.first_frame_ms) for r in runs]
    ratio = f"{name}_vs_finplot"
    if fin:
        out[f"finplot_{name}_ms"] = round(child.median(fin, "first_frame_ms"))
        out[f"finplot_{name}_peak_rss_mb"] = round(child.median(fin, "peak_rss_mb"), 1)
        out[f"finplot_{name}_runs_ms"] = [round(r.first_frame_ms) for r in fin]
        out[ratio] = round(child.median_ratio(runs, fin, "first_frame_ms"), 2)
        if rss:
            out["peak_rss_vs_finplot"] = round(child.median_ratio(runs, fin, "peak_rss_mb"), 2)
    else:
        out[ratio] = None
        if rss:
            out["peak_rss_vs_finplot"] = None


def run() -> dict:
    sys.path.insert(0, str(ROOT))
    from market.snapshot_source import open_and_read

    out: dict = {"load_average_1m_start": round(os.getloadavg()[0], 2), "pairs": PAIRS}
    note = child.finplot_available()
    child.warm_bytecode()
    if note:
        out["finplot_note"] = note
    with tempfile.TemporaryDirectory(prefix="cascade-bench-gui-") as tmp:
        demo_csv = None if note else binance_csv(demo_frames(), Path(tmp) / "demo.csv")
        demo = ["--demo", "--seed", "7"]
        # A first launch simulates the month (each run its own empty cache folder); later ones read the
        # history kept by the first (one untimed launch fills the folder).
        saved = os.environ.get("CASCADE_CACHE_DIR")
        cold = itertools.count()
        _versus(out, "first_paint", demo, demo_csv, cache_dir=lambda: str(Path(tmp) / "cold" / str(next(cold))))
        warm = lambda: str(Path(tmp) / "warm")  # noqa: E731
        os.environ["CASCADE_CACHE_DIR"] = warm()
        child.cascade(demo)  # untimed: the first launch fills the folder
        _versus(out, "first_paint_warm", demo, demo_csv, cache_dir=warm)
        if saved is None:
            os.environ.pop("CASCADE_CACHE_DIR", None)
        else:
            os.environ["CASCADE_CACHE_DIR"] = saved
        path = snapshot_30d()
        csv = None if note else binance_csv(open_and_read(path), Path(tmp) / "30d.csv")
        _versus(out, "open_30d", ["--open", str(path)], csv, rss=True)
    out["load_average_1m_after_open"] = round(os.getloadavg()[0], 2)
    out.update(_stalls())
    # The same at the window's own poll rate (5 updates/s): what a trader's session sees.
    app_rate = _stalls(poll_ms=200, seconds=max(10.0, STALL_SECONDS / 2))
    out.update({f"{k}_app_rate": v for k, v in app_rate.items()})
    out["load_average_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared: read figures with it
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
