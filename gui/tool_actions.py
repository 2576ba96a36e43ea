"""Tools-menu actions: heatmap colours, liquidation model settings, calibration and the model scorecard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def ask_heatmap_style(win: "MainWindow"):
    from gui.dialogs.heatmap_controls import HeatmapControls

    dlg = HeatmapControls(win.terminal.price.heatmap.style, win)
    dlg.style_changed.connect(win.terminal.set_heatmap_style)
    dlg.show()
    win.heatmap_dialog = dlg
    return dlg


def ask_model_settings(win: "MainWindow"):
    from gui.dialogs.model_settings import ModelSettingsDialog

    dlg = ModelSettingsDialog(win.model, win, calibrate=lambda params, done: calibrate_in_background(win, params, done))
    dlg.accepted.connect(lambda: win.set_model(dlg.params))
    dlg.open()
    win.model_dialog = dlg
    return dlg


def calibrate_in_background(win: "MainWindow", params, done) -> None:
    """Fit the leverage mix to the observed liquidations, in the background."""
    frames = win.frames
    if frames is None or len(frames.liquidations) == 0:
        done(None, "No observed liquidations to calibrate on: kept the default mix")
        return
    from gui.background import run_in_background

    def fit():
        from analytics.calibrate import calibrate

        return calibrate(frames.candles, frames.open_interest, frames.liquidations, params)

    def finished(cal) -> None:
        if cal is None:
            done(None, "Calibration found nothing to fit: kept the mix")
        else:
            done(cal.params(params), f"Calibrated on ${cal.observed_usd / 1e6:,.0f}M of liquidations: R² {cal.r2:.2f} (default mix {cal.r2_prior:.2f})")

    win._calibration = run_in_background(fit, finished, lambda msg: done(None, f"Calibration failed: {msg}"), win)


def ask_scorecard(win: "MainWindow"):
    from gui.dialogs.scorecard import ScorecardDialog

    dlg = ScorecardDialog(win.frames, win.model, tuple(win.exchanges), win)
    dlg.show()
    win.scorecard_dialog = dlg
    return dlg
