"""Hyperliquid perpetuals (ccxt id ``hyperliquid``): every public call is POST /info with a JSON ``type``.

What the venue serves (https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint
and its ``perpetuals`` page; the shapes below are the ones ccxt 4.5's hyperliquid.py records and parses):
- ``metaAndAssetCtxs``: ``[{"universe": [{name, szDecimals, maxLeverage, ...}]}, [{funding, openInterest,
  markPx, oraclePx, dayNtlVlm, premium, ...}]]``, the two lists aligned by index. ``openInterest`` is in
  the coin (BTC), ``funding`` the current hourly rate. It is a snapshot: no timestamp, and **there is no
  open-interest history endpoint at all**, so Cascade's OI history on Hyperliquid starts when Cascade
  first recorded it (the feed state says since when).
- ``candleSnapshot`` ``{"req": {coin, interval, startTime, endTime}}``: ``[{t, T, s, i, o, c, h, l, v, n}]``
  with ``v`` in the coin; "only the most recent 5000 candles are available", so 1m history reaches back
  5000 minutes (about 3.5 days). No quote or taker volume: both stay unknown (NaN).
- ``fundingHistory`` ``{coin, startTime, endTime}``: ``[{coin, fundingRate, premium, time}]``, 500 rows at
  most per answer. Funding settles **every hour** on Hyperliquid, so a rate is per hour (an 8-hour
  venue's rate is comparable to 8 of these).
- No long/short account ratio, and no public liquidation stream: ccxt's unified API offers only the
  private ``watchMyLiquidations`` (one's own wallet), and the documented WebSocket subscriptions have no
  public liquidation channel. Both feeds say so (FEED_UNAVAILABLE) instead of listening to nothing.
- Markets are USDC-settled: Cascade's BTC/USDT:USDT is Hyperliquid's BTC/USDC:USDC (USDC counted as USD).
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from market.live.venues.base import Venue, expect_dict, expect_list, fnum, frame
from market.series import MINUTE_MS

HOUR_MS = 60 * MINUTE_MS
CANDLES_SERVED = 5000  # "only the most recent 5000 candles are available" (candleSnapshot)


def coin(market: dict) -> str:
    """The coin name the info endpoint wants ("BTC"): ccxt keeps it as the market's ``baseName``."""
    return str(market.get("baseName") or market["base"])


def asset_context(raw, name: str) -> dict:
    """One coin's entry of a metaAndAssetCtxs answer (the universe and the contexts align by index)."""
    body = expect_list(raw, "metaAndAssetCtxs")
    if len(body) != 2:
        from market.live.retry import MalformedResponse

        raise MalformedResponse("metaAndAssetCtxs: expected [meta, contexts]")
    universe = expect_list(expect_dict(body[0], "metaAndAssetCtxs meta").get("universe"), "metaAndAssetCtxs universe")
    ctxs = expect_list(body[1], "metaAndAssetCtxs contexts")
    for i, u in enumerate(universe):
        if isinstance(u, dict) and u.get("name") == name and i < len(ctxs):
            return expect_dict(ctxs[i], "metaAndAssetCtxs context")
    from market.live.retry import MalformedResponse

    raise MalformedResponse(f"metaAndAssetCtxs: no context for {name}")


class Hyperliquid(Venue):
    name = "hyperliquid"
    ccxt_id = "hyperliquid"
    label = "Hyperliquid"
    # Perpetuals only: spot and the builder-deployed (HIP-3) dexes would cost one request each at start.
    ccxt_options = {"fetchMarkets": {"types": ["swap"]}, "defaultType": "swap"}
    candle_limit = CANDLES_SERVED
    funding_limit = 500
    funding_period_ms = HOUR_MS
    oi_history_ms = 0  # no OI history endpoint: only what Cascade recorded itself
    candle_history_ms = CANDLES_SERVED * MINUTE_MS
    not_published = {
        "long_short": "Hyperliquid publishes no long/short account ratio",
        "liquidations": ("Hyperliquid publishes no public liquidation stream (ccxt has only the private "
                         "watchMyLiquidations): its liquidations are the model's estimate"),
    }

    def listing(self, symbol: str) -> str:
        base = symbol.split("/")[0]
        return f"{base}/USDC:USDC"

    def point_at(self, ex, rest: Optional[str], ws: Optional[str]) -> None:
        if rest:
            ex.urls["api"]["public"] = rest.rstrip("/")
            ex.urls["api"]["private"] = rest.rstrip("/")
        if ws:
            ex.urls["api"]["ws"]["public"] = ws

    async def candles(self, ex, market, start, end, tf="1m"):
        raw = await ex.publicPostInfo({"type": "candleSnapshot",
                                       "req": {"coin": coin(market), "interval": tf, "startTime": start, "endTime": end}})
        rows = []
        for k in expect_list(raw, "candleSnapshot"):
            k = expect_dict(k, "candleSnapshot row")
            rows.append({"ts": int(k["t"]), "open": fnum(k["o"]), "high": fnum(k["h"]), "low": fnum(k["l"]),
                         "close": fnum(k["c"]), "volume": fnum(k["v"])})
        return frame("candles", self.name, rows)

    async def volume_30d(self, ex, market, now_ms: int) -> float:
        # Hyperliquid candles carry no quote volume; the 24 h notional volume (dayNtlVlm) is the only USD
        # figure, so the 30-day volume is unknown rather than a sum of NaNs read as zero.
        return float("nan")

    async def oi_history(self, ex, market, start, end):
        return frame("open_interest", self.name, [])  # no such endpoint (see the module docstring)

    async def _context(self, ex, market) -> dict:
        return asset_context(await ex.publicPostInfo({"type": "metaAndAssetCtxs"}), coin(market))

    async def oi_now(self, ex, market):
        ctx = await self._context(ex, market)
        amount = fnum(ctx["openInterest"])
        # ts 0: the snapshot has no time of its own; the engine stamps it with its clock (see ``stamp``).
        return frame("open_interest", self.name, [{"ts": 0, "oi_base": amount, "oi_usd": amount * fnum(ctx["markPx"])}])

    async def funding_history(self, ex, market, start, end):
        raw = await ex.publicPostInfo({"type": "fundingHistory", "coin": coin(market), "startTime": start, "endTime": end})
        rows = [{"ts": int(r["time"]), "rate": fnum(r["fundingRate"])} for r in expect_list(raw, "fundingHistory")]
        return frame("funding", self.name, rows)

    async def funding_now(self, ex, market):
        ctx = await self._context(ex, market)
        return frame("funding", self.name, [{"ts": 0, "rate": fnum(ctx["funding"])}])  # settles at the next hour

    def stamp(self, series: str, df: pd.DataFrame, now_ms: int) -> pd.DataFrame:
        if len(df) == 0:
            return df
        if series == "funding":  # the current rate settles at the next full hour
            return df.assign(ts=(now_ms // HOUR_MS + 1) * HOUR_MS)
        return df.assign(ts=int(now_ms))

    async def long_short(self, ex, market, start, end):
        return frame("long_short", self.name, [])  # not published (see not_published)

    def liquidations(self, items, market):
        return frame("liquidations", self.name, [])  # no public stream (see not_published)
