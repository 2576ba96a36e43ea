"""Is the installed ccxt new enough for what the venues send today?

Two changes in ccxt matter to Cascade, each checked on the published wheels (pro/*.py):
- Binance moved its USDⓈ-M ``forceOrder`` and ``kline`` streams to ``wss://fstream.binance.com/market/...``
  (Binance, "Important WebSocket Change Notice", 2026-03-06; legacy URLs retired 2026-04-23). The old
  ``/ws`` path still acknowledges a SUBSCRIBE and then sends nothing, so an old ccxt looks connected and
  hears no liquidation ever. ccxt routes market streams to ``/market`` since PR #28091 (merged
  2026-03-07); 4.5.44 is the first release with it (4.5.43's pro/binance.py has no
  ``get_future_ws_category``).
- Bybit's ``allLiquidation`` items carry the side in ``S`` only. Up to 4.5.76 ccxt.pro's bybit parser read
  ``safe_string_lower(liquidation, 'side', 'S')``, where 'S' is the *default value*, not a second key: every
  event came out with side "s", which Cascade would read as a liquidated short. 4.5.77 reads
  ``safe_string_lower_2(liquidation, 'side', 'S')``.

The version is read from the package metadata, so checking it does not import ccxt (slow) at start-up.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Optional

# (first good release, venue, the feeds it breaks before that, what goes wrong)
REQUIREMENTS: tuple[tuple[tuple[int, ...], str, tuple[str, ...], str], ...] = (
    ((4, 5, 44), "binance", ("liquidations", "candles_stream"),
     "Binance acknowledges its liquidation and candle subscriptions and then sends nothing"),
    ((4, 5, 77), "bybit", ("liquidations",), "Bybit liquidations come out with the wrong side"),
)
MIN_CCXT = max(r[0] for r in REQUIREMENTS)  # keep in step with pyproject.toml's ccxt floor


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


def problem(version: Optional[str] = None, venue: Optional[str] = None, feed: Optional[str] = None) -> Optional[str]:
    """One plain line when ``version`` (default: the installed ccxt) is too old, else None.

    ``venue``/``feed`` ("liquidations", "candles_stream"): only what breaks that venue's feed; None = anything."""
    version = installed() if version is None else version
    if version is None:
        return f"ccxt is not installed: live mode needs it (pip install 'ccxt>={text(MIN_CCXT)}')"
    got = parse(version)
    if got is None:
        return None  # an unparsable version (a dev build) is given the benefit of the doubt
    reasons = [(need, why) for need, v, feeds, why in REQUIREMENTS
               if got < need and venue in (None, v) and (feed is None or feed in feeds)]
    if not reasons:
        return None
    need = max(n for n, _ in reasons)
    return (f"ccxt {version} is older than {text(need)}: " + "; ".join(why for _, why in reasons)
            + f"; upgrade with pip install 'ccxt>={text(MIN_CCXT)}'")
