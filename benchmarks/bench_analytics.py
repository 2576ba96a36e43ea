"""Speed and memory of the liquidation-level model.

Figures: full recompute over 30 days of 1-minute data on 3 exchanges (model + map + a display heatmap),
one incremental update (a new candle on all 3 exchanges), the speedup over the per-bar reference
implementation of the tests on the same input, and the peak RSS of a process doing the full recompute.
Data: the demo simulator's frames (a synthetic random walk only if the simulator cannot be imported).

Times are process CPU time (``time.process_time``): the 2 cores are shared with other jobs, and wall
time then measures the neighbours. The model is single-threaded numpy, so CPU time is what it costs;
``full_recompute_wall_ms`` is given too, with the load average at the time.
"""

from __future__ import annotations

import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MINUTE = 60_000

GOALS = {
    "full_recompute_ms": "<= 50 ms (30 d x 1 m x the demo's venues: model + map + 800-column heatmap)",
    "full_recompute_with_ranges_ms": "<= 50 ms (what the window does: ranges' ensemble, model, map, heatmap, ranges)",
    "incremental_update_ms": "<= 0.5 ms with the ranges (median; one new candle on every venue)",
    "ensemble_incremental_update_ms": "<= 0.5 ms together with incremental_update_ms",
    "speedup_vs_reference": ">= 100x",
    "peak_rss_mb": "<= 200 MB",
}


