"""A map from candles alone: traded volume as a stand-in for opened positions, in relative units.

Much history comes as candles only (freqtrade OHLCV, Binance klines without metrics). Without open
interest the model cannot say how much is open, only where positions were likely opened: as
aggr.trade's community heatmap does, every candle's traded volume is taken to open positions at its
price, which turn over with the usual holding time. In model terms that is an open-interest stand-in
``O(T + tf) = O(T) × keep + volume(T)``, fed to the same liquidation model, so placement, consumption by
later candles and decay are the model's own.

The result has no USD meaning: traded volume is many times the positions it opens, and how many is
unknown. Everything built on it is RELATIVE: normalized so the heaviest bin of the map is 1, labelled
so, and never summed into "$X at risk". Venues that do have open interest keep the OI model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pandas as pd

from analytics.levels import LiquidationMap
from analytics.liquidation import MINUTE_MS, LiquidationModel
from analytics.params import ModelParams
from cascade_vocab.units import DAY_MS

RELATIVE_NOTE = ("no open interest: the map is RELATIVE, built from traded volume (where positions were likely "
                 "opened, not how much): no USD figure can be read from it")


def pseudo_open_interest(candles: pd.DataFrame, params: ModelParams, timeframe_ms: int = MINUTE_MS) -> pd.DataFrame:
    """Per venue, an OI stand-in whose every candle opens that candle's traded volume (OI_COLUMNS shape)."""
    keep = params.turnover_keep(timeframe_ms)
    frames = []
    for ex, c in candles.sort_values("ts", kind="stable").groupby("exchange", sort=False):
        ts = c["ts"].to_numpy(np.int64)
        vol = np.nan_to_num(c["volume"].to_numpy(float), nan=0.0)
        vol = np.maximum(vol, 0.0)
        # O[i + 1] = O[i] × keep + v[i]: a linear recurrence, summed with powers of keep
        n = len(ts)
        out = np.empty(n + 1)
        out[0] = 0.0
        level = 0.0
        for i in range(n):  # plain loop: numpy has no first-order recurrence and n is candles, not cohorts
            level = level * keep + vol[i]
            out[i + 1] = level
        when = np.r_[ts[:1], ts + timeframe_ms] if n else ts
        frames.append(pd.DataFrame({"ts": when, "exchange": ex, "oi_base": out[: len(when)], "oi_usd": np.nan}))
    if not frames:
        return pd.DataFrame({"ts": pd.Series([], dtype="int64"), "exchange": pd.Series([], dtype=object),
                             "oi_base": pd.Series([], dtype=float), "oi_usd": pd.Series([], dtype=float)})
    return pd.concat(frames, ignore_index=True)


def volume_model(candles: pd.DataFrame, params: ModelParams | None = None,
                 timeframe_ms: int = MINUTE_MS) -> LiquidationModel:
    """The liquidation model run on the volume stand-in (holding time as in ``params``, 24 h if none)."""
    params = params or ModelParams()
    if params.mean_hold_ms is None:
        params = replace(params, mean_hold_ms=float(DAY_MS))
    return LiquidationModel.from_history(candles, pseudo_open_interest(candles, params, timeframe_ms), params, timeframe_ms)


def relative(m: LiquidationMap) -> LiquidationMap:
    """The map scaled so its heaviest bin (either side) is 1."""
    top = float(max(m.long_usd.max(initial=0.0), m.short_usd.max(initial=0.0)))
    f = 1.0 / top if top > 0 else 0.0
    per = {k: (lo * f, sh * f) for k, (lo, sh) in m.per_exchange.items()}
    return replace(m, long_usd=m.long_usd * f, short_usd=m.short_usd * f, per_exchange=per)


@dataclass(frozen=True)
class RelativeClusters:
    """Where the relative map's heaviest levels sit within ``band_pct`` of the price (None: none there)."""

    price: float
    short_cluster: Optional[float]
    long_cluster: Optional[float]
    band_pct: float

    def text(self) -> str:
        def at(level: Optional[float], word: str) -> str:
            if level is None:
                return f"no {word} cluster within ±{self.band_pct:g} %"
            pct = (level / self.price - 1.0) * 100.0
            return f"the heaviest {word} cluster sits at {level:,.0f} ({pct:+.1f} %)".replace("-", "\u2212")

        return f"Relative map (no open interest): {at(self.short_cluster, 'short')}, {at(self.long_cluster, 'long')}."


def relative_clusters(m: LiquidationMap, band_pct: float = 10.0) -> RelativeClusters:
    c = m.prices
    p = m.price
    above = (c > p) & (c <= p * (1 + band_pct / 100.0))
    below = (c < p) & (c >= p * (1 - band_pct / 100.0))
    s = np.where(above, m.short_usd, 0.0)
    lo = np.where(below, m.long_usd, 0.0)
    short = float(c[int(np.argmax(s))]) if s.max(initial=0.0) > 0 else None
    long_ = float(c[int(np.argmax(lo))]) if lo.max(initial=0.0) > 0 else None
    return RelativeClusters(float(p), short, long_, band_pct)
