"""finplot drawing candles + volume from a CSV, in a fresh process: the speed bar Cascade is held to.

Run as ``python benchmarks/finplot_probe.py CANDLES.csv [WIDTH HEIGHT]`` (columns ts in ms, open, high,
low, close, volume). It prints one JSON line when the first frame is painted, then exits. finplot is a
bench-only dependency (the ``bench`` extra), never a runtime one; it runs on whichever Qt binding
pyqtgraph picks, PySide6 here, so both sides of the comparison use the same Qt and pyqtgraph.
"""

from __future__ import annotations

import time

T_SCRIPT = time.time()  # the interpreter is up: what came before is process start-up

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def _rss_mb() -> float:
    """Peak RSS of this process (VmHWM; ru_maxrss starts from the launching process's peak)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str]) -> int:
    csv = argv[0]
    width, height = (int(argv[1]), int(argv[2])) if len(argv) >= 3 else (1440, 900)
    import pandas as pd
    import finplot as fplt
    from pyqtgraph import QtCore, QtGui

    t_imports = time.time()
    df = pd.read_csv(csv)
    df["time"] = pd.to_datetime(df["ts"], unit="ms")
    fplt.winx, fplt.winy, fplt.winw, fplt.winh = 0, 0, width, height
    ax, axv = fplt.create_plot("BTC/USDT:USDT 1m", rows=2, maximize=False)
    fplt.candlestick_ochl(df[["time", "open", "close", "high", "low"]], ax=ax)
    fplt.volume_ocv(df[["time", "open", "close", "volume"]], ax=axv)

    def first_frame() -> None:
        win = fplt.windows[0]
        win.repaint()  # paint now, synchronously, like the Cascade probe does
        t_full = time.time()
        if len(argv) >= 4:  # a PNG of that frame, to check by eye that the candles were drawn
            win.grab().save(argv[3])
        print(json.dumps({"t_full": t_full, "t_script": T_SCRIPT, "t_imports": t_imports, "candles": len(df),
                          "maxrss_mb": _rss_mb()}), flush=True)
        QtGui.QGuiApplication.instance().quit()

    QtCore.QTimer.singleShot(0, first_frame)
    fplt.show()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
