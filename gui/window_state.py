"""The window's state in QSettings: layout, theme, selections, model and heatmap settings, alert rules."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from PySide6 import QtCore, QtWidgets

from gui import settings as st
from gui.analytics_bridge import ModelSettings
from gui.dialogs.alerts import rules_from_json
from gui.panels.registry import PANEL_NAMES, PANELS
from market.series import MINUTE_MS

if TYPE_CHECKING:
    from gui.alerts_feature import AlertsFeature
    from gui.services import WindowServices
    from gui.toolbar import Toolbar


def _model_from_settings(s: QtCore.QSettings, default: ModelSettings) -> ModelSettings:
    """Saved model settings, or ``default`` where they are missing or invalid."""
    try:
        levs = tuple(float(v) for v in st.read_str(s, "model/leverages", "").split(",") if v)
        weights = tuple(float(v) for v in st.read_str(s, "model/weights", "").split(",") if v)
        bin_usd = float(s.value("model/bin_usd", 0) or 0) or None
        taker = st.read_bool(s, "model/taker_split", default.taker_split)
        if not levs:
            return replace(default, bin_usd=bin_usd, taker_split=taker)
        return replace(default, leverages=levs, weights=weights, bin_usd=bin_usd, taker_split=taker)
    except (ValueError, TypeError):
        return default


def _heatmap_style_from_settings(s: QtCore.QSettings, default):
    from dataclasses import fields

    values = {}
    for f in fields(default):
        raw = s.value(f"heatmap/{f.name}")
        if raw is None:
            continue
        try:
            values[f.name] = str(raw) if f.name == "colormap" else float(raw)
        except (TypeError, ValueError):
            continue
    return replace(default, **values)


def restore(sv: "WindowServices", window: QtWidgets.QMainWindow, toolbar: "Toolbar", alerts: "AlertsFeature",
            set_time_zone: Callable[[str], None]) -> None:
    """Apply the saved state to a new window (missing or invalid values keep the defaults)."""
    s, t, actions = sv.settings, sv.terminal, sv.actions
    geometry = s.value("window/geometry")
    if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    else:
        window.resize(1440, 900)
    splitter = s.value("window/splitter")
    if isinstance(splitter, QtCore.QByteArray) and not splitter.isEmpty():
        t.splitter.restoreState(splitter)
    tf = int(s.value("chart/timeframe_ms", MINUTE_MS) or MINUTE_MS)
    lookback = float(s.value("chart/lookback_s", 86400) or 86400)
    toolbar.set_timeframe_ms(tf)
    toolbar.set_lookback_s(lookback)
    for p in PANELS:
        visible = st.read_bool(s, f"view/panel_{p.name}", p.shown)
        actions[f"panel_{p.name}"].setChecked(visible)
        t.set_panel_visible(p.name, visible)
    alerts.dock.set_rules(rules_from_json(st.read_str(s, "alerts/rules", "[]")))
    sv.state.update(timeframe_ms=tf, lookback_s=lookback, model=_model_from_settings(s, sv.state.model))
    zone = st.read_str(s, "view/time_zone", "UTC")
    actions["zone_local"].setChecked(zone == "local")
    set_time_zone(zone)
    for name in ("log_scale", "oi_usd"):
        actions[name].setChecked(st.read_bool(s, f"view/{name}", False))
    t.set_heatmap_style(_heatmap_style_from_settings(s, t.heatmap_style))


def save(sv: "WindowServices", window: QtWidgets.QMainWindow, alerts: "AlertsFeature") -> None:
    """Write layout, theme and selections to the window's QSettings."""
    s, t, state = sv.settings, sv.terminal, sv.state
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/splitter", t.splitter.saveState())
    s.setValue("view/theme", sv.theme.name)
    s.setValue("chart/exchanges", list(state.exchanges))
    s.setValue("chart/timeframe_ms", state.timeframe_ms)
    s.setValue("chart/lookback_s", t.lookback_s)
    for name in PANEL_NAMES:
        s.setValue(f"view/panel_{name}", t.panel_visible(name))
    s.setValue("view/time_zone", t.time_zone)
    s.setValue("model/leverages", ",".join(f"{v:g}" for v in state.model.leverages))
    s.setValue("model/weights", ",".join(f"{v:g}" for v in state.model.weights))
    s.setValue("model/bin_usd", state.model.bin_usd or 0)
    s.setValue("model/taker_split", state.model.taker_split)
    for name in ("log_scale", "oi_usd"):
        s.setValue(f"view/{name}", sv.actions[name].isChecked())
    for key, value in t.heatmap_style.__dict__.items():
        s.setValue(f"heatmap/{key}", value)
    s.sync()
