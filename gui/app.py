"""QApplication set-up and the GUI entry point called by main.py: ``run_app(args, version) -> int``."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from pathlib import Path
from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "cascade.svg"
SCREENSHOT_SETTLE_MS = 600  # after data is drawn, let the heatmap and axes settle before grabbing


def make_app(argv: Optional[list[str]] = None) -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance()
    if app is None:
        QtWidgets.QApplication.setHighDpiScaleFactorRoundingPolicy(QtCore.Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QtWidgets.QApplication(argv or [sys.argv[0]])
    app.setOrganizationName("Cascade")
    app.setApplicationName("Cascade")
    app.setApplicationDisplayName("Cascade")
    # On Wayland the taskbar icon comes from the .desktop file (resources/cascade.desktop), not setWindowIcon.
    app.setDesktopFileName("cascade")
    if ICON.exists():
        app.setWindowIcon(QtGui.QIcon(str(ICON)))
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background="#0b0e14", foreground="#8a93a6")
    from gui.focus import install_shortcut_guard

    install_shortcut_guard(app)
    if gc.get_freeze_count() == 0:
        # The ~120k objects of the imported modules (Qt, pyqtgraph, pandas) live as long as the process;
        # every full collection walked them all (50-65 ms holding the interpreter lock, a frozen window).
        # Frozen, full collections walk the session's own objects only. Collected first, so no garbage
        # (a widget in a reference cycle) is kept forever.
        gc.collect()
        gc.freeze()
    return app


class ScreenshotTaker(QtCore.QObject):
    """Saves the window to PNG once data is drawn (not a blank window), then quits with 0."""

    def __init__(self, window, path: str, app: QtWidgets.QApplication) -> None:
        super().__init__(window)
        self.window, self.path, self.app = window, path, app
        self.saved = False
        self._armed_at: Optional[float] = None
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def ready(self) -> bool:
        t = self.window.terminal
        if not t.has_drawn_data():
            return False
        result = t.result
        # Wait for the liquidation model too (the first result may be the market alone).
        return result is not None and (result.liquidity is not None or bool(result.error))

    def _check(self) -> None:
        if self.saved or not self.ready():
            return
        now = time.monotonic()
        if self._armed_at is None:
            self._armed_at = now
            return
        if (now - self._armed_at) * 1000 >= SCREENSHOT_SETTLE_MS:
            self.save()
            self.app.exit(0)

    def save(self) -> bool:
        self.window.repaint()
        self.app.processEvents()
        ok = self.window.grab().save(self.path, "PNG")
        self.saved = ok
        if not ok:
            sys.stderr.write(f"cascade: could not write screenshot {self.path}\n")
        return ok


def _log_first_frame(window) -> None:
    """For the packaging smoke test and benchmarks: one stderr line when data is first drawn."""
    timer = QtCore.QTimer(window)
    timer.setInterval(10)

    def check() -> None:
        if window.terminal.has_drawn_data():
            window.repaint()
            timer.stop()
            sys.stderr.write(f"cascade: first frame drawn at unix_ms={int(time.time() * 1000)}\n")
            sys.stderr.flush()

    timer.timeout.connect(check)
    timer.start()


def run_app(args, version: str) -> int:
    from gui.main_window import MainWindow
    from gui.sources import spec_from_args

    app = make_app()
    app.setApplicationVersion(version)
    from gui.crash import install_crash_reporting

    install_crash_reporting(app)
    logging.getLogger(__name__).info("Cascade %s starting", version)
    window = MainWindow(spec_from_args(args))
    window.setWindowTitle(f"Cascade {version} — liquidation map terminal")
    window.show()
    shooter = ScreenshotTaker(window, args.screenshot, app) if args.screenshot else None
    if os.environ.get("CASCADE_FIRST_FRAME_LOG") == "1":
        _log_first_frame(window)
    if args.quit_after:
        def timeout() -> None:
            if shooter is not None and not shooter.saved:
                # Out of time before data was drawn: save what is there, but say so and fail.
                shooter.save()
                sys.stderr.write("cascade: --quit-after elapsed before data was drawn\n")
                app.exit(1)
                return
            app.exit(0)

        QtCore.QTimer.singleShot(int(args.quit_after * 1000), timeout)
    code = app.exec()
    window.save_settings()
    window.shutdown()
    # Python must not be torn down under a pool task still running (a symbol listing, a save): wait for them.
    pool = QtCore.QThreadPool.globalInstance()
    if pool is not None and not pool.waitForDone(10_000):
        logging.getLogger(__name__).warning("%d background task(s) still running at exit", pool.activeThreadCount())
    if os.environ.get("CASCADE_TEST") != "1":
        window.deleteLater()
    return int(code)
