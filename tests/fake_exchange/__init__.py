"""A fake Binance/OKX/Bybit on 127.0.0.1 for testing the real ccxt code path (see README.md)."""

from tests.fake_exchange.faults import Fault
from tests.fake_exchange.server import FakeExchange, FakeState, build_app

__all__ = ["FakeExchange", "FakeState", "Fault", "build_app"]
