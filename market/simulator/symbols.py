"""The instruments the demo market simulates, each at its own price level and size.

Sizes are in each instrument's own base units (BTC, ETH, SOL); the USD value of open interest and volume
is of the same order for all three, as on the real venues, with smaller coins a little more volatile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class DemoSymbol:
    symbol: str
    base_price: float  # price at the start of the warm-up
    target_oi_base: float  # open interest (each contract once) the crowd tends to, over all venues, base units
    background_volume_base: float  # base per minute over all venues besides position flow
    vol_scale: float  # multiplier on the per-minute volatility regimes
    seed_key: int  # mixed into the seed so every symbol of one seed has its own path


_SYMBOLS: tuple[DemoSymbol, ...] = (
    DemoSymbol("BTC/USDT:USDT", 90_000.0, 45_000.0, 80.0, 1.0, 0),
    DemoSymbol("ETH/USDT:USDT", 3_000.0, 900_000.0, 2_400.0, 1.3, 1),
    DemoSymbol("SOL/USDT:USDT", 150.0, 9_000_000.0, 36_000.0, 1.7, 2),
)

DEMO_SYMBOLS: Mapping[str, DemoSymbol] = {s.symbol: s for s in _SYMBOLS}


def demo_symbol(symbol: str) -> DemoSymbol:
    """The demo instrument ``symbol``; ValueError naming the ones there are otherwise."""
    spec = DEMO_SYMBOLS.get(symbol)
    if spec is None:
        raise ValueError(f"{symbol!r} is not in the demo market; choose one of {', '.join(DEMO_SYMBOLS)}")
    return spec
