"""Venue adapters: one module per exchange, found through the registry (``market.venues``).

``VENUES`` maps Cascade's exchange name to its adapter instance. It is lazy: an adapter's module is
imported the first time the engine asks for it, so a registered venue needs no line here.
"""

from __future__ import annotations

from typing import Iterator, Mapping

import market.venues as registry
from market.live.venues.base import Venue


class _Adapters(Mapping[str, Venue]):
    """The registry's venues that have a live adapter, each built once on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Venue] = {}

    def _names(self) -> tuple[str, ...]:
        return tuple(v.name for v in registry.VENUES.values() if v.adapter)

    def __getitem__(self, name: str) -> Venue:
        if name not in self._built:
            entry = registry.VENUES.get(name)
            if entry is None or not entry.adapter:
                raise KeyError(name)
            self._built[name] = registry.load(entry.adapter)()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()


VENUES: Mapping[str, Venue] = _Adapters()

__all__ = ["VENUES", "Venue"]
