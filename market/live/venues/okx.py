"""OKX (ccxt id ``okx``), v5 API.

Units (https://www.okx.com/docs-v5/en/):
- swap amounts are in CONTRACTS; a market's ``contractSize`` is OKX's ``ctVal`` (BTC-USDT-SWAP: 0.01 BTC),
  ccxt's okx.parse_market sets contractSize = ctVal. Base amount = contracts * contractSize.
- candles ``[ts, o, h, l, c, vol (contracts), volCcy (base for derivatives), volCcyQuote (quote), confirm]``,
  newest first; ``after`` = older than, ``before`` = newer than (exclusive). No taker buy volume.
- rubik open-interest-history ``[ts, oi (contracts), oiCcy (base), oiUsd]``; public/open-interest ``oi`` contracts.
- funding-rate-history: ``realizedRate`` is what settled (``fundingRate`` the prediction it replaced).
- liquidation-orders: ``sz`` in contracts, ``bkPx`` the bankruptcy price; ``posSide`` long/short in
  long/short mode, "net" in net mode where the forced order's ``side`` tells it (sell closes a long).
  ccxt.pro's okx parser keeps only details[0]; we read every detail from the raw ``info``.
"""

from __future__ import annotations

from typing import Optional

from market.live.history_depth import HistoryTier
from market.live.venues.base import DAY_MS, OI_PERIOD_MS, Venue, expect_dict, expect_list, fnum, frame

TF = {"1m": "1m", "5m": "5m", "15m": "15m", "1h": "1H", "4h": "4H", "1d": "1Dutc"}


def _data(raw, where: str) -> list:
    body = expect_dict(raw, where)
    if str(body.get("code", "0")) != "0":
        from market.live.retry import MalformedResponse

        raise MalformedResponse(f"{where}: code {body.get('code')}")
    return expect_list(body.get("data"), where)


class Okx(Venue):
    name = "okx"
    ccxt_id = "okx"
    label = "OKX"
    ccxt_options = {"fetchMarkets": {"types": ["swap"]}, "defaultType": "swap"}
    candle_limit = 100  # history-candles serves at most 100 rows per request
    oi_limit = 100
    ls_limit = 100
    funding_limit = 100
    # rubik OI and long/short history: the latest 1,440 rows per period, periods 5m / 1H / 1D (history_depth.py)
    history_tiers = (HistoryTier("5m", OI_PERIOD_MS, 1440), HistoryTier("1H", 12 * OI_PERIOD_MS, 1440),
                     HistoryTier("1D", DAY_MS, 1440))
    oi_history_ms = 1440 * OI_PERIOD_MS

    def point_at(self, ex, rest: Optional[str], ws: Optional[str]) -> None:
        if rest:
            ex.urls["api"]["rest"] = rest.rstrip("/")
        if ws:
            ex.urls["api"]["ws"] = ws  # ccxt.pro appends /public or /business

    def _ct(self, market) -> float:
        return float(market.get("contractSize") or 1.0)

    async def candles(self, ex, market, start, end, tf="1m"):
        raw = await ex.publicGetMarketHistoryCandles({"instId": market["id"], "bar": TF[tf], "before": start - 1,
                                                      "after": end + 1, "limit": self.candle_limit})
        rows = []
        for k in _data(raw, "history-candles"):
            # volCcy is already base for derivatives; volCcyQuote is the quote (USDT) volume.
            rows.append({"ts": int(k[0]), "open": fnum(k[1]), "high": fnum(k[2]), "low": fnum(k[3]), "close": fnum(k[4]),
                         "volume": fnum(k[6]), "quote_volume": fnum(k[7])})
        return frame("candles", self.name, rows)

    async def oi_history(self, ex, market, start, end, period: str = "5m"):
        raw = await ex.publicGetRubikStatContractsOpenInterestHistory({"instId": market["id"], "period": period,
                                                                       "begin": start, "end": end, "limit": self.oi_limit})
        ct = self._ct(market)
        rows = [{"ts": int(r[0]), "oi_base": fnum(r[1]) * ct, "oi_usd": fnum(r[3])} for r in _data(raw, "open-interest-history")]
        return frame("open_interest", self.name, rows)

    async def oi_now(self, ex, market):
        r = _data(await ex.publicGetPublicOpenInterest({"instType": "SWAP", "instId": market["id"]}), "open-interest")[0]
        # oiUsd is in the current docs (#public-data-rest-api-get-open-interest) but not in older answers
        # (ccxt's recording has instId/instType/oi/oiCcy/ts only): NaN then, priced from candles by the engine.
        return frame("open_interest", self.name, [{"ts": int(r["ts"]), "oi_base": fnum(r["oi"]) * self._ct(market),
                                                    "oi_usd": fnum(r.get("oiUsd"))}])

    async def funding_history(self, ex, market, start, end):
        raw = await ex.publicGetPublicFundingRateHistory({"instId": market["id"], "before": start - 1, "after": end + 1,
                                                          "limit": self.funding_limit})
        rows = []
        for r in _data(raw, "funding-rate-history"):
            rate = r.get("realizedRate") or r.get("fundingRate")
            rows.append({"ts": int(r["fundingTime"]), "rate": fnum(rate)})
        return frame("funding", self.name, rows)

    async def funding_now(self, ex, market):
        r = _data(await ex.publicGetPublicFundingRate({"instId": market["id"]}), "funding-rate")[0]
        return frame("funding", self.name, [{"ts": int(r["fundingTime"]), "rate": fnum(r["fundingRate"])}])

    async def long_short(self, ex, market, start, end, period: str = "5m"):
        raw = await ex.publicGetRubikStatContractsLongShortAccountRatioContract({"instId": market["id"], "period": period,
                                                                                "begin": start, "end": end, "limit": self.ls_limit})
        rows = [{"ts": int(r[0]), "ratio": fnum(r[1])} for r in _data(raw, "long-short-account-ratio")]
        return frame("long_short", self.name, rows)

    async def leverage_tiers(self, ex, market):
        family = (market.get("info") or {}).get("instFamily") or market["id"].rsplit("-", 1)[0]
        raw = await ex.publicGetPublicPositionTiers({"instType": "SWAP", "tdMode": "cross", "instFamily": family})
        ct = self._ct(market)
        return [{"tier": int(r["tier"]), "max_base": fnum(r["maxSz"]) * ct, "mmr": fnum(r["mmr"]),
                 "max_leverage": fnum(r["maxLever"])} for r in _data(raw, "position-tiers")]

    def liquidations(self, items, market):
        ct = self._ct(market)
        rows = []
        for it in items:
            info = it.get("info") or {}
            if info.get("instId") != market["id"]:
                continue  # the channel carries every SWAP instrument
            for d in info.get("details") or []:
                pos = str(d.get("posSide", "")).lower()
                side = pos if pos in ("long", "short") else ("long" if str(d.get("side")).lower() == "sell" else "short")
                qty = fnum(d["sz"]) * ct
                price = fnum(d["bkPx"])
                rows.append({"ts": int(d["ts"]), "side": side, "price": price, "qty_base": qty, "notional_usd": qty * price})
        return frame("liquidations", self.name, rows)

    def watch(self, ex, market):
        return ex.watch_liquidations_for_symbols([market["symbol"]])
