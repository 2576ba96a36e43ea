"""Binance USDⓈ-M (ccxt id ``binanceusdm``).

Units (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api):
- klines: index 5 volume in base asset, 7 quote asset volume, 9 taker buy base asset volume.
- openInterest: ``openInterest`` in base asset (no value: we multiply by premiumIndex ``markPrice``).
- openInterestHist: ``sumOpenInterest`` base, ``sumOpenInterestValue`` USDT; only the last 30 days, periods >= 5m.
- premiumIndex: ``lastFundingRate`` is the rate that settles at ``nextFundingTime``.
- forceOrder stream: ``S`` is the forced ORDER's side (SELL closes a long); ccxt.pro's parser puts ``ap``
  (average price) in price and ``l`` (last filled qty, base) in contracts, contractSize 1.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from market.live.venues.base import DAY_MS, OI_PERIOD_MS, Venue, expect_dict, expect_list, fnum, frame, swap_host

REST_KEYS = ("fapiPublic", "fapiPublicV2", "fapiPublicV3", "fapiPrivate", "fapiPrivateV2", "fapiPrivateV3", "fapiData")


class Binance(Venue):
    name = "binance"
    ccxt_id = "binanceusdm"
    label = "Binance"
    # fetchCurrencies would call signed /sapi endpoints on the spot host; Cascade needs none of it.
    ccxt_options = {"fetchCurrencies": False, "fetchMarkets": {"types": ["linear"]}}
    candle_limit = 1500
    oi_limit = 500
    ls_limit = 500
    funding_limit = 1000
    oi_history_ms = 30 * DAY_MS
    has_taker_buy_volume = True

    def point_at(self, ex, rest: Optional[str], ws: Optional[str]) -> None:
        if rest:
            for k in REST_KEYS:
                ex.urls["api"][k] = swap_host(ex.urls["api"][k], rest)
        if ws:
            # ccxt 4.5.44 keys the USDⓈ-M stream URL 'future', later releases 'linear'
            for key in ("linear", "future"):
                if key in ex.urls["api"]["ws"]:
                    ex.urls["api"]["ws"][key] = ws

    async def candles(self, ex, market, start, end, tf="1m"):
        raw = await ex.fapiPublicGetKlines({"symbol": market["id"], "interval": tf, "startTime": start, "endTime": end,
                                            "limit": self.candle_limit})
        rows = []
        for k in expect_list(raw, "klines"):
            rows.append({"ts": int(k[0]), "open": fnum(k[1]), "high": fnum(k[2]), "low": fnum(k[3]), "close": fnum(k[4]),
                         "volume": fnum(k[5]), "quote_volume": fnum(k[7]), "taker_buy_volume": fnum(k[9])})
        return frame("candles", self.name, rows)

    async def oi_history(self, ex, market, start, end):
        raw = await ex.fapiDataGetOpenInterestHist({"symbol": market["id"], "period": "5m", "startTime": start,
                                                    "endTime": end, "limit": self.oi_limit})
        rows = [{"ts": int(r["timestamp"]), "oi_base": fnum(r["sumOpenInterest"]), "oi_usd": fnum(r["sumOpenInterestValue"])}
                for r in expect_list(raw, "openInterestHist")]
        return frame("open_interest", self.name, rows)

    async def oi_now(self, ex, market):
        oi = expect_dict(await ex.fapiPublicGetOpenInterest({"symbol": market["id"]}), "openInterest")
        prem = expect_dict(await ex.fapiPublicGetPremiumIndex({"symbol": market["id"]}), "premiumIndex")
        amount = fnum(oi["openInterest"])
        return frame("open_interest", self.name, [{"ts": int(oi["time"]), "oi_base": amount,
                                                    "oi_usd": amount * fnum(prem["markPrice"])}])

    async def funding_history(self, ex, market, start, end):
        raw = await ex.fapiPublicGetFundingRate({"symbol": market["id"], "startTime": start, "endTime": end,
                                                 "limit": self.funding_limit})
        rows = [{"ts": int(r["fundingTime"]), "rate": fnum(r["fundingRate"])} for r in expect_list(raw, "fundingRate")]
        return frame("funding", self.name, rows)

    async def funding_now(self, ex, market):
        prem = expect_dict(await ex.fapiPublicGetPremiumIndex({"symbol": market["id"]}), "premiumIndex")
        return frame("funding", self.name, [{"ts": int(prem["nextFundingTime"]), "rate": fnum(prem["lastFundingRate"])}])

    async def long_short(self, ex, market, start, end):
        raw = await ex.fapiDataGetGlobalLongShortAccountRatio({"symbol": market["id"], "period": "5m", "startTime": start,
                                                               "endTime": end, "limit": self.ls_limit})
        rows = [{"ts": int(r["timestamp"]), "ratio": fnum(r["longShortRatio"])}
                for r in expect_list(raw, "globalLongShortAccountRatio")]
        return frame("long_short", self.name, rows)

    async def leverage_tiers(self, ex, market):
        return None  # GET /fapi/v1/leverageBracket is signed: brackets need an API key (see analytics/liqprice.py)

    def liquidations(self, items, market):
        # forceOrder S = side of the forced order: SELL liquidates a long position.
        return self.unified_liquidations(items, market, long_side="sell")
