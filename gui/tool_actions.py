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

    dlg = ModelSettingsDialog(sv.state.model, sv.parent_widget,
                              calibrate=lambda params, done: calibrate_in_background(sv, params, done),
                              calibrate_oi=lambda params, done: calibrate_oi_in_background(sv, params, done),
                              fit=sv.kept("model_fit"))

    def accepted() -> None:
        # The fit is kept beside the model while the model is the fit's, so the dialog can say what it rests on.
        sv.keep("model_fit", dlg.fit if dlg.fit_is_current() else None)
        sv.state.update(model=dlg.params)

    dlg.accepted.connect(accepted)
    dlg.open()
    return sv.keep("model_dialog", dlg)


def _shown_frames(sv: WindowServices):
    frames = sv.state.frames
    return frames.only(tuple(sv.state.exchanges)) if frames is not None else None


def calibrate_in_background(sv: WindowServices, params, done) -> None:
    """Fit mix, sink, scale and holding time to the recorded liquidations on screen, in the background."""
    frames = _shown_frames(sv)
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

    sv.keep("calibration", run_in_background(fit, finished, lambda msg: done(None, f"Calibration failed: {msg}"), sv.parent_widget))


def calibrate_oi_in_background(sv: WindowServices, params, done) -> None:
    """Fit the holding time (and, where OI shows the sweeps, the mix) from candles and OI alone."""
    frames = _shown_frames(sv)
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

    sv.keep("calibration", run_in_background(fit, finished, lambda msg: done(None, f"Calibration failed: {msg}"), sv.parent_widget))


def ask_scorecard(sv: WindowServices):
    from gui.dialogs.scorecard import ScorecardDialog

    state = sv.state
    dlg = ScorecardDialog(state.frames, state.model, tuple(state.exchanges), sv.parent_widget)
    dlg.show()
    return sv.keep("scorecard_dialog", dlg)
