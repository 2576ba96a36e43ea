"""Menus and shortcuts: File, View, Help. Returns the checkable actions by name (for QSettings and tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from gui import file_actions, tool_actions
from gui.terminal import PANEL_NAMES

if TYPE_CHECKING:
    from gui.main_window import MainWindow

PANEL_TITLES = {"volume": "Volume", "open_interest": "Open interest", "funding": "Funding", "liquidations": "Liquidation events"}

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
<tr><td>Ctrl+Shift+F</td><td>Liquidation feed</td></tr>
<tr><td>Ctrl+Q</td><td>Quit</td></tr>
</table>"""


def _action(win: "MainWindow", menu: QtWidgets.QMenu, text: str, slot, shortcut: str | None = None, checkable: bool = False) -> QtGui.QAction:
    a = QtGui.QAction(text, win)
    if shortcut:
        a.setShortcut(QtGui.QKeySequence(shortcut))
    a.setCheckable(checkable)
    if checkable:
        a.toggled.connect(slot)
    else:
        a.triggered.connect(lambda _checked=False: slot())
    menu.addAction(a)
    return a


def build_menus(win: "MainWindow") -> dict[str, QtGui.QAction]:
    bar = win.menuBar()
    named: dict[str, QtGui.QAction] = {}
    f = bar.addMenu("&File")
    named["open"] = _action(win, f, "&Open snapshot…", lambda: file_actions.ask_open_snapshot(win), "Ctrl+O")
    named["save"] = _action(win, f, "&Save snapshot…", lambda: file_actions.ask_save_snapshot(win), "Ctrl+S")
    f.addSeparator()
    named["export_png"] = _action(win, f, "Export chart as &PNG…", lambda: file_actions.ask_export_png(win), "Ctrl+E")
    named["export_csv"] = _action(win, f, "Export data as &CSV…", lambda: file_actions.ask_export_csv(win))
    f.addSeparator()
    named["demo"] = _action(win, f, "&Demo market", lambda: file_actions.open_demo(win), "Ctrl+D")
    named["live"] = _action(win, f, "&Live markets (Binance, OKX, Bybit)", lambda: file_actions.open_live(win), "Ctrl+Shift+L")
    f.addSeparator()
    named["quit"] = _action(win, f, "&Quit", win.close, "Ctrl+Q")

    v = bar.addMenu("&View")
    for name in PANEL_NAMES:
        named[f"panel_{name}"] = _action(
            win, v, PANEL_TITLES[name], lambda on, n=name: win.terminal.set_panel_visible(n, on), checkable=True
        )
    v.addSeparator()
    named["oi_usd"] = _action(win, v, "Open interest in USD", lambda on: win.terminal.panels["open_interest"].set_usd(on), checkable=True)
    named["map_by_exchange"] = _action(win, v, "Liquidation map stacked by exchange", win.terminal.liqmap.set_by_exchange, checkable=True)
    named["map_by_exchange"].setChecked(True)
    named["log_scale"] = _action(win, v, "&Log price scale", win.terminal.set_log_scale, "Ctrl+L", checkable=True)
    named["zone_local"] = _action(win, v, "Local time (instead of UTC)", lambda on: win.set_time_zone("local" if on else "UTC"), checkable=True)
    named["theme_light"] = _action(win, v, "Light &theme", lambda on: win.set_theme("light" if on else "dark"), "Ctrl+T", checkable=True)
    named["theme_light"].setChecked(win.theme.name == "light")
    v.addSeparator()
    named["reset_layout"] = _action(win, v, "&Reset layout", lambda: file_actions.reset_layout(win))
    tf = v.addMenu("Timeframe")
    for i, (label, ms) in enumerate((("1m", 60_000), ("5m", 300_000), ("15m", 900_000), ("1h", 3_600_000), ("4h", 14_400_000), ("1d", 86_400_000))):
        named[f"tf_{label}"] = _action(win, tf, label, lambda ms=ms: win.set_timeframe(ms), str(i + 1))
    play = _action(win, v, "Play / pause replay", lambda: win.replay.set_playing(not win.replay.play_button.isChecked()), "Space")
    named["play"] = play

    tools = bar.addMenu("&Tools")
    named["measure"] = _action(win, tools, "&Measure (click start, click end)", win.terminal.set_measuring, "M", checkable=True)
    win.terminal.measuring_changed.connect(named["measure"].setChecked)
    named["heatmap"] = _action(win, tools, "&Heatmap colours…", win.ask_heatmap_style, "Ctrl+H")
    named["model"] = _action(win, tools, "Liquidation &model settings…", win.ask_model_settings, "Ctrl+M")
    named["scorecard"] = _action(win, tools, "Model &scorecard…", lambda: tool_actions.ask_scorecard(win), "Ctrl+Shift+K")
    named["alerts"] = win.alerts_dock.toggleViewAction()
    named["alerts"].setText("&Alerts")
    named["alerts"].setShortcut(QtGui.QKeySequence("Ctrl+Shift+A"))
    tools.addAction(named["alerts"])
    for name, short in (("measure", "Measure"), ("heatmap", "Heatmap…"), ("model", "Model…")):
        named[name].setIconText(short)

    h = bar.addMenu("&Help")
    named["shortcuts"] = _action(
        win, h, "&Keyboard shortcuts", lambda: QtWidgets.QMessageBox.information(win, "Keyboard shortcuts", SHORTCUTS_HELP)
    )
    named["about"] = _action(win, h, "&About Cascade", lambda: file_actions.about(win))
    return named
