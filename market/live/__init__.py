"""Live markets: Binance USDⓈ-M, OKX and Bybit via ccxt / ccxt.pro (imported lazily), see README.md."""

from market.live.fear_greed import FearGreed, fetch_fear_greed
from market.live.retry import RetryPolicy
from market.live.source import LiveSource

__all__ = ["FearGreed", "LiveSource", "RetryPolicy", "fetch_fear_greed"]
