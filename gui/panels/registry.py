"""The lower panels of the terminal, in order: one entry per panel.

Everything that lists panels reads this: the terminal (which panels, in which order, their splitter
heights), View → panels (the menu text), the saved layout (shown or hidden), Reset layout, and the
view worker (a panel's own ``data_from``). Adding a panel is its module plus one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from gui.chart_data import ChartData
from gui.panels.base import ChartPanel
from gui.panels.cvd import CvdPanel
from gui.panels.events import LiquidationEventsPanel
from gui.panels.lines import FundingPanel, OpenInterestPanel
from gui.panels.long_short import LongShortPanel
from gui.panels.volume import VolumePanel

PRICE_HEIGHT = 520  # the price chart above them (splitter pixels)


@dataclass(frozen=True)
class PanelSpec:
    name: str  # the id: settings keys ("view/panel_<name>"), action names ("panel_<name>")
    title: str  # View menu text
    cls: type[ChartPanel]
    height: int = 90  # default splitter height
    shown: bool = True  # shown in a new layout


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("volume", "Volume", VolumePanel, 90),
    PanelSpec("open_interest", "Open interest", OpenInterestPanel, 120),
    PanelSpec("funding", "Funding", FundingPanel, 80),
    PanelSpec("liquidations", "Liquidation events", LiquidationEventsPanel, 90),
    PanelSpec("long_short", "Long/short account ratio", LongShortPanel, 90, shown=False),
    PanelSpec("cvd", "CVD (cumulative volume delta)", CvdPanel, 90, shown=False),
)

PANEL_NAMES: tuple[str, ...] = tuple(p.name for p in PANELS)


def spec(name: str) -> PanelSpec:
    return next(p for p in PANELS if p.name == name)


def default_sizes() -> list[int]:
    """Splitter heights of a new layout: the price chart, then every panel."""
    return [PRICE_HEIGHT, *(p.height for p in PANELS)]


def needs_frames(names: tuple[str, ...] | None = None) -> bool:
    """Whether any of panels ``names`` (None: all) computes its own data from the frames."""
    return any((names is None or p.name in names) and p.cls.data_from is not ChartPanel.data_from for p in PANELS)


def panel_data(frames, chart: ChartData, names: tuple[str, ...] | None = None) -> Mapping[str, Any]:
    """Each panel's own data (``data_from``) for ``frames``; only ``names`` (the shown ones) if given.

    Called in the view worker: a hidden panel costs nothing.
    """
    out: dict[str, Any] = {}
    for p in PANELS:
        if names is not None and p.name not in names:
            continue
        data = p.cls.data_from(frames, chart)
        if data is not None:
            out[p.name] = data
    return out
