"""`python -m benchmarks.accuracy_table`: the README's accuracy table from the last `.bench/accuracy.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BANDS = ("2pct", "5pct", "10pct")


def _trio(v: dict, key: str, fmt: str = "{:.2f}") -> str:
    return " / ".join(fmt.format(v[key % b]) if v.get(key % b) is not None else "–" for b in BANDS)


def table(figures: dict) -> str:
    lines = ["| crowd | default crowd ±2 / 5 / 10 % | central: median crowd (what Cascade shows) | constant-share baseline | calibrated on events | out of sample | from candles and OI only | range holds the truth (prior; calibrated) | median range high ÷ low (prior; calibrated) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, v in figures["variants"].items():
        cover = f"{_trio(v, 'range_coverage_%s', '{:.0%}')}; {_trio(v, 'calibrated_range_coverage_%s', '{:.0%}')}"
        width = f"{_trio(v, 'range_width_%s', '{:.1f}')}; {_trio(v, 'calibrated_range_width_%s', '{:.1f}')}"
        lines.append(f"| {name} | {_trio(v, 'at_risk_error_%s')} | {_trio(v, 'central_at_risk_error_%s')} | {_trio(v, 'baseline_at_risk_error_%s')} | "
                     f"{_trio(v, 'calibrated_at_risk_error_%s')} | {_trio(v, 'calibrated_oos_at_risk_error_%s')} | "
                     f"{_trio(v, 'oi_calibrated_at_risk_error_%s')} | {cover} | {width} |")
    return "\n".join(lines)


def _holds(values) -> str:
    if not values:
        return "–"
    counts: dict = {}
    for h in values:
        counts[h] = counts.get(h, 0) + 1
    return ", ".join(f"{h:g} h ×{n}" if h is not None else f"none ×{n}" for h, n in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))


def fits_table(figures: dict) -> str:
    """What the fits chose per crowd (one fit per seed), and the event fit's out-of-sample R²."""
    lines = ["| crowd | holding time, event fit | holding time, OI fit | OI falls at sweeps used | share out of reach (median) | out-of-sample R² of hourly events (default mix) |",
             "|---|---|---|---|---|---|"]
    for name, v in figures["variants"].items():
        sinks = sorted(x for x in v.get("calibrated_sink_weight") or [] if x is not None)
        sink = f"{sinks[len(sinks) // 2]:.0%}" if sinks else "–"
        used = v.get("oi_calibrated_mix_fitted") or []
        r2, r2p = v.get("calibrated_oos_event_r2"), v.get("calibrated_oos_event_r2_prior")
        oos = f"{r2:.2f} ({r2p:.2f})" if r2 is not None and r2p is not None else "–"
        lines.append(f"| {name} | {_holds(v.get('calibrated_hold_hours'))} | {_holds(v.get('oi_calibrated_hold_hours'))} | "
                     f"{sum(bool(u) for u in used)} of {len(used)} | {sink} | {oos} |")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / ".bench" / "accuracy.json"
    if not path.exists():
        sys.exit("no .bench/accuracy.json: run `make bench ARGS=accuracy` first")
    figures = json.loads(path.read_text())
    print(table(figures))
    print()
    print(fits_table(figures))
