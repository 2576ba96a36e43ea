"""Venue fields whose unit is not fixed by their name: decided from the rest of the same row."""

from __future__ import annotations

import math


def bybit_rate(value: float, initial_margin: float, max_leverage: float) -> float:
    """A Bybit risk-limit margin rate as a fraction (0.005 = 0.5 %).

    Bybit's v5 risk-limit docs call ``maintenanceMargin``/``initialMargin`` a "rate" and their example row
    (https://bybit-exchange.github.io/docs/v5/market/risk-limit) is ``"maintenanceMargin": "0.5",
    "initialMargin": "1", "maxLeverage": "100.00"``: percent, since a 100x tier needs 1 % initial margin;
    current linear answers (and SDKs' readings) give fractions like "0.005". The row tells which: the
    initial margin rate is 1 / max leverage, so ``initialMargin * maxLeverage`` is about 1 for fractions
    and about 100 for percent. Without a usable initial margin, a rate of 1 or more can only be percent.
    """
    v = float(value)
    if math.isnan(v):
        return v
    im, lev = float(initial_margin), float(max_leverage)
    if im > 0 and lev > 0 and math.isfinite(im * lev):
        return v / 100.0 if im * lev > 10.0 else v
    return v / 100.0 if v >= 1.0 else v
