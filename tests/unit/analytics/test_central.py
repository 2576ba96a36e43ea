"""The central at-risk figure: the median plausible crowd under default settings, the settings' own otherwise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analytics.central import Central, at_risk_estimate, states_a_crowd
from analytics.params import ModelParams


def test_default_settings_state_no_crowd_and_a_bin_size_does_not_either():
    assert not states_a_crowd(ModelParams())
    assert not states_a_crowd(ModelParams(bin_usd=50.0, entry="vwap"))  # how to draw, not who holds


@pytest.mark.parametrize("change", [dict(scale=0.4), dict(mean_hold_ms=8 * 3_600_000.0),
                                    dict(leverages=(3.0, 10.0), weights=(0.5, 0.5)), dict(half_life_ms=1e8)])
def test_a_fit_or_hand_setting_states_a_crowd(change):
    assert states_a_crowd(replace(ModelParams(), **change))


def test_median_crowd_is_central_under_defaults_and_the_range_holds_it():
    members = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    w = np.full(5, 0.2)
    e = at_risk_estimate(250.0, members, w, ModelParams())
    assert e.source is Central.MEDIAN_CROWD and e.central == pytest.approx(3.0)
    assert e.settings_value == 250.0
    assert e.low <= e.central <= e.high < 250.0  # the default crowd's outlier does not widen the range


def test_weights_move_the_median():
    members = np.array([1.0, 2.0, 3.0])
    e = at_risk_estimate(9.0, members, np.array([0.8, 0.1, 0.1]), ModelParams())
    assert e.central < 2.0


def test_stated_settings_are_central_and_widen_the_range():
    members = np.array([1.0, 2.0, 3.0, 4.0])
    e = at_risk_estimate(10.0, members, np.full(4, 0.25), ModelParams(scale=0.5))
    assert e.source is Central.SETTINGS and e.central == 10.0 and e.high == 10.0
