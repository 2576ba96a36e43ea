"""How cost grows with the history: 7, 30, 90 and 365 days of 1-minute data on every registered venue.

Per size: ``open_s`` (a fresh process opening a snapshot of that size to its first full frame: candles,
heatmap, map and panels), ``peak_rss_mb`` there, ``panzoom_median_ms`` / ``panzoom_p95_ms`` (the scripted
pan/zoom of ``first_frame.py``), and ``recompute_ms`` / ``recompute_rss_mb`` (the window's rebuild with
the ranges, CPU time and peak RSS of a fresh process). Data: the demo simulator, seed 7. A size whose
run fails (time or memory) is reported as such, with the reason, and the larger sizes are not tried.

``CASCADE_SCALE_DAYS=7,30`` picks the sizes (the default runs all four and takes many minutes).
"""

from __future__ import annotations

import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import child

ROOT = Path(__file__).resolve().parents[1]
SIZES = (7, 30, 90, 365)
GOALS = {
    "growth": "linear or better in the data (each figure / days roughly constant or falling)",
    "panzoom_median_ms": "<= 16 ms at every size",
}

# CPU time and VmHWM of the window's rebuild in a fresh process (``ru_maxrss`` would carry the parent's).
_RECOMPUTE_CHILD = r"""
import json, pickle, sys, time
sys.path.insert(0, sys.argv[2])
from benchmarks.bench_analytics import full_recompute_with_ranges
def hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
frames = pickle.load(open(sys.argv[1], "rb"))
t0 = time.process_time()
full_recompute_with_ranges(frames.candles, frames.open_interest)
print(json.dumps({"cpu_ms": (time.process_time() - t0) * 1e3, "peak_mb": hwm_mb()}))
"""


def _sizes() -> tuple[int, ...]:
    raw = os.environ.get("CASCADE_SCALE_DAYS", "")
    return tuple(int(x) for x in raw.split(",") if x.strip()) or SIZES


def _frames(days: int):
    from market.simulator import DemoSource

    src = DemoSource(seed=7, history_days=days)
    try:
        return src.history(src.symbol)
    finally:
        src.close()


def _one(days: int, d: Path) -> dict:
    from market.store import save_snapshot

    frames = _frames(days)
    path = save_snapshot(frames, d / f"{days}d.cascade", source_kind="demo")
    row: dict = {"days": days, "venues": list(frames.exchanges()), "candles": int(len(frames.candles)),
                 "file_mb": round(path.stat().st_size / 1e6, 1)}
    pkl = d / f"{days}d.pkl"
    with open(pkl, "wb") as fh:
        pickle.dump(frames, fh)
    del frames
    out = subprocess.run([sys.executable, "-c", _RECOMPUTE_CHILD, str(pkl), str(ROOT)], capture_output=True,
                         text=True, timeout=1800)
    if out.returncode != 0:
        row["recompute_error"] = (out.stderr.strip().splitlines() or ["failed"])[-1][:200]
    else:
        r = json.loads(out.stdout.strip().splitlines()[-1])
        row["recompute_ms"] = round(r["cpu_ms"])
        row["recompute_rss_mb"] = round(r["peak_mb"])
    pkl.unlink()
    run = child.run_probe([str(child.HERE / "first_frame.py"), "--panzoom", "--", "--open", str(path)], timeout=1800)
    frames_ms = run.report.get("frames_ms") or []
    row["open_s"] = round(run.first_frame_ms / 1000.0, 2)
    row["peak_rss_mb"] = round(run.peak_rss_mb)
    if frames_ms:
        row["panzoom_median_ms"] = round(statistics.median(frames_ms), 1)
        row["panzoom_p95_ms"] = round(sorted(frames_ms)[int(0.95 * (len(frames_ms) - 1))], 1)
    return row


def run() -> dict:
    rows = []
    child.warm_bytecode()
    with tempfile.TemporaryDirectory(prefix="cascade-bench-scale-") as tmp:
        for days in _sizes():
            try:
                rows.append(_one(days, Path(tmp)))
            except (RuntimeError, subprocess.TimeoutExpired, MemoryError, OSError) as exc:
                rows.append({"days": days, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
                break
    out: dict = {"sizes": rows}
    for row in rows:  # flat figures for the bench's table
        for key, value in row.items():
            if key not in ("days", "venues") and isinstance(value, (int, float, str)):
                out[f"{key}_{row['days']}d"] = value
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
