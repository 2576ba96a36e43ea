"""The window's state in QSettings: layout, theme, selections, model and heatmap settings, alert rules."""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from PySide6 import QtCore

from gui import settings as st
from gui.analytics_bridge import ModelSettings
from gui.dialogs.alerts import rules_from_json
from gui.terminal import PANEL_NAMES
from market.series import MINUTE_MS

if TYPE_CHECKING:
    from gui.main_window import MainWindow


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
            if isinstance(getattr(default, f.name), Enum):
                values[f.name] = type(getattr(default, f.name))(str(raw))
            else:
                values[f.name] = str(raw) if f.name == "colormap" else float(raw)
        except (TypeError, ValueError):
            continue
    return replace(default, **values)


def restore(win: "MainWindow") -> None:
    """Apply the saved state to a new window (missing or invalid values keep the defaults)."""
    s = win.settings
    geometry = s.value("window/geometry")
    if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)
    else:
        win.resize(1440, 900)
    splitter = s.value("window/splitter")
    if isinstance(splitter, QtCore.QByteArray) and not splitter.isEmpty():
        win.terminal.splitter.restoreState(splitter)
    tf = int(s.value("chart/timeframe_ms", MINUTE_MS) or MINUTE_MS)
    win.timeframe_ms = tf
    win.toolbar.set_timeframe_ms(tf)
    lookback = float(s.value("chart/lookback_s", 86400) or 86400)
    win.toolbar.set_lookback_s(lookback)
    win.terminal.lookback_s = lookback
    for name in PANEL_NAMES:
        visible = st.read_bool(s, f"view/panel_{name}", True)
        win.actions_by_name[f"panel_{name}"].setChecked(visible)
        win.terminal.set_panel_visible(name, visible)
    win.alerts_dock.set_rules(rules_from_json(st.read_str(s, "alerts/rules", "[]")))
    win.model = _model_from_settings(s, win.model)
    zone = st.read_str(s, "view/time_zone", "UTC")
    win.actions_by_name["zone_local"].setChecked(zone == "local")
    win.terminal.set_time_zone(zone)
    win.readout.zone = zone
    for name in ("log_scale", "oi_usd"):
        win.actions_by_name[name].setChecked(st.read_bool(s, f"view/{name}", False))
    win.terminal.set_heatmap_style(_heatmap_style_from_settings(s, win.terminal.price.heatmap.style))
    win.actions_by_name["map_by_exchange"].setChecked(st.read_bool(s, "view/map_by_exchange", True))


def save(win: "MainWindow") -> None:
    """Write layout, theme and selections to the window's QSettings."""
    s = win.settings
    s.setValue("window/geometry", win.saveGeometry())
    s.setValue("window/splitter", win.terminal.splitter.saveState())
    s.setValue("view/theme", win.theme.name)
    s.setValue("chart/exchanges", list(win.exchanges))
    s.setValue("chart/timeframe_ms", win.timeframe_ms)
    s.setValue("chart/lookback_s", win.terminal.lookback_s)
    for name in PANEL_NAMES:
        s.setValue(f"view/panel_{name}", win.terminal.panel_visible(name))
    s.setValue("view/time_zone", win.terminal.price.time_axis.zone)
    s.setValue("model/leverages", ",".join(f"{v:g}" for v in win.model.leverages))
    s.setValue("model/weights", ",".join(f"{v:g}" for v in win.model.weights))
    s.setValue("model/bin_usd", win.model.bin_usd or 0)
    s.setValue("model/taker_split", win.model.taker_split)
    for name in ("log_scale", "oi_usd"):
        s.setValue(f"view/{name}", win.actions_by_name[name].isChecked())
    s.setValue("view/map_by_exchange", win.actions_by_name["map_by_exchange"].isChecked())
    style = win.terminal.price.heatmap.style
    for key, value in style.__dict__.items():
        s.setValue(f"heatmap/{key}", value.value if isinstance(value, Enum) else value)
    s.sync()
