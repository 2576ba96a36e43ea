"""`python -m benchmarks.accuracy_table`: the README's accuracy table from the last `.bench/accuracy.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BANDS = ("2pct", "5pct", "10pct")


def _trio(v: dict, key: str, fmt: str = "{:.2f}") -> str:
    return " / ".join(fmt.format(v[key % b]) if v.get(key % b) is not None else "–" for b in BANDS)


def table(figures: dict) -> str:
    lines = ["| crowd | model ±2 / 5 / 10 % | constant-share baseline | calibrated | range holds the truth (prior; calibrated) | median range high ÷ low (prior; calibrated) |",
             "|---|---|---|---|---|---|"]
    for name, v in figures["variants"].items():
        cover = f"{_trio(v, 'range_coverage_%s', '{:.0%}')}; {_trio(v, 'calibrated_range_coverage_%s', '{:.0%}')}"
        width = f"{_trio(v, 'range_width_%s', '{:.1f}')}; {_trio(v, 'calibrated_range_width_%s', '{:.1f}')}"
        lines.append(f"| {name} | {_trio(v, 'at_risk_error_%s')} | {_trio(v, 'baseline_at_risk_error_%s')} | "
                     f"{_trio(v, 'calibrated_at_risk_error_%s')} | {cover} | {width} |")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / ".bench" / "accuracy.json"
    if not path.exists():
        sys.exit("no .bench/accuracy.json: run `make bench ARGS=accuracy` first")
    print(table(json.loads(path.read_text())))
