"""File-menu actions: open/save snapshots, export PNG/CSV, back to the demo, reset layout, about."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6 import QtWidgets

from gui.background import run_in_background
from gui.services import WindowServices
from gui.sources import SourceSpec

SNAPSHOT_FILTER = "Cascade snapshots (*.cascade);;All files (*)"


def ask_open_snapshot(sv: WindowServices) -> None:
    path, _ = QtWidgets.QFileDialog.getOpenFileName(sv.parent_widget, "Open snapshot", "", SNAPSHOT_FILTER)
    if path:
        open_snapshot(sv, path)


def open_snapshot(sv: WindowServices, path: str) -> None:
    base = sv.state.source_spec or SourceSpec("demo")
    sv.open_source(replace(base, kind="snapshot", path=str(path), fallback_note=""))


def ask_save_snapshot(sv: WindowServices) -> None:
    if sv.state.frames is None:
        sv.show_error("Nothing to save", "There is no data to save yet.")
        return
    path, _ = QtWidgets.QFileDialog.getSaveFileName(sv.parent_widget, "Save snapshot", "market.cascade", SNAPSHOT_FILTER)
    if path:
        save_snapshot_to(sv, path)


def save_snapshot_to(sv: WindowServices, path: str):
    """Save the shown data (chosen exchanges, closed candles only) in the background."""
    if not path.endswith(".cascade"):
        path += ".cascade"
    frames = saved_frames(sv)
    kind = sv.state.source_kind or "demo"
    model = sv.state.model.to_settings()  # all of it, so report/study on the file run the model the window showed

    def save():
        from market.store import save_snapshot

        return save_snapshot(frames, path, source_kind=kind, model_settings=model)

    return sv.keep("save", run_in_background(
        save,
        lambda p: sv.status(f"Saved snapshot {Path(str(p)).name}", 8000),
        lambda msg: sv.show_error("Could not save", f"Could not save the snapshot:\n{msg}"),
        sv.parent_widget,
    ))


def saved_frames(sv: WindowServices):
    """What a snapshot holds: the chosen exchanges, without the minute still in progress."""
    state = sv.state
    frames = state.frames.only(state.exchanges)
    return frames.known_at(state.source_clock_ms) if state.source_clock_ms is not None else frames


def ask_export_png(sv: WindowServices) -> None:
    path, _ = QtWidgets.QFileDialog.getSaveFileName(sv.parent_widget, "Export chart as PNG", "cascade.png", "PNG images (*.png)")
    if path and not sv.parent_widget.grab().save(path, "PNG"):
        sv.show_error("Could not export", f"Could not write {path}")


def ask_export_csv(sv: WindowServices) -> None:
    if sv.terminal.chart is None:
        return
    path, _ = QtWidgets.QFileDialog.getSaveFileName(sv.parent_widget, "Export data as CSV", "cascade.csv", "CSV files (*.csv)")
    if path:
        export_csv_to(sv, path)


def export_csv_to(sv: WindowServices, path: str):
    import pandas as pd

    chart = sv.terminal.chart
    c = chart.candles
    total = chart.oi_base.get("total")
    frame = pd.DataFrame({"time_utc": pd.to_datetime((c.x * 1000).astype("int64"), unit="ms", utc=True), "open": c.open, "high": c.high, "low": c.low, "close": c.close, "volume": c.volume})
    if total is not None:
        frame["oi_base_total"] = pd.Series(total.y, index=(total.x * 1000).astype("int64")).reindex((c.x * 1000).astype("int64"), method="ffill").to_numpy()
    return sv.keep("export", run_in_background(
        lambda: frame.to_csv(path, index=False) or path,
        lambda p: sv.status(f"Exported {Path(p).name}", 8000),
        lambda msg: sv.show_error("Could not export", msg),
        sv.parent_widget,
    ))


def open_demo(sv: WindowServices) -> None:
    base = sv.state.source_spec or SourceSpec("demo")
    sv.open_source(SourceSpec("demo", symbol="BTC/USDT:USDT", seed=base.seed, speed=base.speed, history_days=base.history_days))


def open_live(sv: WindowServices) -> None:
    base = sv.state.source_spec or SourceSpec("live")
    sv.open_source(SourceSpec("live", symbol=base.symbol, seed=base.seed, speed=base.speed, history_days=base.history_days))


def reset_layout(sv: WindowServices) -> None:
    from gui.panels.registry import PANELS

    sv.terminal.reset_sizes()
    for p in PANELS:
        sv.actions[f"panel_{p.name}"].setChecked(p.shown)
    sv.state.update(lookback_s=86400.0)
    sv.terminal.show_lookback(86400)


def about(sv: WindowServices) -> None:
    QtWidgets.QMessageBox.about(
        sv.parent_widget,
        "About Cascade",
        f"<b>Cascade</b> {QtWidgets.QApplication.applicationVersion()}<br>A local liquidation-map terminal for crypto perpetual futures.<br>"
        "Liquidation levels are <i>estimates</i> from open-interest changes and a leverage mix, not exchange data.",
    )
