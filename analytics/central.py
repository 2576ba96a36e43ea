"""Which number stands in front of an at-risk range: the median plausible crowd, or the user's own crowd.

The model's default settings (5x to 100x, a day's holding time, no passive holders) are one guess, and
among the ensemble's plausible crowds they are the most leveraged: their figure sits at the top of the
80 % range, and on every simulated crowd of the accuracy bench it is about twice as far from the truth as
the median crowd's. So while nobody has said anything about the crowd (default settings), the central
figure is the weighted median over the plausible crowds, narrowed by recorded liquidations where there
are any. Once the settings say something (fitted on events, from OI, or set by hand), the figure under
those settings is the central one and the range is widened to hold it.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from analytics.ensemble import figure_range, weighted_quantiles
from analytics.params import ModelParams

# What a crowd is made of; bins, entry price and brackets say nothing about who holds the positions.
_CROWD_FIELDS = ("leverages", "weights", "mean_hold_ms", "half_life_ms", "scale")


class Central(enum.Enum):
    MEDIAN_CROWD = "median_crowd"  # the weighted median over the plausible crowds
    SETTINGS = "settings"  # the model under the current settings


@dataclass(frozen=True)
class AtRiskEstimate:
    central: float
    low: float
    high: float
    source: Central
    settings_value: float  # the figure under the current settings, whichever is central


def states_a_crowd(params: ModelParams) -> bool:
    """True when the settings differ from the defaults in what they assume about the crowd."""
    default = ModelParams()
    return any(getattr(params, n) != getattr(default, n) for n in _CROWD_FIELDS)


def at_risk_estimate(settings_value: float, member_values: np.ndarray, weights: np.ndarray,
                     params: ModelParams) -> AtRiskEstimate:
    """One at-risk figure with its 80 % range and the central value chosen by the rule above."""
    values = np.asarray(member_values, float)
    if states_a_crowd(params) or values.size == 0 or not math.isfinite(settings_value):
        r = figure_range(values, weights, settings_value)
        return AtRiskEstimate(settings_value, r.low, r.high, Central.SETTINGS, settings_value)
    median = float(weighted_quantiles(values[:, None], weights, (0.5,))[0, 0])
    r = figure_range(values, weights, median)
    return AtRiskEstimate(median, r.low, r.high, Central.MEDIAN_CROWD, settings_value)
