"""The market the fake exchange serves: per-exchange MarketFrames on a 1-minute grid.

Driven by the demo simulator (market.simulator) when it is importable; otherwise by a small
deterministic generator with the same shape, so the fake exchange works on its own.
Values are rounded the way exchanges print them (price 0.1, amounts 0.001 BTC) so that a value served
as a decimal string and parsed back is exactly the stored float.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.series import EXCHANGES, MINUTE_MS, MarketFrames

OI_STEP_MS = 5 * MINUTE_MS
LS_STEP_MS = 5 * MINUTE_MS
FUNDING_STEP_MS = 8 * 60 * MINUTE_MS
CONTRACT_SIZE = {"binance": 1.0, "okx": 0.01, "bybit": 1.0}  # base units per contract


def _floor(ms: int, step: int) -> int:
    return ms - ms % step


def generate(start_ms: int, end_ms: int, seed: int = 7, symbol: str = "BTC/USDT:USDT") -> MarketFrames:
    """All series of ``symbol`` on the three venues for [start_ms, end_ms), deterministic in ``seed``."""
    start_ms = _floor(start_ms, MINUTE_MS)
    frames = _from_simulator(start_ms, end_ms, seed, symbol)
    return frames if frames is not None else _synthetic(start_ms, end_ms, seed, symbol)


def _from_simulator(start_ms: int, end_ms: int, seed: int, symbol: str) -> MarketFrames | None:
    try:  # the simulator is another helper's work; fall back to the synthetic market without it
        from market.simulator import SimConfig, simulate  # type: ignore
    except Exception:
        return None
    try:
        minutes = int((end_ms - start_ms) // MINUTE_MS)
        config = SimConfig(seed=seed, start_ms=start_ms, days=minutes / 1440, truth_every_minutes=0)
        frames = simulate(config, symbol=symbol).frames
    except Exception:
        return None
    return _round_for_wire(frames.slice(start_ms, end_ms))


def _round_for_wire(frames: MarketFrames) -> MarketFrames:
    c = frames.candles.copy()
    for col in ("open", "high", "low", "close"):
        c[col] = c[col].round(1)
    for col in ("volume", "taker_buy_volume"):
        c[col] = c[col].round(3)
    c["quote_volume"] = c["quote_volume"].round(2)
    oi = frames.open_interest.copy()
    oi["oi_base"] = oi["oi_base"].round(2)
    oi["oi_usd"] = oi["oi_usd"].round(2)
    liq = frames.liquidations.copy()
    liq["price"] = liq["price"].round(1)
    liq["qty_base"] = liq["qty_base"].round(2)
    liq["notional_usd"] = liq["qty_base"] * liq["price"]
    fu = frames.funding.copy()
    fu["rate"] = fu["rate"].round(8)
    ls = frames.long_short.copy()
    ls["ratio"] = ls["ratio"].round(4)
    return MarketFrames.build(frames.symbol, frames.timeframe_ms, candles=c, open_interest=oi, funding=fu, liquidations=liq, long_short=ls)


def _synthetic(start_ms: int, end_ms: int, seed: int, symbol: str) -> MarketFrames:
    rng = np.random.default_rng(seed)
    ts = np.arange(start_ms, end_ms, MINUTE_MS, dtype=np.int64)
    n = len(ts)
    base_path = 60_000.0 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    candles, ois, fundings, liqs, lss = [], [], [], [], []
    for k, ex in enumerate(EXCHANGES):
        close = np.round(base_path * (1 + 0.0002 * (k - 1)), 1)
        open_ = np.round(np.concatenate([[close[0]], close[:-1]]), 1)
        spread = np.round(np.abs(rng.normal(0, 15, n)), 1)
        high = np.round(np.maximum(open_, close) + spread, 1)
        low = np.round(np.minimum(open_, close) - spread, 1)
        volume = np.round(rng.gamma(2.0, 20.0, n) + 0.001, 3)
        taker = np.round(volume * rng.uniform(0.3, 0.7, n), 3)
        quote = np.round(volume * close, 2)
        candles.append(pd.DataFrame({"ts": ts, "exchange": ex, "open": open_, "high": high, "low": low, "close": close,
                                     "volume": volume, "taker_buy_volume": taker, "quote_volume": quote}))
        oi_ts = np.arange(-(-start_ms // OI_STEP_MS) * OI_STEP_MS, end_ms, OI_STEP_MS, dtype=np.int64)
        oi_base = np.round(80_000 + np.cumsum(rng.normal(0, 40, len(oi_ts))), 2)
        px = np.interp(oi_ts, ts, close)
        ois.append(pd.DataFrame({"ts": oi_ts, "exchange": ex, "oi_base": oi_base, "oi_usd": np.round(oi_base * px, 2)}))
        lss.append(pd.DataFrame({"ts": oi_ts, "exchange": ex, "ratio": np.round(rng.uniform(0.7, 1.6, len(oi_ts)), 4)}))
        f_ts = np.arange(-(-start_ms // FUNDING_STEP_MS) * FUNDING_STEP_MS, end_ms, FUNDING_STEP_MS, dtype=np.int64)
        fundings.append(pd.DataFrame({"ts": f_ts, "exchange": ex, "rate": np.round(rng.normal(0.0001, 0.00005, len(f_ts)), 8)}))
        m = max(1, n // 3)  # about one liquidation every 3 minutes per venue
        l_ts = np.sort(rng.choice(np.arange(start_ms, end_ms, 1000, dtype=np.int64), size=m, replace=False)) + k * 7
        l_px = np.round(np.interp(l_ts, ts, close), 1)
        qty = np.round(rng.uniform(0.01, 3.0, m), 2)  # multiples of OKX's 0.01 BTC contract
        side = np.where(rng.random(m) < 0.5, "long", "short")
        liqs.append(pd.DataFrame({"ts": l_ts, "exchange": ex, "side": side, "price": l_px, "qty_base": qty,
                                  "notional_usd": qty * l_px}))
    return MarketFrames.build(symbol, MINUTE_MS, candles=pd.concat(candles), open_interest=pd.concat(ois),
                              funding=pd.concat(fundings), liquidations=pd.concat(liqs), long_short=pd.concat(lss))
