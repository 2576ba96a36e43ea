"""Signal study over a year of hourly steps on 1-minute data of 3 venues (the issue's speed goal).

The year of data is simulated here first (``data_generation_s``, not part of the goal); ``year_hourly_s``
is the whole study on it: the model once over the year, the map as of every hour, outcomes over 24 h,
buckets and block-bootstrap intervals. The split shows where the time goes, and
``incremental_year_estimate_s`` what stepping the model's per-candle ``update`` through the year would
cost instead (measured on a few hours, scaled to the year's candles).
"""

from __future__ import annotations

import resource
import time

from analytics.liquidation import LiquidationModel
from analytics.study import DAY_MS, HOUR_MS, at_risk, forward_outcomes, observe, run_study, step_times, summarize
from market.simulator import SimConfig, simulate

GOALS = {"year_hourly_s": "<= 30 s"}
DAYS = 365
SEED = 11


def _incremental_estimate(frames, n_candles: int) -> float:
    """Seconds per candle of ``LiquidationModel.update`` after 2 days, times the year's candles."""
    t0, _ = frames.time_range()
    cut = t0 + 2 * DAY_MS
    known = frames.known_at(cut)
    model = LiquidationModel.from_history(known.candles, known.open_interest)
    nxt = frames.slice(cut - 60_000, cut + 3 * HOUR_MS)
    start = time.perf_counter()
    added = model.update(nxt.candles, nxt.open_interest)
    return (time.perf_counter() - start) / max(added, 1) * n_candles


def run() -> dict:
    start = time.perf_counter()
    frames = simulate(SimConfig(seed=SEED, days=DAYS, truth_every_minutes=0)).frames
    generation = time.perf_counter() - start
    candles, oi = frames.candles, frames.open_interest

    start, cpu = time.perf_counter(), time.process_time()
    result = run_study(candles, oi, every_ms=HOUR_MS, horizon_ms=DAY_MS, band_pct=10.0)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu

    # The same study in its parts.
    t0, t1 = frames.time_range()
    steps = step_times(t0, t1, HOUR_MS)
    s = time.perf_counter()
    model = LiquidationModel.from_history(candles, oi)
    model_s = time.perf_counter() - s
    s = time.perf_counter()
    price, _shorts, _longs = at_risk(model, steps, 10.0)
    read_s = time.perf_counter() - s
    s = time.perf_counter()
    forward_outcomes(candles, frames.timeframe_ms, steps, price, DAY_MS, 10.0)
    forward_s = time.perf_counter() - s
    obs, _ = observe(candles, oi, steps, model=model)
    s = time.perf_counter()
    summarize(obs, every_ms=HOUR_MS, horizon_ms=DAY_MS, band_pct=10.0)
    stats_s = time.perf_counter() - s

    return {
        "year_hourly_s": round(total, 2),
        "year_hourly_cpu_s": round(cpu, 2),  # the 2 cores are shared: wall time varies with the others' load
        "observations": result.n,
        "candles": len(candles),
        "data_generation_s": round(generation, 1),
        "model_once_s": round(model_s, 2),
        "maps_as_of_each_step_s": round(read_s, 2),
        "forward_outcomes_s": round(forward_s, 2),
        "bucket_stats_bootstrap_s": round(stats_s, 2),
        "incremental_year_estimate_s": round(_incremental_estimate(frames, len(candles)), 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "spearman": None if result.spearman is None else round(result.spearman, 4),
        "base_rate": None if result.base_rate is None else round(result.base_rate, 4),
        "heavier_first_rate": None if result.heavier_first_rate is None else round(result.heavier_first_rate, 4),
    }


if __name__ == "__main__":
    print(run())
