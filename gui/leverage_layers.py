"""Leverage layers (Kingfisher's and Hyblock's leverage curves): show or hide the model's leverage tiers.

View → Leverage layers (and the toolbar's "Layers" button) lists every tier of the model's leverage mix
and three classes (low ≤ 10x, medium, high ≥ 50x). The heatmap and the map then hold only the chosen
tiers' levels; both say so, and the 80 % ranges are left out (they span crowds with every tier).
"""

from __future__ import annotations

from typing import Optional, Sequence

from PySide6 import QtGui, QtWidgets

from gui.leverage_classes import layers_text, leverage_classes  # noqa: F401 (re-exported)
from gui.services import WindowServices

class LeverageLayers:
    """The menu and the window's chosen tiers (None: all)."""

    def __init__(self, sv: WindowServices) -> None:
        self.services = sv
        self.menu = QtWidgets.QMenu("Leverage &layers", sv.parent_widget)
        self.menu.aboutToShow.connect(self.rebuild)
        self.actions: dict[str, QtGui.QAction] = {}
        self.rebuild()

    @property
    def tiers(self) -> Optional[tuple[int, ...]]:
        return self.services.state.tiers

    def leverages(self) -> tuple[float, ...]:
        return tuple(self.services.state.model.leverages)

    def rebuild(self) -> None:
        """The entries of the current leverage mix (the model settings can change it)."""
        self.menu.clear()
        self.actions = {}
        levs = self.leverages()
        if self.tiers is not None and any(t >= len(levs) for t in self.tiers):
            self.services.state.update(tiers=None)  # the model's mix changed: every layer again
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
        self.services.state.update(tiers=chosen)  # a view field: the window asks for a new view
        self.rebuild()


def install_leverage_layers(main_window) -> LeverageLayers:
    sv = main_window.services
    if sv.kept("leverage_layers") is not None:
        return sv.kept("leverage_layers")
    layers = LeverageLayers(sv)
    sv.menu("view").addMenu(layers.menu)
    button = QtWidgets.QToolButton()
    button.setText("Layers")
    button.setToolTip("Leverage layers: show the heatmap and the map for chosen leverage tiers only")
    button.setMenu(layers.menu)
    button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
    main_window.toolbar.addWidget(button)
    layers.button = button
    return sv.keep("leverage_layers", layers)
