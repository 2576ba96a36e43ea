"""The venues Cascade knows, registered once.

Everything that lists exchanges (the simulator's per-venue shares, toolbar toggles, colours, menus, the
lists in commands, the liquidation-price rules, the live engine's adapters, the fake exchange's routes)
reads this registry or receives venue names as data, so a new venue is its own modules plus one entry
in ``_REGISTERED`` below:

- ``market/live/venues/<name>.py``: the live adapter (a ``market.live.venues.base.Venue`` subclass),
  named here by ``adapter`` ("module:Class") and imported only when the live engine first needs it;
- ``tests/fake_exchange/<name>.py``: its loopback fake (named by ``fake``), which the fake server mounts;
- optionally its private-accounts side: ``accounts`` (API-key accounts, market/accounts/venues.py) or
  ``wallet``, a module that reads a wallet's positions from its public address (no key at all).

No ccxt and no Qt here: this is plain data, importable by every layer. The adapters are loaded lazily
(``load``) so importing the registry never imports ccxt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Venue:
    """What the rest of the app needs to know about one venue, besides its live adapter.

    ``demo_share``: share of the demo market's position flow and volume (normalized over the venues
    simulated); ``demo_basis``: the demo venue's mean log premium over the mid price.
    ``colour_dark`` / ``colour_light``: its series colour in the dark and light themes.
    ``public_liquidations``: whether the venue publishes a public liquidation stream that Cascade reads.
    ``adapter`` / ``fake``: "module:Class" of the live adapter, module of the test fake (see above).
    ``accounts``: API-key (signed) accounts are supported (``passphrase``: its keys come with one);
    ``wallet``: the module ("market.accounts.<name>_wallet") whose ``check_address(text)`` and
    ``fetch(address, urls_override, timeout_s)`` read a wallet's positions from its public address (the
    address is public, so it is kept in the settings, never in the keyring).
    """

    name: str
    label: str
    colour_dark: str
    colour_light: str
    demo_share: float
    demo_basis: float
    public_liquidations: bool = True
    adapter: str = ""
    fake: str = ""
    accounts: bool = False
    passphrase: bool = False
    wallet: str = ""


_REGISTERED: tuple[Venue, ...] = (
    Venue("binance", "Binance", "#f0b90b", "#c99400", demo_share=0.50, demo_basis=0.0,
          adapter="market.live.venues.binance:Binance", fake="tests.fake_exchange.binance", accounts=True),
    Venue("okx", "OKX", "#8ab4f8", "#1a5fd0", demo_share=0.30, demo_basis=1.5e-4,
          adapter="market.live.venues.okx:Okx", fake="tests.fake_exchange.okx", accounts=True,
          passphrase=True),
    Venue("bybit", "Bybit", "#ff8a3d", "#e0661b", demo_share=0.20, demo_basis=-1.0e-4,
          adapter="market.live.venues.bybit:Bybit", fake="tests.fake_exchange.bybit", accounts=True),
    Venue("hyperliquid", "Hyperliquid", "#50d2c1", "#0f8f80", demo_share=0.12, demo_basis=0.5e-4, public_liquidations=False,
          adapter="market.live.venues.hyperliquid:Hyperliquid", fake="tests.fake_exchange.hyperliquid",
          wallet="market.accounts.hyperliquid_wallet"),
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


def needs_passphrase(name: str) -> bool:
    """Whether the venue's API keys come with a passphrase (an unknown venue: no)."""
    v = VENUES.get(name)
    return bool(v and v.passphrase)


def labels_text(last: str = "and") -> str:
    """The registered venues' names as a phrase: "Binance, OKX, Bybit and Hyperliquid" (for user text)."""
    labels = [v.label for v in VENUES.values()]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {last} {labels[-1]}"


def names_with(flag: str) -> tuple[str, ...]:
    """The registered venues whose boolean field ``flag`` is set (e.g. "accounts"), in registry order."""
    return tuple(v.name for v in VENUES.values() if getattr(v, flag))


def load(path: str) -> Any:
    """Import "package.module:Name" (or a bare module path) and return the object: adapters load lazily."""
    module, _, attr = path.partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod
