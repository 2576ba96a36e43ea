"""Cascade in a fresh process, started like ``main.py``: when is the first full frame drawn?

Run as ``python benchmarks/first_frame.py [--panzoom] [--png FILE] -- MAIN_PY_ARGS...``. It prints one
JSON line: ``t_candles`` (the first frame with candles), ``t_full`` (the first frame with candles, the
heatmap and the liquidation map: every panel), ``t_ranges`` (the first frame whose map and imbalance
card carry their 80 % ranges too: after a rebuild they follow the central map), ``t_script`` / ``t_imports`` (the interpreter was up /
the window's modules were imported), ``maxrss_mb`` (peak RSS once the ranges are in) and, with ``--panzoom``,
the frame times of a scripted pan/zoom sequence afterwards (``frames_ms``) and the peak RSS after it.
A frame is timed on the GUI thread from the range change to the end of a synchronous repaint of the
chart area, as a user's drag or wheel step costs it.
"""

from __future__ import annotations

import time

T_SCRIPT = time.time()  # the interpreter is up: what came before is process start-up

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = float(os.environ.get("CASCADE_PROBE_TIMEOUT_S", "180"))  # the scale bench allows more
DAY_S = 86_400.0


def _rss_mb() -> float:
    """Peak RSS of this process: VmHWM, since ru_maxrss starts from the launching process's own peak
    (a bench process that has grown would lend its size to every probe)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _panzoom_views(x_lo: float, x_hi: float) -> list[tuple[float, float]]:
    """The x ranges a user goes through: zoom out from a day to everything in wheel steps, pan across
    the whole span, zoom back in to a day, and pan a day-wide window: about 60 frames."""
    views: list[tuple[float, float]] = []
    width = min(DAY_S, x_hi - x_lo)
    while width < x_hi - x_lo:  # wheel steps out, anchored at the right edge
        views.append((x_hi - width, x_hi))
        width *= 1.5
    views.append((x_lo, x_hi))
    span = x_hi - x_lo
    for k in range(1, 11):  # pan the full-width view by tenths (drag)
        shift = span * 0.1 * k
        views.append((x_lo - shift, x_hi - shift))
    views.extend(reversed(views[: len(views) - 11]))  # and back in
    width = min(DAY_S, span)
    for k in range(1, 16):  # pan a day-wide window into the past
        a = x_hi - width - width * 0.1 * k
        views.append((a, a + width))
    return views


def main(argv: list[str]) -> int:
    panzoom = "--panzoom" in argv
    png = argv[argv.index("--png") + 1] if "--png" in argv else ""
    main_args = argv[argv.index("--") + 1:] if "--" in argv else []
    sys.path.insert(0, str(ROOT))
    import main as cascade_main

    args = cascade_main.gui_parser().parse_args(main_args)
    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import spec_from_args
    from PySide6 import QtCore, QtWidgets

    t_imports = time.time()
    app = make_app()
    win = MainWindow(spec_from_args(args))
    win.show()
    report: dict = {"t_script": T_SCRIPT, "t_imports": t_imports}

    def full(result) -> bool:
        liq = result.liquidity
        return liq is not None and liq.map is not None and liq.heatmap is not None and liq.heatmap.values.size > 0

    def done(result) -> None:
        if not len(result.chart.candles):
            return
        win.repaint()  # paint now, synchronously: this is the frame the user sees
        now = time.time()
        report.setdefault("t_candles", now)
        report.setdefault("candles", int(len(result.chart.candles)))
        if not full(result):
            return  # candles first; the heatmap and map still to come
        if "t_full" not in report:
            report["t_full"] = now
            report["analytics_ms"] = float(result.elapsed_ms)
            report["window"] = [win.width(), win.height()]
        if result.liquidity.ranges_pending:
            return  # the central map is drawn; its ranges (and the card's figures) still to come
        report["t_ranges"] = now
        report["maxrss_mb"] = _rss_mb()
        win.result_applied.disconnect(done)
        if png:
            win.grab().save(png)
        QtCore.QTimer.singleShot(0, app.quit)

    def give_up() -> None:
        report["error"] = f"no full frame within {TIMEOUT_S:.0f} s"
        app.quit()

    win.result_applied.connect(done)
    QtCore.QTimer.singleShot(int(TIMEOUT_S * 1000), give_up)
    app.exec()
    if panzoom and "t_full" in report:
        report.update(_pan_zoom(app, win, QtCore, QtWidgets))
    print(json.dumps(report), flush=True)
    win.shutdown()
    return 0 if "t_full" in report else 1


def _pan_zoom(app, win, QtCore, QtWidgets) -> dict:
    terminal = win.terminal
    bounds = terminal.chart.time_bounds_s()
    view = terminal.price.view
    frames: list[float] = []
    for x0, x1 in _panzoom_views(*bounds):
        end = time.perf_counter() + 0.03  # a user's steps come tens of ms apart: let queued work run
        while time.perf_counter() < end:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        t0 = time.perf_counter()
        view.setXRange(x0, x1, padding=0)
        terminal.repaint()
        frames.append((time.perf_counter() - t0) * 1000.0)
    return {"frames_ms": frames, "maxrss_after_panzoom_mb": _rss_mb()}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
