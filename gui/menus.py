"""Menus and shortcuts: File, View, Tools, Help, made through the services (menus by id, actions by
name: for QSettings, the toolbar and tests)."""

from __future__ import annotations

from typing import Callable

from PySide6 import QtGui, QtWidgets

from gui import file_actions, tool_actions
from gui.panels.registry import PANELS
from gui.services import WindowServices
from market.venues import VENUES

SHORTCUTS_HELP = """<table>
<tr><td>Ctrl+O</td><td>Open snapshot…</td></tr>
<tr><td>Ctrl+S</td><td>Save snapshot…</td></tr>
<tr><td>Ctrl+E</td><td>Export chart as PNG…</td></tr>
<tr><td>Ctrl+D</td><td>Demo market</td></tr>
<tr><td>Ctrl+Shift+L</td><td>Live markets</td></tr>
<tr><td>Ctrl+L</td><td>Log price scale</td></tr>
<tr><td>Ctrl+T</td><td>Light / dark theme</td></tr>
<tr><td>1 … 6</td><td>Timeframe 1m, 5m, 15m, 1h, 4h, 1d</td></tr>
<tr><td>Space</td><td>Play / pause the replay</td></tr>
<tr><td>M</td><td>Measure tool</td></tr>
<tr><td>Ctrl+H</td><td>Heatmap colours</td></tr>
<tr><td>Ctrl+M</td><td>Model settings</td></tr>
<tr><td>Ctrl+Shift+K</td><td>Model scorecard</td></tr>
<tr><td>Ctrl+Shift+A</td><td>Alerts</td></tr>
<tr><td>Ctrl+Q</td><td>Quit</td></tr>
</table>"""


def _action(sv: WindowServices, menu_id: str | None, name: str, text: str, slot, shortcut: str | None = None, checkable: bool = False) -> QtGui.QAction:
    a = QtGui.QAction(text, sv.parent_widget)
    if shortcut:
        a.setShortcut(QtGui.QKeySequence(shortcut))
    a.setCheckable(checkable)
    if checkable:
        a.toggled.connect(slot)
    else:
        a.triggered.connect(lambda _checked=False: slot())
    return sv.add_action(menu_id, name, a)


def build_menus(sv: WindowServices, *, set_theme: Callable[[str], None], set_time_zone: Callable[[str], None],
                quit: Callable[[], object], alerts_action: QtGui.QAction) -> dict[str, QtGui.QAction]:
    t = sv.terminal
    _action(sv, "file", "open", "&Open snapshot…", lambda: file_actions.ask_open_snapshot(sv), "Ctrl+O")
    _action(sv, "file", "save", "&Save snapshot…", lambda: file_actions.ask_save_snapshot(sv), "Ctrl+S")
    sv.menu("file").addSeparator()
    _action(sv, "file", "export_png", "Export chart as &PNG…", lambda: file_actions.ask_export_png(sv), "Ctrl+E")
    _action(sv, "file", "export_csv", "Export data as &CSV…", lambda: file_actions.ask_export_csv(sv))
    sv.menu("file").addSeparator()
    _action(sv, "file", "demo", "&Demo market", lambda: file_actions.open_demo(sv), "Ctrl+D")
    _action(sv, "file", "live", f"&Live markets ({', '.join(v.label for v in VENUES.values())})", lambda: file_actions.open_live(sv), "Ctrl+Shift+L")
    sv.menu("file").addSeparator()
    _action(sv, "file", "quit", "&Quit", quit, "Ctrl+Q")

    for p in PANELS:
        _action(sv, "view", f"panel_{p.name}", p.title, lambda on, n=p.name: t.set_panel_visible(n, on), checkable=True)
    v = sv.menu("view")
    v.addSeparator()
    _action(sv, "view", "oi_usd", "Open interest in USD", t.set_oi_usd, checkable=True)
    _action(sv, "view", "log_scale", "&Log price scale", t.set_log_scale, "Ctrl+L", checkable=True)
    _action(sv, "view", "zone_local", "Local time (instead of UTC)", lambda on: set_time_zone("local" if on else "UTC"), checkable=True)
    light = _action(sv, "view", "theme_light", "Light &theme", lambda on: set_theme("light" if on else "dark"), "Ctrl+T", checkable=True)
    light.setChecked(sv.theme.name == "light")
    v.addSeparator()
    _action(sv, "view", "reset_layout", "&Reset layout", lambda: file_actions.reset_layout(sv))
    tf = v.addMenu("Timeframe")
    for i, (label, ms) in enumerate((("1m", 60_000), ("5m", 300_000), ("15m", 900_000), ("1h", 3_600_000), ("4h", 14_400_000), ("1d", 86_400_000))):
        tf.addAction(_action(sv, None, f"tf_{label}", label, lambda ms=ms: sv.state.update(timeframe_ms=ms), str(i + 1)))
    replay = sv.replay
    _action(sv, "view", "play", "Play / pause replay", lambda: replay.set_playing(not replay.play_button.isChecked()), "Space")

    measure = _action(sv, "tools", "measure", "&Measure (click start, click end)", t.set_measuring, "M", checkable=True)
    t.measuring_changed.connect(measure.setChecked)
    _action(sv, "tools", "heatmap", "&Heatmap colours…", lambda: tool_actions.ask_heatmap_style(sv), "Ctrl+H")
    _action(sv, "tools", "model", "Liquidation &model settings…", lambda: tool_actions.ask_model_settings(sv), "Ctrl+M")
    _action(sv, "tools", "scorecard", "Model &scorecard…", lambda: tool_actions.ask_scorecard(sv), "Ctrl+Shift+K")
    alerts_action.setText("&Alerts")
    alerts_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+A"))
    sv.add_action("tools", "alerts", alerts_action)
    for name, short in (("measure", "Measure"), ("heatmap", "Heatmap…"), ("model", "Model…")):
        sv.actions[name].setIconText(short)

    parent = sv.parent_widget
    _action(sv, "help", "shortcuts", "&Keyboard shortcuts", lambda: QtWidgets.QMessageBox.information(parent, "Keyboard shortcuts", SHORTCUTS_HELP))
    _action(sv, "help", "about", "&About Cascade", lambda: file_actions.about(sv))
    return sv.actions
