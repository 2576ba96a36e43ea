"""Tools-menu actions: heatmap colours, liquidation model settings, calibration and the model scorecard."""

from __future__ import annotations

from gui.services import WindowServices


def ask_heatmap_style(sv: WindowServices):
    from gui.dialogs.heatmap_controls import HeatmapControls

    dlg = HeatmapControls(sv.terminal.heatmap_style, sv.parent_widget)
    dlg.style_changed.connect(sv.terminal.set_heatmap_style)
    dlg.show()
    return sv.keep("heatmap_dialog", dlg)


def ask_model_settings(sv: WindowServices):
    from gui.dialogs.model_settings import ModelSettingsDialog

    dlg = ModelSettingsDialog(sv.state.model, sv.parent_widget, calibrate=lambda params, done: calibrate_in_background(sv, params, done))
    dlg.accepted.connect(lambda: sv.state.update(model=dlg.params))
    dlg.open()
    return sv.keep("model_dialog", dlg)


def calibrate_in_background(sv: WindowServices, params, done) -> None:
    """Fit the leverage mix to the observed liquidations, in the background."""
    frames = sv.state.frames
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

    sv.keep("calibration", run_in_background(fit, finished, lambda msg: done(None, f"Calibration failed: {msg}"), sv.parent_widget))


def ask_scorecard(sv: WindowServices):
    from gui.dialogs.scorecard import ScorecardDialog

    state = sv.state
    dlg = ScorecardDialog(state.frames, state.model, tuple(state.exchanges), sv.parent_widget)
    dlg.show()
    return sv.keep("scorecard_dialog", dlg)
