"""The venues Cascade knows, registered once.

Everything that lists exchanges (the simulator's per-venue shares, toolbar toggles, colours, menus, the
lists in analytics and commands, the liquidation-price rules) reads this registry or receives venue
names as data, so a new venue is its own modules plus one entry in ``_REGISTERED`` below.

No ccxt and no Qt here: this is plain data, importable by every layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Venue:
    """What the rest of the app needs to know about one venue, besides its live adapter.

    ``demo_share``: share of the demo market's position flow and volume (normalized over the venues
    simulated); ``demo_basis``: the demo venue's mean log premium over the mid price.
    ``colour_dark`` / ``colour_light``: its series colour in the dark and light themes.
    ``public_liquidations``: whether the venue publishes a public liquidation stream that Cascade reads.
    """

    name: str
    label: str
    colour_dark: str
    colour_light: str
    demo_share: float
    demo_basis: float
    public_liquidations: bool = True


_REGISTERED: tuple[Venue, ...] = (
    Venue("binance", "Binance", "#f0b90b", "#c99400", demo_share=0.50, demo_basis=0.0),
    Venue("okx", "OKX", "#8ab4f8", "#1a5fd0", demo_share=0.30, demo_basis=1.5e-4),
    Venue("bybit", "Bybit", "#ff8a3d", "#e0661b", demo_share=0.20, demo_basis=-1.0e-4),
)

VENUES: Mapping[str, Venue] = {v.name: v for v in _REGISTERED}
VENUE_NAMES: tuple[str, ...] = tuple(VENUES)


def venue(name: str) -> Venue:
    """The registered venue called ``name`` (KeyError for an unknown one)."""
    return VENUES[name]


def label(name: str) -> str:
    """The venue's display name; an unknown name is shown as given, capitalized."""
    v = VENUES.get(name)
    return v.label if v is not None else name.capitalize()
