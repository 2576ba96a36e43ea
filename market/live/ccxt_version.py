"""Is the installed ccxt new enough for the venues' current WebSocket routes?

Binance moved its USDⓈ-M ``forceOrder`` and ``kline`` streams to ``wss://fstream.binance.com/market/...``
(Binance, "Important WebSocket Change Notice", 2026-03-06; legacy URLs retired 2026-04-23). The old
``/ws`` path still acknowledges a SUBSCRIBE and then sends nothing, so an old ccxt looks connected and
hears no liquidation ever. ccxt routes market streams to ``/market`` since PR #28091 (merged 2026-03-07);
the first release carrying it is 4.5.44 (checked on the published wheels: 4.5.43's ``pro/binance.py`` has
no ``get_future_ws_category``, 4.5.44's has it and sends forceOrder/kline to ``/market/ws``).

The version is read from the package metadata, so checking it does not import ccxt (slow) at start-up.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Optional

MIN_CCXT = (4, 5, 44)  # keep in step with pyproject.toml's ccxt floor


def parse(version: str) -> Optional[tuple[int, ...]]:
    """'4.5.44' -> (4, 5, 44); '4.5.44rc1' -> (4, 5, 44); garbage -> None."""
    parts = []
    for piece in str(version).strip().split(".")[:3]:
        m = re.match(r"\d+", piece)
        if m is None:
            break
        parts.append(int(m.group()))
    return tuple(parts) if parts else None


def installed() -> Optional[str]:
    try:
        return metadata.version("ccxt")
    except metadata.PackageNotFoundError:
        return None


def text(v: tuple[int, ...]) -> str:
    return ".".join(str(x) for x in v)


def problem(version: Optional[str] = None, minimum: tuple[int, ...] = MIN_CCXT) -> Optional[str]:
    """One plain line when ``version`` (default: the installed ccxt) is older than ``minimum``, else None."""
    version = installed() if version is None else version
    if version is None:
        return "ccxt is not installed: live mode needs it (pip install 'ccxt>=%s')" % text(minimum)
    got = parse(version)
    if got is None or got >= minimum:
        return None  # an unparsable version (a dev build) is given the benefit of the doubt
    return (f"ccxt {version} is older than {text(minimum)}: Binance acknowledges its liquidation and candle "
            f"subscriptions and then sends nothing; upgrade with pip install 'ccxt>={text(minimum)}'")
