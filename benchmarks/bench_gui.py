"""GUI smoothness and start-up: first paint, event-loop stalls under a fast demo, redraw rate, 30-day open.

first_paint_ms: wall time from launching `python main.py --demo` (a fresh process) to the first frame
drawn with data. max/p99_stall_ms: a 2 ms QTimer probe's lateness while the demo runs at 60x speed
(a minute of market per second, every poll revising the live candle) polled 50 times per second for STALL_SECONDS. redraws_per_s: how often
the panels were redrawn meanwhile (coalesced). open_30d_ms: a fresh process opening a 30-day 3-exchange
1-minute snapshot until its first frame is drawn. The *_app_rate figures repeat the stall probe at the
window's own poll rate (200 ms). Stalls here come mostly from the worker threads holding the interpreter
lock (the demo's per-poll merges in pandas), so they grow with the poll rate and the machine's load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STALL_SECONDS = float(os.environ.get("CASCADE_BENCH_STALL_S", "30"))

GOALS = {
    "first_paint_ms": "<= 1500",
    "max_stall_ms": "<= 16",
    "p99_stall_ms": "<= 16",
    "redraws_per_s": "<= 10-20 (coalesced)",
    "p99_stall_ms_app_rate": "<= 16",
    "open_30d_ms": "<= finplot's 600 ms for candles alone",
}

# Runs in a child process: start the window like main.py does and report when data is first drawn.
FIRST_PAINT = r"""
import sys, time, json
sys.path.insert(0, {root!r})
import main
args = main.gui_parser().parse_args({argv!r})
from gui.app import make_app
from gui.main_window import MainWindow
from gui.sources import spec_from_args
app = make_app()
win = MainWindow(spec_from_args(args))
win.show()
def done(result):
    if len(result.chart.candles):
        win.repaint()  # paint now, synchronously: this is the first frame with data
        print(json.dumps({{"t": time.time(), "analytics_ms": result.elapsed_ms}}), flush=True)
        app.exit(0)
win.result_applied.connect(done)
app.exec()
win.shutdown()
"""


def _first_paint(argv: list[str]) -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CASCADE_TEST="1", CASCADE_SETTINGS_DIR=tempfile.mkdtemp())
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", FIRST_PAINT.format(root=str(ROOT), argv=argv)], env=env, capture_output=True, text=True, timeout=120)
    line = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not line:
        raise RuntimeError(out.stderr[-2000:])
    data = json.loads(line[-1])
    return (data["t"] - t0) * 1000.0, data["analytics_ms"]


def _stalls(speed: float = 60.0, poll_ms: int = 20, seconds: float = STALL_SECONDS) -> dict:
    os.environ.setdefault("CASCADE_TEST", "1")
    os.environ.setdefault("CASCADE_SETTINGS_DIR", tempfile.mkdtemp())
    import numpy as np
    from PySide6 import QtCore

    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import SourceSpec

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
    win.close()
    arr = np.array(lateness[5:] or [0.0])
    return {
        "max_stall_ms": round(float(arr.max()), 1),
        "p99_stall_ms": round(float(np.percentile(arr, 99)), 1),
        "redraws_per_s": round(redraws / seconds, 1),
        "source_updates_per_s": round(polls / seconds, 1),
    }


def _snapshot_30d() -> Path:
    path = Path(tempfile.gettempdir()) / "cascade-bench-30d.cascade"
    if not path.exists():
        from market.simulator import DemoSource
        from market.store import save_snapshot

        src = DemoSource(seed=7, history_days=30)
        frames = src.history(src.info().symbols[0])
        src.close()
        save_snapshot(frames, path, source_kind="demo")
    return path


def run() -> dict:
    sys.path.insert(0, str(ROOT))
    out: dict = {}
    out["first_paint_ms"], out["first_paint_analytics_ms"] = (round(v, 0) for v in _first_paint(["--demo", "--seed", "7"]))
    try:
        path = _snapshot_30d()
        out["open_30d_ms"], out["open_30d_analytics_ms"] = (round(v, 0) for v in _first_paint(["--open", str(path)]))
    except ImportError as exc:  # the store is another helper's; report instead of failing everything
        out["open_30d_ms"] = None
        out["open_30d_note"] = f"store unavailable: {exc}"
    out.update(_stalls())
    # The same at the window's own poll rate (5 updates/s): what a trader's session sees.
    app_rate = _stalls(poll_ms=200, seconds=max(10.0, STALL_SECONDS / 2))
    out.update({f"{k}_app_rate": v for k, v in app_rate.items()})
    out["load_average_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared: read figures with it
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