def market_frames(days: float, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(candles, open_interest, where they come from)."""
    try:
        from market.simulator import SimConfig, simulate
    except ImportError:
        return (*_synthetic(int(days * 1440), seed), "synthetic random walk (simulator not importable)")
    res = simulate(SimConfig(seed=seed, days=days, truth_every_minutes=0))
    return res.frames.candles, res.frames.open_interest, f"demo simulator, seed {seed}"


def _synthetic(n: int, seed: int):
    rng = np.random.default_rng(seed)
    ts = 1_767_225_600_000 + np.arange(n, dtype=np.int64) * MINUTE
    mid = 90_000 * np.exp(np.cumsum(rng.normal(0, 0.0007, n)))
    cs, os_ = [], []
    for k, ex in enumerate(("binance", "okx", "bybit")):
        c = mid * (1 + rng.normal(0, 1e-4, n))
        w = np.abs(rng.normal(0, 4e-4, n)) * c
        v = rng.gamma(2, 50, n)
        cs.append(pd.DataFrame({"ts": ts, "exchange": ex, "open": c, "high": c + w, "low": c - w, "close": c,
                                "volume": v, "taker_buy_volume": v * rng.uniform(0.3, 0.7, n), "quote_volume": v * c}))
        oi = 30_000 * (1 + k) * np.exp(np.cumsum(rng.normal(0, 1e-3, n + 1)))
        os_.append(pd.DataFrame({"ts": np.r_[ts, ts[-1] + MINUTE], "exchange": ex, "oi_base": oi, "oi_usd": oi * 90_000}))
    return (pd.concat(cs).sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True),
            pd.concat(os_).sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True))


def full_recompute(candles, oi):
    from analytics.liquidation import LiquidationModel

    model = LiquidationModel.from_history(candles, oi)
    m = model.map_at()
    start = int(candles["ts"].iloc[0])
    te = np.linspace(start, model.last_ms(), 801).astype(np.int64)
    h = model.heatmap(te, m.bin_edges)  # the GUI draws the heatmap on the map's price bins
    return model, m, h


def full_recompute_with_ranges(candles, oi):
    """The window's rebuild (``gui.analytics_bridge.ModelKeeper``): the ensemble first, the central model
    taking its crossings from it, then the map, the heatmap and the members' maps for the ranges."""
    from analytics.ensemble import EnsembleModel
    from analytics.liquidation import LiquidationModel

    ens = EnsembleModel.from_history(candles, oi)
    model = LiquidationModel()
    model.ingest(candles, oi, crossings_from=ens.crossing_model)
    m = model.map_at()
    start = int(candles["ts"].iloc[0])
    te = np.linspace(start, model.last_ms(), 801).astype(np.int64)
    h = model.heatmap(te, m.bin_edges)
    em = ens.maps_at(None, m.bin_edges, m.price)
    em.cumulative_ranges()
    return model, m, h


def _median_ms(fn, repeat: int, clock=time.process_time) -> float:
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append((clock() - t0) * 1e3)
    return statistics.median(times)


def _incremental(candles, oi, updates: int = 300) -> tuple[float, float, float]:
    """(median, p95, max) ms of ``update`` with one new candle per exchange, after ingesting the rest."""
    from analytics.liquidation import LiquidationModel

    ts = np.sort(candles["ts"].unique())
    cut = int(ts[-updates])
    model = LiquidationModel.from_history(candles[candles["ts"] < cut], oi[oi["ts"] <= cut])
    by_ts_c = {t: g for t, g in candles[candles["ts"] >= cut].groupby("ts")}
    by_ts_o = {t: g for t, g in oi[oi["ts"] > cut].groupby("ts")}
    empty = oi.iloc[0:0]
    times = []
    for t in ts[-updates:]:
        c, o = by_ts_c[t], by_ts_o.get(t + MINUTE, empty)
        t0 = time.process_time()
        model.update(c, o)
        times.append((time.process_time() - t0) * 1e3)
    return statistics.median(times), float(np.percentile(times, 95)), max(times)


def _speedup(candles, oi, minutes: int = 1440) -> tuple[float, float, float]:
    """(speedup, reference ms, fast ms) on the first ``minutes`` of the data (the reference is a per-bar loop)."""
    sys.path.insert(0, str(ROOT))
    from analytics.liquidation import LiquidationModel
    from analytics.params import ModelParams
    from tests.unit.analytics import reference_model

    end = int(candles["ts"].iloc[0]) + minutes * MINUTE
    c = candles[candles["ts"] < end].reset_index(drop=True)
    o = oi[oi["ts"] <= end].reset_index(drop=True)
    p = ModelParams()
    t0 = time.process_time()
    ref = reference_model.run(c, o, p)
    edges = np.linspace(c["low"].min() * 0.7, c["high"].max() * 1.3, 401)
    reference_model.map_usd(ref, edges)
    ref_ms = (time.process_time() - t0) * 1e3
    fast_ms = _median_ms(lambda: LiquidationModel.from_history(c, o, p).map_at(None, edges), 7)
    return ref_ms / fast_ms, ref_ms, fast_ms


def _ensemble(candles, oi, m) -> tuple[float, float, float]:
    """(build ms, read ms, median incremental ms) of the ranges' ensemble, CPU time."""
    from analytics.ensemble import EnsembleModel

    build = _median_ms(lambda: EnsembleModel.from_history(candles, oi), 3)
    ens = EnsembleModel.from_history(candles, oi)
    read = _median_ms(lambda: ens.maps_at(None, m.bin_edges, m.price), 5)
    ts = np.sort(candles["ts"].unique())
    cut = int(ts[-60])
    inc = EnsembleModel.from_history(candles[candles["ts"] < cut], oi[oi["ts"] <= cut])
    times = []
    for t in ts[-60:]:
        c, o = candles[candles["ts"] == t], oi[oi["ts"] == t + MINUTE]
        t0 = time.process_time()
        inc.update(c, o)
        times.append((time.process_time() - t0) * 1e3)
    return build, read, statistics.median(times)


# VmHWM (not ru_maxrss, which Linux carries over from the forking parent) of a fresh process.
_RSS_CHILD = r"""
import pickle, sys, json
sys.path.insert(0, sys.argv[2])
import numpy, pandas
from benchmarks.bench_analytics import full_recompute
def hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
candles, oi = pickle.load(open(sys.argv[1], "rb"))
base = hwm_kb()
full_recompute(candles, oi)
print(json.dumps({"peak_kb": hwm_kb(), "before_kb": base}))
"""


def _peak_rss(candles, oi) -> tuple[float, float]:
    """(peak RSS MB of a fresh process that loads the frames and runs the full recompute, part before it)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "frames.pkl")
        with open(path, "wb") as f:
            pickle.dump((candles, oi), f)
        out = subprocess.run([sys.executable, "-c", _RSS_CHILD, path, str(ROOT)], capture_output=True, text=True,
                             timeout=300, check=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["peak_kb"] / 1024.0, r["before_kb"] / 1024.0


def run() -> dict:
    candles, oi, source = market_frames(30.0)
    full_recompute(candles, oi)  # warm-up: imports, first-touch allocations
    full_ms = _median_ms(lambda: full_recompute(candles, oi), 7)
    full_wall_ms = _median_ms(lambda: full_recompute(candles, oi), 3, time.perf_counter)
    from analytics.liquidation import LiquidationModel

    model_ms = _median_ms(lambda: LiquidationModel.from_history(candles, oi), 5)
    model, _m, _h = full_recompute(candles, oi)
    map_ms = _median_ms(lambda: model.map_at(), 5)
    inc_med, inc_p95, inc_max = _incremental(candles, oi)
    speed, ref_ms, fast_ms = _speedup(candles, oi)
    peak, before = _peak_rss(candles, oi)
    n_cohorts = sum(v.c_liq.n for v in model._venues.values())
    ens_ms, ens_read_ms, ens_inc_ms = _ensemble(candles, oi, _m)
    ranges_ms = _median_ms(lambda: full_recompute_with_ranges(candles, oi), 5)
    return {
        "data": source,
        "candles": int(len(candles)),
        "cohorts": int(n_cohorts),
        "full_recompute_ms": round(full_ms, 1),
        "full_recompute_wall_ms": round(full_wall_ms, 1),
        "model_build_ms": round(model_ms, 1),
        "map_ms": round(map_ms, 1),
        "incremental_update_ms": round(inc_med, 3),
        "incremental_update_p95_ms": round(inc_p95, 3),
        "incremental_update_max_ms": round(inc_max, 3),
        "speedup_vs_reference": round(speed, 1),
        "reference_1d_ms": round(ref_ms, 1),
        "fast_1d_ms": round(fast_ms, 2),
        "ensemble_recompute_ms": round(ens_ms, 1),  # the at-risk ranges: 3 model runs on 10 leverage stops
        "full_recompute_with_ranges_ms": round(ranges_ms, 1),
        "ensemble_read_ms": round(ens_read_ms, 2),  # 18 crowds' maps on the map's bins, reweighted
        "ensemble_incremental_update_ms": round(ens_inc_ms, 3),
        "peak_rss_mb": round(peak, 1),
        "rss_before_model_mb": round(before, 1),  # interpreter, numpy, pandas and the frames
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
