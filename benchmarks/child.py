"""Run a probe (benchmarks/first_frame.py, benchmarks/finplot_probe.py) in a fresh process and time it.

Times are wall clock from just before the process is launched, so interpreter start-up and imports are
in them, as a user's double-click would see. A fresh settings directory per run: no saved geometry or
layout carries over between runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ProbeRun:
    first_frame_ms: float  # launch -> first frame with everything drawn
    candles_ms: float  # launch -> first frame with candles (the same as first_frame_ms when drawn at once)
    startup_ms: float  # launch -> the probe's first line ran (interpreter start-up)
    imports_ms: float  # the probe's first line -> the window's / finplot's modules imported
    process_ms: float  # launch -> process exited
    peak_rss_mb: float  # at the first full frame (Cascade: once the ranges are in)
    report: dict
    ranges_ms: float = 0.0  # launch -> the map and the card carry their ranges (Cascade; finplot has none)


# Compiled bytecode for the probes, outside the tree. The Makefile (and often the shell) sets
# PYTHONDONTWRITEBYTECODE to keep the checkout clean: then every probe would compile Cascade's own modules
# from source (about a tenth of a start-up, measured with py-spy) while finplot's, installed by pip, are
# compiled once. An installed app, like the bundle, starts from bytecode: so do the probes.
PYCACHE = ROOT / ".bench" / "pycache"


def probe_env() -> dict:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", CASCADE_TEST="1",
                CASCADE_SETTINGS_DIR=tempfile.mkdtemp(prefix="cascade-bench-settings-"),
                PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(PYCACHE))


def warm_bytecode() -> None:
    """Compile the project into ``PYCACHE`` once, before anything is timed."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", "analytics", "cascade_vocab", "commands",
                    "gui", "market", "main.py", "benchmarks"], env=probe_env(), cwd=str(ROOT), capture_output=True,
                   timeout=600)


def run_probe(args: list[str], timeout: float = 240.0) -> ProbeRun:
    t0 = time.time()
    env = dict(probe_env(), CASCADE_PROBE_TIMEOUT_S=str(max(60.0, timeout - 30.0)))
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    t_end = time.time()
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"probe {args[0]} printed no report (exit {out.returncode}): {out.stderr[-1500:]}")
    rep = json.loads(lines[-1])
    if "t_full" not in rep:
        raise RuntimeError(f"probe {args[0]}: {rep.get('error', 'no full frame')}")
    ms = lambda t: (t - t0) * 1000.0  # noqa: E731
    return ProbeRun(
        first_frame_ms=ms(rep["t_full"]),
        candles_ms=ms(rep.get("t_candles", rep["t_full"])),
        startup_ms=ms(rep["t_script"]),
        imports_ms=(rep["t_imports"] - rep["t_script"]) * 1000.0,
        process_ms=ms(t_end),
        peak_rss_mb=float(rep["maxrss_mb"]),
        report=rep,
        ranges_ms=ms(rep.get("t_ranges", rep["t_full"])),
    )


def cascade(main_args: list[str], *extra: str) -> ProbeRun:
    return run_probe([str(HERE / "first_frame.py"), *extra, "--", *main_args])


def finplot(csv: Path) -> ProbeRun:
    return run_probe([str(HERE / "finplot_probe.py"), str(csv), "1440", "900"])


def finplot_available() -> str:
    """'' when finplot can be imported here, else why not (the figure is then skipped, and says so)."""
    out = subprocess.run([sys.executable, "-c", "import finplot"], env=probe_env(), capture_output=True, text=True, timeout=60)
    return "" if out.returncode == 0 else "finplot not installed (pip install -e '.[bench]')"


def alternate(a: Callable[[], ProbeRun], b: Callable[[], ProbeRun], pairs: int) -> tuple[list[ProbeRun], list[ProbeRun]]:
    """Run a, b, a, b, ...: the machine's load drifts, and alternating shares the drift between the two."""
    ra, rb = [], []
    for _ in range(pairs):
        ra.append(a())
        rb.append(b())
    return ra, rb


def median(runs: list[ProbeRun], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)


def median_ratio(ra: list[ProbeRun], rb: list[ProbeRun], field: str) -> float:
    """The median of the per-pair ratios (each pair ran back to back, under the same load)."""
    return statistics.median(getattr(x, field) / getattr(y, field) for x, y in zip(ra, rb))
