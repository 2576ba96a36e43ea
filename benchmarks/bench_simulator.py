"""Demo market simulator speed: a month of 1-minute data on the registered venues (and on four, as when
a fourth venue is registered), and the demo's backfill."""

from __future__ import annotations

import time

GOALS = {
    "month_1m_s": "<= 5 s",
    "demo_history_30d_s": "<= 5 s (DemoSource backfill the window waits for)",
}


def run() -> dict:
    from market.simulator import DemoSource, SimConfig, simulate

    cfg = SimConfig(seed=7, days=30)  # default config: daily truth snapshots included
    t0, c0 = time.perf_counter(), time.process_time()
    res = simulate(cfg)
    month = time.perf_counter() - t0
    # CPU time of this process: what the wall time would be on an idle machine (the 2 cores are shared).
    month_cpu = time.process_time() - c0

    no_truth = SimConfig(seed=7, days=30, truth_every_minutes=0)
    t0 = time.perf_counter()
    simulate(no_truth)
    month_no_truth = time.perf_counter() - t0

    four = SimConfig(seed=7, days=30, venues=("binance", "okx", "bybit", "fourth"), venue_shares=(0.45, 0.25, 0.18, 0.12),
                     venue_basis=(0.0, 1.5e-4, -1.0e-4, 0.5e-4))
    t0 = time.perf_counter()
    simulate(four)
    month_four = time.perf_counter() - t0

    src = DemoSource(seed=7, history_days=30)
    t0 = time.perf_counter()
    src.history(src.symbol)
    demo = time.perf_counter() - t0
    src.close()

    rows = res.frames.row_counts()
    return {
        "month_1m_s": month,
        "month_1m_cpu_s": month_cpu,
        "month_1m_no_truth_s": month_no_truth,
        "month_1m_4_venues_s": month_four,
        "venues": len(cfg.venues),
        "demo_history_30d_s": demo,
        "candles": rows["candles"],
        "liquidation_events": rows["liquidations"],
        "truth_snapshots": len(res.truth),
        "open_position_rows_at_end": int(len(res.truth[-1].long_liq_price) + len(res.truth[-1].short_liq_price)),
        "minutes_simulated": cfg.minutes + cfg.warmup_minutes,
    }
