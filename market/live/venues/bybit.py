"""Bybit (ccxt id ``bybit``), v5 API, linear contracts.

Units (https://bybit-exchange.github.io/docs/v5/market/...):
- kline ``[startTime, open, high, low, close, volume (base for linear), turnover (quote)]``, newest first;
  no taker buy volume.
- open-interest ``openInterest`` in base coin for linear contracts (BTC for BTCUSDT) and no value: we
  price it with the close of the 1m candle ending at that instant. tickers has ``openInterestValue``.
- account-ratio gives ``buyRatio``/``sellRatio`` (account shares); "Long-short account ratio = Long account
  ratio / Short account ratio" (docs v5/market/long-short-ratio), so ratio = buyRatio / sellRatio.
- allLiquidation stream: ``S`` is the liquidated POSITION's side ("When you receive a Buy update, this means
  that a long position has been liquidated", Bybit v5 docs, websocket/public/all-liquidation) — the
  opposite of Binance's convention. ``v`` size in base coin; ccxt.pro's bybit parser lowercases S into side.
"""

from __future__ import annotations

from typing import Optional

from market.live.field_units import bybit_rate
from market.live.venues.base import Venue, expect_dict, expect_list, fnum, frame

TF = {"1m": "1", "5m": "5", "15m": "15", "1h": "60", "4h": "240", "1d": "D"}
REST_KEYS = ("spot", "futures", "v2", "public", "private")


def _result(raw, where: str) -> dict:
    body = expect_dict(raw, where)
    if int(body.get("retCode", 0)) != 0:
        from market.live.retry import MalformedResponse

        raise MalformedResponse(f"{where}: retCode {body.get('retCode')}")
    return expect_dict(body.get("result"), where)


class Bybit(Venue):
    name = "bybit"
    ccxt_id = "bybit"
    label = "Bybit"
    ccxt_options = {"fetchMarkets": {"types": ["linear"]}, "defaultType": "swap"}
    candle_limit = 1000
    oi_limit = 200
    ls_limit = 500
    funding_limit = 200

    def point_at(self, ex, rest: Optional[str], ws: Optional[str]) -> None:
        if rest:
            for k in REST_KEYS:
                ex.urls["api"][k] = rest.rstrip("/")
        if ws:
            ex.urls["api"]["ws"]["public"]["linear"] = ws

    async def candles(self, ex, market, start, end, tf="1m"):
        raw = await ex.publicGetV5MarketKline({"category": "linear", "symbol": market["id"], "interval": TF[tf],
                                               "start": start, "end": end, "limit": self.candle_limit})
        rows = [{"ts": int(k[0]), "open": fnum(k[1]), "high": fnum(k[2]), "low": fnum(k[3]), "close": fnum(k[4]),
                 "volume": fnum(k[5]), "quote_volume": fnum(k[6])} for k in expect_list(_result(raw, "kline").get("list"), "kline")]
        return frame("candles", self.name, rows)

    async def oi_history(self, ex, market, start, end):
        raw = await ex.publicGetV5MarketOpenInterest({"category": "linear", "symbol": market["id"], "intervalTime": "5min",
                                                      "startTime": start, "endTime": end, "limit": self.oi_limit})
        rows = [{"ts": int(r["timestamp"]), "oi_base": fnum(r["openInterest"]) * float(market.get("contractSize") or 1.0)}
                for r in expect_list(_result(raw, "open-interest").get("list"), "open-interest")]
        return frame("open_interest", self.name, rows)  # oi_usd NaN: filled from candles by the caller

    async def _ticker(self, ex, market) -> tuple[dict, int]:
        raw = await ex.publicGetV5MarketTickers({"category": "linear", "symbol": market["id"]})
        items = expect_list(_result(raw, "tickers").get("list"), "tickers")
        return expect_dict(items[0], "tickers"), int(raw["time"])

    async def oi_now(self, ex, market):
        t, now = await self._ticker(ex, market)
        return frame("open_interest", self.name, [{"ts": now, "oi_base": fnum(t["openInterest"]),
                                                    "oi_usd": fnum(t["openInterestValue"])}])

    async def funding_history(self, ex, market, start, end):
        raw = await ex.publicGetV5MarketFundingHistory({"category": "linear", "symbol": market["id"], "startTime": start,
                                                        "endTime": end, "limit": self.funding_limit})
        rows = [{"ts": int(r["fundingRateTimestamp"]), "rate": fnum(r["fundingRate"])}
                for r in expect_list(_result(raw, "funding/history").get("list"), "funding/history")]
        return frame("funding", self.name, rows)

    async def funding_now(self, ex, market):
        t, _ = await self._ticker(ex, market)
        return frame("funding", self.name, [{"ts": int(t["nextFundingTime"]), "rate": fnum(t["fundingRate"])}])

    async def long_short(self, ex, market, start, end):
        raw = await ex.publicGetV5MarketAccountRatio({"category": "linear", "symbol": market["id"], "period": "5min",
                                                      "startTime": start, "endTime": end, "limit": self.ls_limit})
        rows = [{"ts": int(r["timestamp"]), "ratio": fnum(r["buyRatio"]) / fnum(r["sellRatio"])}
                for r in expect_list(_result(raw, "account-ratio").get("list"), "account-ratio")]
        return frame("long_short", self.name, rows)

    async def leverage_tiers(self, ex, market):
        raw = await ex.publicGetV5MarketRiskLimit({"category": "linear", "symbol": market["id"]})
        # maintenanceMargin is a rate in percent or as a fraction depending on the answer: see field_units.
        return [{"tier": int(r["id"]), "max_notional_usd": fnum(r["riskLimitValue"]),
                 "mmr": bybit_rate(fnum(r["maintenanceMargin"]), fnum(r.get("initialMargin")), fnum(r["maxLeverage"])),
                 "max_leverage": fnum(r["maxLeverage"])} for r in expect_list(_result(raw, "risk-limit").get("list"), "risk-limit")]

    def liquidations(self, items, market):
        return self.unified_liquidations(items, market, long_side="buy")  # S = position side (Bybit docs)
