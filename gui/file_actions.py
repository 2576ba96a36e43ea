"""File-menu actions: open/save snapshots, export PNG/CSV, back to the demo, reset layout, about."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from gui.background import run_in_background
from gui.sources import SourceSpec

if TYPE_CHECKING:
    from gui.main_window import MainWindow

SNAPSHOT_FILTER = "Cascade snapshots (*.cascade);;All files (*)"


def ask_open_snapshot(win: "MainWindow") -> None:
    path, _ = QtWidgets.QFileDialog.getOpenFileName(win, "Open snapshot", "", SNAPSHOT_FILTER)
    if path:
        win.open_snapshot_path(path)


def ask_save_snapshot(win: "MainWindow") -> None:
    if win.frames is None:
        win.show_error("Nothing to save", "There is no data to save yet.")
        return
    path, _ = QtWidgets.QFileDialog.getSaveFileName(win, "Save snapshot", "market.cascade", SNAPSHOT_FILTER)
    if path:
        save_snapshot_to(win, path)


def save_snapshot_to(win: "MainWindow", path: str):
    """Save the shown data (chosen exchanges, closed candles only) in the background."""
    if not path.endswith(".cascade"):
        path += ".cascade"
    frames = saved_frames(win)
    kind = win.session.info.kind if win.session and win.session.info else "demo"
    model = win.model.to_settings()  # all of it, so report/study on the file run the model the window showed

    def save():
        from market.store import save_snapshot

        return save_snapshot(frames, path, source_kind=kind, model_settings=model)

    return run_in_background(
        save,
        lambda p: win.statusBar().showMessage(f"Saved snapshot {Path(str(p)).name}", 8000),
        lambda msg: win.show_error("Could not save", f"Could not save the snapshot:\n{msg}"),
        win,
    )


def saved_frames(win: "MainWindow"):
    """What a snapshot holds: the chosen exchanges, without the minute still in progress."""
    frames = win.frames.only(win.exchanges)
    return frames.known_at(win.source_clock_ms) if win.source_clock_ms is not None else frames


def ask_export_png(win: "MainWindow") -> None:
    path, _ = QtWidgets.QFileDialog.getSaveFileName(win, "Export chart as PNG", "cascade.png", "PNG images (*.png)")
    if path and not win.grab().save(path, "PNG"):
        win.show_error("Could not export", f"Could not write {path}")


EXPORT_TITLE = "Export data as CSV — one zip of CSV files (candles, venues, events, map, heatmap, imbalance)"


def ask_export_csv(win: "MainWindow") -> None:
    if win.terminal.result is None or win.terminal.chart is None or not len(win.terminal.chart.candles):
        win.show_error("Nothing to export", "There is no data on screen to export yet.")
        return
    path, _ = QtWidgets.QFileDialog.getSaveFileName(win, EXPORT_TITLE, "cascade-export.zip", "Zip of CSV files (*.zip)")
    if path:
        export_csv_to(win, path)


def export_csv_to(win: "MainWindow", path: str):
    """Write what is on screen (the visible span of the newest result) as a zip of CSVs, in the background."""
    from gui.export_tables import ExportInput, export_tables, write_zip

    if not path.endswith(".zip"):
        path += ".zip"
    t = win.terminal
    result = t.result
    req = result.request
    frames = req.frames.known_at(req.as_of_ms) if req.as_of_ms is not None else req.frames
    x0, x1 = t.visible_x()
    if not t.real_liquidations:
        kind = "none recorded by the source (the chart's events are the model's ESTIMATE and are not listed)"
    else:
        kind = "simulated by the demo market" if t.liquidations_simulated else "reported by the venues"
    inp = ExportInput(frames, result.chart, result.liquidity, result.imbalance, tuple(req.exchanges),
                      int(x0 * 1000), int(x1 * 1000), kind)

    def write() -> str:
        tables, tick = export_tables(inp)
        return write_zip(tables, path, inp, tick)

    return run_in_background(
        write,
        lambda p: win.statusBar().showMessage(f"Exported {Path(p).name} (a zip of CSV files)", 8000),
        lambda msg: win.show_error("Could not export", msg),
        win,
    )


def open_demo(win: "MainWindow") -> None:
    base = win.session.spec if win.session else SourceSpec("demo")
    win.open_spec(SourceSpec("demo", symbol="BTC/USDT:USDT", seed=base.seed, speed=base.speed, history_days=base.history_days))


def open_live(win: "MainWindow") -> None:
    base = win.session.spec if win.session else SourceSpec("live")
    win.open_spec(SourceSpec("live", symbol=base.symbol, seed=base.seed, speed=base.speed, history_days=base.history_days))


def reset_layout(win: "MainWindow") -> None:
    win.terminal.splitter.setSizes([520, 90, 120, 80, 90])
    for name, action in win.actions_by_name.items():
        if name.startswith("panel_"):
            action.setChecked(True)
    win.terminal.show_lookback(86400)


def about(win: "MainWindow") -> None:
    QtWidgets.QMessageBox.about(
        win,
        "About Cascade",
        f"<b>Cascade</b> {QtWidgets.QApplication.applicationVersion()}<br>A local liquidation-map terminal for crypto perpetual futures.<br>"
        "Liquidation levels are <i>estimates</i> from open-interest changes and a leverage mix, not exchange data.",
    )
