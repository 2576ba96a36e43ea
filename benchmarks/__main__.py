"""`python -m benchmarks [AREA ...]`: run the benchmark areas, print a table, write .bench/<area>.json."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".bench"


def areas() -> list[str]:
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    chosen = argv or areas()
    unknown = sorted(set(chosen) - set(areas()))
    if unknown:
        sys.stderr.write(f"benchmarks: unknown area(s) {unknown}; known: {areas()}\n")
        return 2
    OUT.mkdir(exist_ok=True)
    rows: list[tuple[str, str, object, object]] = []
    failed = 0
    for area in chosen:
        module = importlib.import_module(f"benchmarks.bench_{area}")
        t0 = time.perf_counter()
        try:
            figures = module.run()
        except Exception as exc:  # a broken benchmark is reported, the others still run
            failed += 1
            print(f"[{area}] FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        figures = dict(figures)
        goals = dict(getattr(module, "GOALS", {}))
        (OUT / f"{area}.json").write_text(json.dumps(figures, indent=2, default=float) + "\n")
        for key, value in figures.items():
            if isinstance(value, (int, float, str, bool)) or value is None:
                rows.append((area, key, value, goals.get(key, "")))
        print(f"[{area}] done in {time.perf_counter() - t0:.1f} s -> .bench/{area}.json", file=sys.stderr)
    width = max((len(f"{a}.{k}") for a, k, _, _ in rows), default=10)
    print(f"{'figure':<{width}}  {'value':>14}  goal")
    for area, key, value, goal in rows:
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"{area + '.' + key:<{width}}  {shown:>14}  {goal}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
