"""README screenshots of the terminal on the demo market (seed 7, 30 days):

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.gui.make_screenshots docs/screenshots

terminal-demo-1m.png: the heatmap's USD colour bar, the map stacked by exchange, the liquidation feed and
the symbol search open; leverage-layers.png: the same market with the high-leverage layers only.
Not a test (pytest does not collect it): a way to look at the window as a trader sees it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def _wait(app, until, timeout_s: float = 240.0) -> bool:
    t0 = time.time()
    while not until() and time.time() - t0 < timeout_s:
        app.processEvents()
        time.sleep(0.02)
    return until()


def main(out_dir: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CASCADE_SETTINGS_DIR", tempfile.mkdtemp(prefix="cascade-shots-"))
    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import SourceSpec

    app = make_app()
    win = MainWindow(SourceSpec("demo", seed=7, history_days=30))
    win.resize(1600, 960)
    win.show()
    drawn = lambda: win.terminal.has_drawn_data() and win.terminal.result.liquidity is not None  # noqa: E731
    if not _wait(app, drawn):
        print("no data drawn", file=sys.stderr)
        return 1
    out = Path(out_dir)
    win.actions_by_name["feed"].trigger()
    win.services.kept("liquidation_feed").min_size.setValue(250_000)
    _wait(app, lambda: win.services.kept("liquidation_feed").model.rowCount() > 0, 30)
    # The symbol search with "s" typed: its list is a popup window of its own, painted onto the grab.
    box = win.toolbar.symbol
    box.setFocus()
    box.lineEdit().setText("s")
    completer = box.completer()
    completer.setCompletionPrefix("s")
    completer.complete()
    _wait(app, lambda: False, 1.5)
    shot = win.grab()
    popup = completer.popup()
    if popup.isVisible():
        from PySide6 import QtCore, QtGui

        painter = QtGui.QPainter(shot)
        at = popup.mapToGlobal(popup.rect().topLeft()) - win.mapToGlobal(win.rect().topLeft())
        painter.fillRect(QtCore.QRect(at, popup.size()), popup.palette().color(QtGui.QPalette.ColorRole.Base))
        painter.drawPixmap(popup.mapToGlobal(popup.rect().topLeft()) - win.mapToGlobal(win.rect().topLeft()), popup.grab())
        painter.end()
        popup.hide()
    shot.save(str(out / "terminal-demo-1m.png"))
    box.lineEdit().setText(win.frames.symbol)
    win.terminal.focus_chart()
    layers = win.services.kept("leverage_layers")
    layers.actions["High leverage (≥ 50x)"].trigger()
    _wait(app, lambda: win.terminal.result.liquidity is not None and win.terminal.result.liquidity.tiers == (3, 4))
    _wait(app, lambda: False, 1.5)
    win.grab().save(str(out / "leverage-layers.png"))
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
