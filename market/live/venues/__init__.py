"""Venue adapters: one per exchange, keyed by Cascade's exchange name."""

from market.live.venues.base import Venue
from market.live.venues.binance import Binance
from market.live.venues.bybit import Bybit
from market.live.venues.okx import Okx

VENUES: dict[str, Venue] = {"binance": Binance(), "okx": Okx(), "bybit": Bybit()}

__all__ = ["VENUES", "Venue"]
