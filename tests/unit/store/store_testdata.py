"""Small hand-made market data for the store, snapshot and import tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from market.series import MarketFrames

T0 = 1_769_806_800_000  # 2026-01-30 21:00 UTC
M = 60_000


def make_frames(symbol: str = "BTC/USDT:USDT", minutes: int = 6, t0: int = T0) -> MarketFrames:
    """Every series filled, with the awkward cases a store must keep: NaN where a venue does not tell,
    several liquidations sharing (ts, exchange) in an order that is not sorted by side or price."""
    rows = []
    for i in range(minutes):
        for k, ex in enumerate(("binance", "okx", "bybit")):
            o = 84_000.0 + 10 * i + k
            rows.append(
                dict(ts=t0 + i * M, exchange=ex, open=o, high=o + 25.5, low=o - 12.25, close=o + 3.0,
                     volume=1.5 + i, taker_buy_volume=np.nan if ex == "okx" else 0.75 + i,
                     quote_volume=(1.5 + i) * o)
            )
    candles = pd.DataFrame(rows)
    oi = pd.DataFrame(
        [dict(ts=t0 + i * 5 * M, exchange=ex, oi_base=80_000.0 + i, oi_usd=np.nan if ex == "bybit" else 6.7e9 + i)
         for i in range(2) for ex in ("binance", "okx", "bybit")]
    )
    funding = pd.DataFrame([dict(ts=t0, exchange="binance", rate=-8.4e-7), dict(ts=t0, exchange="okx", rate=1e-4)])
    liq = pd.DataFrame(
        [
            dict(ts=t0 + M, exchange="binance", side="short", price=84_100.0, qty_base=0.5, notional_usd=42_050.0),
            dict(ts=t0 + M, exchange="binance", side="long", price=84_000.0, qty_base=0.25, notional_usd=21_000.0),
            dict(ts=t0 + M, exchange="binance", side="long", price=83_990.0, qty_base=1.0, notional_usd=83_990.0),
            dict(ts=t0 + 2 * M, exchange="okx", side="long", price=83_900.0, qty_base=0.01, notional_usd=839.0),
        ]
    )
    ls = pd.DataFrame([dict(ts=t0, exchange="binance", ratio=1.08), dict(ts=t0 + 5 * M, exchange="binance", ratio=1.02)])
    # Per-minute sums as an aggregator counts them: base for a linear contract, USD for an inverse one.
    minutes = pd.DataFrame(
        [
            dict(ts=t0, exchange="okx", long_usd=np.nan, short_usd=np.nan, long_base=0.6074, short_base=0.0),
            dict(ts=t0 + M, exchange="bybit", long_usd=90_362.0, short_usd=0.0, long_base=np.nan, short_base=np.nan),
        ]
    )
    return MarketFrames.build(symbol, M, candles=candles, open_interest=oi, funding=funding, liquidations=liq, long_short=ls,
                              liquidation_minutes=minutes)


def assert_frames_equal(a: MarketFrames, b: MarketFrames) -> None:
    assert a.symbol == b.symbol and a.timeframe_ms == b.timeframe_ms
    for name in a.row_counts():
        pd.testing.assert_frame_equal(a.series(name), b.series(name), check_exact=True, obj=name)
