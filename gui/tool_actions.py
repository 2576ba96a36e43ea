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

    dlg = ModelSettingsDialog(win.model, win, calibrate=lambda params, done: calibrate_in_background(win, params, done),
                              calibrate_oi=lambda params, done: calibrate_oi_in_background(win, params, done),
                              fit=getattr(win, "model_fit", None))

    def accepted() -> None:
        # The fit is kept beside the model while the model is the fit's, so the dialog can say what it rests on.
        win.model_fit = dlg.fit if dlg.fit_is_current() else None
        win.set_model(dlg.params)

    dlg.accepted.connect(accepted)
    dlg.open()
    win.model_dialog = dlg
    return dlg


def _shown_frames(win: "MainWindow"):
    frames = win.frames
    return frames.only(tuple(win.exchanges)) if frames is not None else None


def calibrate_in_background(win: "MainWindow", params, done) -> None:
    """Fit mix, sink, scale and holding time to the recorded liquidations on screen, in the background."""
    frames = _shown_frames(win)
    if frames is None or len(frames.liquidations) == 0:
        done(None, "No recorded liquidations to calibrate on: kept the settings (try candles and OI)")
        return
    from gui.background import run_in_background

    def fit():
        from analytics.fit_summary import fit_on_events

        return fit_on_events(frames.candles, frames.open_interest, frames.liquidations, params)

    def finished(summary) -> None:
        if summary is None:
            done(None, "Calibration found nothing to fit: kept the settings")
        else:
            done(summary, "Calibrated: press OK to use the fitted settings")

    win._calibration = run_in_background(fit, finished, lambda msg: done(None, f"Calibration failed: {msg}"), win)


def calibrate_oi_in_background(win: "MainWindow", params, done) -> None:
    """Fit the holding time (and, where OI shows the sweeps, the mix) from candles and OI alone."""
    frames = _shown_frames(win)
    if frames is None or len(frames.candles) == 0 or len(frames.open_interest) < 2:
        done(None, "No candles and open interest to calibrate on: kept the settings")
        return
    from gui.background import run_in_background

    def fit():
        from analytics.fit_summary import fit_on_open_interest

        return fit_on_open_interest(frames.candles, frames.open_interest, params)

    def finished(summary) -> None:
        if summary is None:
            done(None, "Too little candle and OI history to fit (a few days are needed): kept the settings")
        else:
            done(summary, "Calibrated from candles and OI: press OK to use the fitted settings")

    win._calibration = run_in_background(fit, finished, lambda msg: done(None, f"Calibration failed: {msg}"), win)


def ask_scorecard(win: "MainWindow"):
    from gui.dialogs.scorecard import ScorecardDialog

    dlg = ScorecardDialog(win.frames, win.model, tuple(win.exchanges), win)
    dlg.show()
    win.scorecard_dialog = dlg
    return dlg
