"""Leverage layers (Kingfisher's and Hyblock's leverage curves): show or hide the model's leverage tiers.

View → Leverage layers (and the toolbar's "Layers" button) lists every tier of the model's leverage mix
and three classes (low ≤ 10x, medium, high ≥ 50x). The heatmap and the map then hold only the chosen
tiers' levels; both say so, and the 80 % ranges are left out (they span crowds with every tier).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from PySide6 import QtGui, QtWidgets

if TYPE_CHECKING:
    from gui.main_window import MainWindow

LOW_MAX, HIGH_MIN = 10.0, 50.0  # leverage classes: low ≤ 10x < medium < 50x ≤ high


def leverage_classes(leverages: Sequence[float]) -> dict[str, tuple[int, ...]]:
    """Class name → tier indices (classes without a tier are left out)."""
    classes = {
        f"Low leverage (≤ {LOW_MAX:g}x)": tuple(i for i, v in enumerate(leverages) if v <= LOW_MAX),
        "Medium leverage": tuple(i for i, v in enumerate(leverages) if LOW_MAX < v < HIGH_MIN),
        f"High leverage (≥ {HIGH_MIN:g}x)": tuple(i for i, v in enumerate(leverages) if v >= HIGH_MIN),
    }
    return {name: tiers for name, tiers in classes.items() if tiers}


def layers_text(tiers: Optional[tuple[int, ...]], leverages: Sequence[float]) -> str:
    """'' for every layer, else e.g. 'leverage layers 50x, 100x only'."""
    if tiers is None:
        return ""
    chosen = [f"{leverages[i]:g}x" for i in sorted(tiers) if 0 <= i < len(leverages)]
    return "leverage layers " + (", ".join(chosen) if chosen else "none") + " only"


class LeverageLayers:
    """The menu and the window's chosen tiers (None: all)."""

    def __init__(self, win: "MainWindow") -> None:
        self.win = win
        self.tiers: Optional[tuple[int, ...]] = None
        self.menu = QtWidgets.QMenu("Leverage &layers", win)
        self.menu.aboutToShow.connect(self.rebuild)
        self.actions: dict[str, QtGui.QAction] = {}
        self.rebuild()

    def leverages(self) -> tuple[float, ...]:
        return tuple(self.win.model.leverages)

    def rebuild(self) -> None:
        """The entries of the current leverage mix (the model settings can change it)."""
        self.menu.clear()
        self.actions = {}
        levs = self.leverages()
        if self.tiers is not None and any(t >= len(levs) for t in self.tiers):
            self.tiers = None
        every = self.menu.addAction("All layers")
        every.setCheckable(True)
        every.setChecked(self.tiers is None)
        every.triggered.connect(lambda _c=False: self.set_tiers(None))
        self.actions["all"] = every
        self.menu.addSeparator()
        for i, lev in enumerate(levs):
            a = self.menu.addAction(f"{lev:g}x")
            a.setCheckable(True)
            a.setChecked(self.tiers is None or i in self.tiers)
            a.toggled.connect(lambda on, i=i: self._toggle(i, on))
            self.actions[f"{lev:g}x"] = a
        self.menu.addSeparator()
        for name, tiers in leverage_classes(levs).items():
            a = self.menu.addAction(name)
            a.triggered.connect(lambda _c=False, t=tiers: self.set_tiers(t))
            self.actions[name] = a

    def _toggle(self, tier: int, on: bool) -> None:
        current = set(range(len(self.leverages()))) if self.tiers is None else set(self.tiers)
        current = current | {tier} if on else current - {tier}
        if not current:  # at least one layer: undo the last untick
            self.rebuild()
            return
        self.set_tiers(tuple(sorted(current)))

    def set_tiers(self, tiers: Optional[Sequence[int]]) -> None:
        n = len(self.leverages())
        chosen = None if tiers is None or set(tiers) >= set(range(n)) else tuple(sorted(set(int(t) for t in tiers)))
        if chosen == self.tiers:
            return
        self.tiers = chosen
        self.win.leverage_tiers = chosen
        self.rebuild()
        self.win.request_view()


def install_leverage_layers(win: "MainWindow") -> LeverageLayers:
    layers = LeverageLayers(win)
    win.leverage_tiers = None
    view_menu = next((a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == "View"), None)
    (view_menu or win.menuBar()).addMenu(layers.menu)
    button = QtWidgets.QToolButton()
    button.setText("Layers")
    button.setToolTip("Leverage layers: show the heatmap and the map for chosen leverage tiers only")
    button.setMenu(layers.menu)
    button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
    win.toolbar.addWidget(button)
    layers.button = button
    win.leverage_layers = layers
    return layers
