"""Private exchange clients (signed calls with the user's read-only key), built on ccxt.

Use the module functions, e.g. ``from market import accounts; accounts.test_connection(...)`` (importing
``test_connection`` by name into a pytest module would make pytest try to collect it).
"""

from market.accounts.client import (
    apply_urls_override,
    classify,
    fetch_balance,
    fetch_balance_async,
    fetch_brackets,
    fetch_brackets_async,
    fetch_positions,
    fetch_positions_async,
    normalize_balance,
    normalize_position,
    parse_binance_brackets,
    test_connection,
    test_connection_async,
)
from market.accounts.model import Balance, ConnectionResult, ConnectionStatus, Position
from market.accounts.scrub import AccountError, scrub

__all__ = [
    "AccountError",
    "Balance",
    "ConnectionResult",
    "ConnectionStatus",
    "Position",
    "apply_urls_override",
    "classify",
    "fetch_balance",
    "fetch_balance_async",
    "fetch_brackets",
    "fetch_brackets_async",
    "fetch_positions",
    "fetch_positions_async",
    "normalize_balance",
    "normalize_position",
    "parse_binance_brackets",
    "scrub",
    "test_connection",
    "test_connection_async",
]
