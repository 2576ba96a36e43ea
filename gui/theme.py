"""Dark and light themes: one frozen palette per theme, applied to Qt and to the charts."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtGui, QtWidgets

from market.venues import VENUES


@dataclass(frozen=True)
class Theme:
    name: str
    background: str  # chart background
    window: str  # widget background
    panel: str  # cards, toolbars
    text: str
    muted: str  # axis labels, secondary text
    grid: str
    up: str  # rising candle / longs-in-profit green
    down: str  # falling candle red
    long_liq: str  # liquidated longs (sell pressure below price)
    short_liq: str  # liquidated shorts (buy pressure above price)
    accent: str
    warning: str
    error: str
    exchange_colors: tuple[tuple[str, str], ...]
    heatmap_colormap: str

    def exchange_color(self, exchange: str) -> str:
        return dict(self.exchange_colors).get(exchange, self.accent)


DARK = Theme(
    name="dark",
    background="#0b0e14",
    window="#11151c",
    panel="#161b24",
    text="#d8dee9",
    muted="#8a93a6",
    grid="#232a36",
    up="#26a69a",
    down="#ef5350",
    long_liq="#ef5350",
    short_liq="#26a69a",
    accent="#f0b90b",
    warning="#f5a623",
    error="#ff5c5c",
    exchange_colors=tuple((v.name, v.colour_dark) for v in VENUES.values()),
    heatmap_colormap="inferno",
)

LIGHT = Theme(
    name="light",
    background="#ffffff",
    window="#f3f4f6",
    panel="#e8eaee",
    text="#1f2430",
    muted="#5b6475",
    grid="#e2e5ea",
    up="#089981",
    down="#e53935",
    long_liq="#e53935",
    short_liq="#089981",
    accent="#b7860b",
    warning="#c77700",
    error="#c62828",
    exchange_colors=tuple((v.name, v.colour_light) for v in VENUES.values()),
    heatmap_colormap="viridis",
)

THEMES = {"dark": DARK, "light": LIGHT}


def theme_named(name: str) -> Theme:
    return THEMES.get(name, DARK)


def apply_qt_theme(app: QtWidgets.QApplication, theme: Theme) -> None:
    """Fusion style with the theme's palette, and a small style sheet for cards and the status bar.

    Only what changes is set: replacing the application's style or style sheet re-polishes every
    widget and deletes the old style objects, and each new window did it. With many windows made and
    closed in one process (the GUI tests), that churn ended twice in a segfault inside this function."""
    applied = app.property("cascade_theme")
    if applied == theme.name:
        return
    if applied is None:  # the first theme: Fusion once (with a style sheet, style() is a proxy with no name)
        app.setStyle("Fusion")
    pal = QtGui.QPalette()
    c = QtGui.QColor
    role = QtGui.QPalette.ColorRole
    pal.setColor(role.Window, c(theme.window))
    pal.setColor(role.WindowText, c(theme.text))
    pal.setColor(role.Base, c(theme.background))
    pal.setColor(role.AlternateBase, c(theme.panel))
    pal.setColor(role.ToolTipBase, c(theme.panel))
    pal.setColor(role.ToolTipText, c(theme.text))
    pal.setColor(role.Text, c(theme.text))
    pal.setColor(role.Button, c(theme.panel))
    pal.setColor(role.ButtonText, c(theme.text))
    pal.setColor(role.Highlight, c(theme.accent))
    pal.setColor(role.HighlightedText, c(theme.background))
    pal.setColor(role.PlaceholderText, c(theme.muted))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.Text, c(theme.muted))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.ButtonText, c(theme.muted))
    app.setPalette(pal)
    app.setStyleSheet(
        f"""
        QToolBar {{ background: {theme.panel}; border: none; spacing: 6px; padding: 2px; }}
        QStatusBar {{ background: {theme.panel}; color: {theme.muted}; }}
        QStatusBar QLabel {{ padding: 0 6px; }}
        QFrame#card {{ background: {theme.panel}; border: 1px solid {theme.grid}; border-radius: 4px; }}
        QLabel#cardTitle {{ color: {theme.muted}; font-weight: bold; }}
        QLabel#banner {{ background: {theme.warning}; color: #000; padding: 3px 8px; font-weight: bold; }}
        QLabel#estimate {{ color: {theme.muted}; font-style: italic; }}
        """
    )
    app.setProperty("cascade_theme", theme.name)
