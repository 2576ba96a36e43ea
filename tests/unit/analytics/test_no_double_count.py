"""A liquidation is counted once: on a market made by the model's own mechanics, its open mass is the OI.

The market below is written from the mechanics, not from the model's code: positions open at the
candle's typical price over the model's own tiers and mix, ordinary turnover closes a share of every
position each minute, a position is force-closed when a later candle reaches its liquidation price,
and OI is the exact sum of what is open. The model reads only the candles and that OI. If it read the
OI fall that a liquidation causes a second time, as ordinary closing, its open mass would fall short.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.liqprice import isolated_liq_price
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from tests.unit.analytics.market_gen import MINUTE, T0


def own_mechanics_market(seed: int, n: int, params: ModelParams, vol: float):
    rng = np.random.default_rng(seed)
    keep = params.turnover_keep(MINUTE)
    mmr = params.mmr()
    w = params.normalized_weights()
    price = 80_000.0
    open_pos: list[list[float]] = []  # [side, liq, qty]
    rows, oi_rows = [], [(T0, 0.0)]
    for i in range(n):
        t = T0 + i * MINUTE
        o = price
        price *= float(np.exp(rng.normal(0.0, vol)))
        high = max(o, price) * (1 + abs(rng.normal(0, vol)))
        low = min(o, price) * (1 - abs(rng.normal(0, vol)))
        # reached positions are liquidated; the rest turn over
        open_pos = [p for p in open_pos if not ((p[0] > 0 and low <= p[1]) or (p[0] < 0 and high >= p[1]))]
        for p in open_pos:
            p[2] *= keep
        oi_left = sum(p[2] for p in open_pos)
        new = max(0.0, rng.normal(40.0, 30.0)) + (1.0 - keep) * oi_left  # fresh demand + reopened turnover
        share = float(rng.uniform(0.3, 0.7))
        typical = (high + low + price) / 3.0
        for side, part in ((1, share), (-1, 1.0 - share)):
            for lev, wt in zip(params.leverages, w):
                q = new * part * wt
                if q > 0:
                    open_pos.append([side, float(isolated_liq_price(typical, lev, side, mmr)), q])
        volume = 100.0
        rows.append((t, "binance", o, high, low, price, volume, volume * share, np.nan))
        oi_rows.append((t + MINUTE, sum(p[2] for p in open_pos)))
    c = pd.DataFrame(rows, columns=["ts", "exchange", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"])
    oi = pd.DataFrame(oi_rows, columns=["ts", "oi_base"]).assign(exchange="binance", oi_usd=np.nan)
    return c, oi


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), vol=st.sampled_from([0.002, 0.004]))
def test_open_mass_equals_open_interest_on_the_models_own_market(seed, vol):
    params = ModelParams(mean_hold_ms=6 * 3_600_000.0)
    c, oi = own_mechanics_market(seed, 1500, params, vol)
    model = LiquidationModel.from_history(c, oi, params)
    for at in (T0 + 500 * MINUTE, T0 + 1000 * MINUTE, T0 + 1500 * MINUTE):
        mass = float(model.open_levels(at)["binance"]["qty_base"].sum())
        truth = float(oi.loc[oi["ts"] <= at, "oi_base"].iloc[-1])
        assert mass == pytest.approx(truth, rel=0.02)
    # The market does liquidate (the test would be empty otherwise).
    assert len(model.estimated_liquidations()) > 0
