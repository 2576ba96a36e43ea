"""What every venue adapter provides, and the shape checks they share.

An adapter turns one ccxt exchange's raw answers into normalized rows (market.series). Where ccxt's
unified methods drop information Cascade needs (Binance's taker buy volume, OKX's contract units), the
adapter calls ccxt's implicit endpoint methods (``fapiPublicGetKlines`` ...) which still go through
ccxt's request, rate-limit and error machinery, and parses the documented fields itself.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from market.live.retry import MalformedResponse
from market.series import MINUTE_MS, SERIES_COLUMNS

OI_PERIOD_MS = 5 * MINUTE_MS  # finest OI / long-short history period all three venues serve
FUNDING_PERIOD_MS = 8 * 60 * MINUTE_MS
DAY_MS = 1440 * MINUTE_MS


def frame(series: str, exchange: str, rows: list[dict]) -> pd.DataFrame:
    """Rows (dicts without 'exchange') -> a frame of the series' columns; missing numeric columns are NaN."""
    cols = SERIES_COLUMNS[series]
    data = {}
    for c, t in cols.items():
        if c == "exchange":
            data[c] = pd.Series([exchange] * len(rows), dtype=object)
        else:
            data[c] = pd.Series([r.get(c, np.nan) for r in rows], dtype=t if t != "object" else object)
    return pd.DataFrame(data)


def expect_list(raw: Any, where: str) -> list:
    if not isinstance(raw, list):
        raise MalformedResponse(f"{where}: expected a JSON list, got {type(raw).__name__}")
    return raw


def expect_dict(raw: Any, where: str) -> dict:
    if not isinstance(raw, dict):
        raise MalformedResponse(f"{where}: expected a JSON object, got {type(raw).__name__}")
    return raw


def fnum(x: Any) -> float:
    """A venue's decimal string -> float; '' / None -> NaN."""
    if x is None or x == "":
        return float("nan")
    return float(x)


def swap_host(url: str, rest: str) -> str:
    """Keep ``url``'s path, put it on ``rest``'s scheme://host:port (to point ccxt at a fake exchange)."""
    return rest.rstrip("/") + urlparse(url).path


class Venue:
    name: str = ""
    ccxt_id: str = ""
    label: str = ""
    ccxt_options: dict = {}
    candle_limit = 500  # rows per candle request
    oi_limit = 100
    ls_limit = 100
    funding_limit = 100
    oi_history_ms: Optional[int] = None  # how far back the venue serves OI / long-short history (None = as asked)
    candle_history_ms: Optional[int] = None  # how far back the venue serves 1m candles (None = as asked)
    funding_period_ms = FUNDING_PERIOD_MS  # how often funding settles (Hyperliquid: every hour)
    has_taker_buy_volume = False
    # Series the venue does not publish at all -> the plain sentence its feed state shows (see FEED_UNAVAILABLE).
    not_published: dict[str, str] = {}

    def listing(self, symbol: str) -> str:
        """The venue's ccxt symbol for Cascade's ``symbol`` (a USDC-settled venue lists BTC/USDC:USDC)."""
        return symbol

    def stamp(self, series: str, df: pd.DataFrame, now_ms: int) -> pd.DataFrame:
        """Give a 'current' snapshot without a time of its own (ts 0) its time: as sent, by default."""
        return df

    def history_depth_ms(self, series: str) -> Optional[int]:
        """How far back before now the venue serves ``series`` history (None: as far as asked; 0: none)."""
        if series in ("open_interest", "long_short"):
            return self.oi_history_ms
        return self.candle_history_ms if series == "candles" else None

    def point_at(self, ex, rest: Optional[str], ws: Optional[str]) -> None:
        raise NotImplementedError

    def market_id(self, market: dict) -> str:
        return market["id"]

    # Each fetch is ONE request for the window [start, end] (inclusive), returning rows ascending.
    async def candles(self, ex, market: dict, start: int, end: int, tf: str = "1m") -> pd.DataFrame:
        raise NotImplementedError

    async def oi_history(self, ex, market: dict, start: int, end: int) -> pd.DataFrame:
        raise NotImplementedError

    async def oi_now(self, ex, market: dict) -> pd.DataFrame:
        raise NotImplementedError

    async def funding_history(self, ex, market: dict, start: int, end: int) -> pd.DataFrame:
        raise NotImplementedError

    async def funding_now(self, ex, market: dict) -> pd.DataFrame:
        raise NotImplementedError

    async def long_short(self, ex, market: dict, start: int, end: int) -> pd.DataFrame:
        raise NotImplementedError

    async def volume_30d(self, ex, market: dict, now_ms: int) -> float:
        """Quote volume (USD) of the last 30 complete UTC days, from daily candles."""
        start = (now_ms // DAY_MS - 30) * DAY_MS
        df = await self.candles(ex, market, start, start + 29 * DAY_MS, tf="1d")
        return float(df["quote_volume"].sum())

    async def leverage_tiers(self, ex, market: dict) -> Optional[list[dict]]:
        """Public tiers as [{tier, max_notional_usd | max_base, mmr, max_leverage}], or None when not public."""
        return None

    def liquidations(self, items: list, market: dict) -> pd.DataFrame:
        """ccxt.pro's cached liquidation structures -> normalized rows of ``market`` only."""
        raise NotImplementedError

    def unified_liquidations(self, items: list, market: dict, long_side: str) -> pd.DataFrame:
        """ccxt's unified liquidation structures of ``market`` -> rows; ``long_side`` is the ``side`` value
        ('buy' or 'sell', as the venue reports it) that means a LONG position was liquidated."""
        rows = []
        for it in items:
            if it.get("symbol") != market["symbol"]:
                continue
            qty = float(it["contracts"]) * float(market.get("contractSize") or 1.0)
            price = float(it["price"])
            side = "long" if str(it["side"]).lower() == long_side else "short"
            rows.append({"ts": int(it["timestamp"]), "side": side, "price": price, "qty_base": qty, "notional_usd": qty * price})
        return frame("liquidations", self.name, rows)

    def stream_candles(self, rows: list, market: dict) -> pd.DataFrame:
        """ccxt.pro watch_ohlcv rows [ts, o, h, l, c, volume] -> candle rows (quote/taker volume unknown: NaN).

        Volume is base on all three: Binance kline ``v`` (base asset), Bybit ``volume`` (base coin for
        linear), OKX candle index 6 ``volCcy`` (ccxt's okx.parse_ohlcv picks index 6 for non-spot markets).
        """
        out = [{"ts": int(r[0]), "open": float(r[1]), "high": float(r[2]), "low": float(r[3]), "close": float(r[4]),
                "volume": float(r[5])} for r in rows if r and r[0] is not None]
        return frame("candles", self.name, out)

    def watch(self, ex, market: dict):
        """The ccxt.pro coroutine that waits for the next liquidation message."""
        return ex.watch_liquidations(market["symbol"])
