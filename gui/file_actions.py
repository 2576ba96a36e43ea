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


def ask_export_csv(win: "MainWindow") -> None:
    if win.terminal.chart is None:
        return
    path, _ = QtWidgets.QFileDialog.getSaveFileName(win, "Export data as CSV", "cascade.csv", "CSV files (*.csv)")
    if path:
        export_csv_to(win, path)


def export_csv_to(win: "MainWindow", path: str):
    import pandas as pd

    c = win.terminal.chart.candles
    total = win.terminal.chart.oi_base.get("total")
    frame = pd.DataFrame({"time_utc": pd.to_datetime((c.x * 1000).astype("int64"), unit="ms", utc=True), "open": c.open, "high": c.high, "low": c.low, "close": c.close, "volume": c.volume})
    if total is not None:
        frame["oi_base_total"] = pd.Series(total.y, index=(total.x * 1000).astype("int64")).reindex((c.x * 1000).astype("int64"), method="ffill").to_numpy()
    return run_in_background(
        lambda: frame.to_csv(path, index=False) or path,
        lambda p: win.statusBar().showMessage(f"Exported {Path(p).name}", 8000),
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
    from gui.panels.registry import PANELS, default_sizes

    win.terminal.splitter.setSizes(default_sizes())
    for p in PANELS:
        win.actions_by_name[f"panel_{p.name}"].setChecked(p.shown)
    win.terminal.show_lookback(86400)


def about(win: "MainWindow") -> None:
    QtWidgets.QMessageBox.about(
        win,
        "About Cascade",
        f"<b>Cascade</b> {QtWidgets.QApplication.applicationVersion()}<br>A local liquidation-map terminal for crypto perpetual futures.<br>"
        "Liquidation levels are <i>estimates</i> from open-interest changes and a leverage mix, not exchange data.",
    )
