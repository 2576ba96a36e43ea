"""Print the README's long-soak table from a soak's json (``.bench/soak.json`` or the file given).

    python -m tests.reliability.soak_table [.bench/soak-long.json] [--rows 9]

One row per hour of wall time (or per tenth of a short run), from the memory timeline: RSS, the bytes
the session's data holds (the frames' own sizes), RSS minus that, threads, sockets to the exchange and Qt
objects; then the slopes after warm-up and rows served vs stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]


def pick_rows(timeline: list[dict], rows: int) -> list[dict]:
    """Samples nearest to evenly spaced instants (whole hours on a run of an hour or more), plus the end."""
    tl = [s for s in timeline if "wall_s" in s]
    if not tl:
        return []
    span = tl[-1]["wall_s"]
    step = max(1.0, span / max(1, rows - 1))
    if 3600 <= span <= 3600 * (rows - 1):
        step = 3600.0 / max(1, int((rows - 1) // (span / 3600)))  # whole hours, or halves and quarters of one
    marks = [i * step for i in range(int(span // step) + 1)]
    out: list[dict] = []
    for m in marks:
        s = min(tl, key=lambda x: abs(x["wall_s"] - m))
        if not out or s is not out[-1]:
            out.append(s)
    if out[-1] is not tl[-1]:
        out.append(tl[-1])
    return out


def table(result: dict, rows: int = 9) -> str:
    picked = pick_rows(result.get("timeline", []), rows)
    hours = bool(picked) and picked[-1]["wall_s"] >= 3600
    unit = "h" if hours else "s"
    lines = [f"| wall {unit} | simulated | RSS MB | data held MB | RSS − data MB | C heap in use MB | SQLite MB | threads | sockets | Qt objects |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in picked:
        w = s["wall_s"] / 3600 if hours else s["wall_s"]
        sim = s.get("simulated_h", 0.0)
        sim_text = f"{sim / 24:.1f} d" if sim >= 48 else f"{sim:.1f} h"
        heap = s.get("malloc_in_use_mb")
        lite = s.get("sqlite_mb")
        label = " (end)" if s.get("phase") == "end" else " (warm-up)" if s.get("phase") == "warmup" else ""
        lines.append(f"| {w:.2f}{label} | {sim_text} | {s['rss_mb']:.0f} | {s['data_held_mb']:.1f} | {s['rss_minus_data_mb']:.0f} | "
                     f"{'' if heap is None else f'{heap:.0f}'} | {'' if lite is None else f'{lite:.1f}'} | {s['threads_os']} | {s['sockets_app']} | {s['qt_objects']} |")
    slope = result.get("rss_minus_data_slope_mb_per_hour")
    summary = [
        f"{result.get('wall_s', 0) / 3600:.2f} h wall, {result.get('simulated_hours', 0) / 24:.1f} simulated days, "
        f"{result.get('faults_injected_total', 0):,} faults injected.",
        f"After {result.get('warmup_s', 0) / 60:.1f} min of warm-up: RSS {result.get('rss_slope_mb_per_hour', 'n/a')} MB/h, "
        f"data held {result.get('data_held_slope_mb_per_hour', 'n/a')} MB/h, RSS minus data held "
        f"{'n/a' if slope is None else slope} MB/h.",
        f"Rows served {result.get('rows_served_total', 0):,}, stored {result.get('rows_stored_total', 0):,}, "
        f"lost/duplicated/wrong {result.get('rows_lost_or_duplicated', 'n/a')}.",
    ]
    return "\n".join(lines) + "\n\n" + " ".join(summary)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.reliability.soak_table", description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", default=str(ROOT / ".bench" / "soak.json"))
    p.add_argument("--rows", type=int, default=9)
    a = p.parse_args(argv)
    try:
        result = json.loads(Path(a.path).read_text())
    except (OSError, ValueError) as exc:
        print(f"soak_table: cannot read {a.path}: {exc}", file=sys.stderr)
        return 2
    print(table(result, max(2, a.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
