"""Named crowds: demo markets whose traders differ in how long they hold, how much leverage they take, and
how much of the passive side market makers hold. The liquidation model's accuracy is measured on each.

``crowd_config(name, **overrides)`` is the SimConfig of that crowd (overrides such as seed, days,
truth_every_minutes, truth_times_ms, venues); ``SimConfig()`` alone is the "default" crowd.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, Mapping

from market.simulator.config import SimConfig

LOW_LEVERAGE_MIX: Mapping[float, float] = {1.5: 0.10, 2: 0.18, 3: 0.20, 4: 0.12, 5: 0.17, 7: 0.08, 10: 0.10, 15: 0.03, 20: 0.02}
HIGH_LEVERAGE_MIX: Mapping[float, float] = {
    8: 0.05, 10: 0.10, 15: 0.10, 20: 0.16, 30: 0.12, 40: 0.08, 50: 0.14, 75: 0.10, 100: 0.10, 125: 0.05,
}

CROWDS: Mapping[str, str] = {
    "default": "traders hold 24 h on average (heavy-tailed), mixed 2-125x leverage, market makers hold 45 % of the passive side",
    "hold_8h": "traders hold 8 h on average: fast turnover",
    "hold_72h": "traders hold 72 h on average: patient positions pile up far from price",
    "low_leverage": "traders mostly at 1.5-5x, rarely above 10x",
    "high_leverage": "traders mostly at 20-125x",
    "few_market_makers": "market makers hold 15 % of the passive side; traders the rest",
    "many_market_makers": "market makers hold 75 % of the passive side",
}

_CROWD_FIELDS: Mapping[str, Mapping[str, Any]] = {
    "default": {},
    "hold_8h": {"mean_hold_minutes": 8 * 60.0},
    "hold_72h": {"mean_hold_minutes": 72 * 60.0},
    "low_leverage": {"leverage_mix": dict(LOW_LEVERAGE_MIX)},
    "high_leverage": {"leverage_mix": dict(HIGH_LEVERAGE_MIX)},
    "few_market_makers": {"mm_share": 0.15},
    "many_market_makers": {"mm_share": 0.75},
}


def crowd_config(name: str, **overrides: Any) -> SimConfig:
    """The SimConfig of crowd ``name`` (one of CROWDS), with ``overrides`` applied on top."""
    if name not in _CROWD_FIELDS:
        raise ValueError(f"unknown crowd {name!r}; choose one of {', '.join(CROWDS)}")
    known = {f.name for f in fields(SimConfig)}
    bad = sorted(set(overrides) - known)
    if bad:
        raise ValueError(f"not SimConfig fields: {', '.join(bad)}")
    return replace(SimConfig(), **{**_CROWD_FIELDS[name], **overrides})
