"""What a calibration fitted, on which data and over which span, in plain words (the model settings
dialog shows it; a frozen record so it can cross from the worker thread and be kept beside the model)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Optional

import numpy as np
import pandas as pd

from analytics.calibrate import HOUR_MS, Calibration, CALIBRATION_GRID, HOLD_CANDIDATES_HOURS, calibrate
from analytics.calibrate_oi import OICalibration, calibrate_from_oi
from analytics.params import ModelParams
from analytics.report import iso_date

# Positions older than a few holding times hardly matter to the map, and a fit costs a few model runs
# over what it is given: the last days are enough and keep it quick on a long history.
CALIBRATION_DAYS = 8
OOS_TRAIN_SHARE = 2 / 3


class FitSource(Enum):
    EVENTS = "recorded liquidations"
    OPEN_INTEREST = "candles and open interest alone"


@dataclass(frozen=True)
class FitSummary:
    source: FitSource
    params: ModelParams  # the fitted settings (the base's others kept)
    venues: tuple[str, ...]
    from_ms: int
    to_ms: int
    events: int  # liquidation rows fitted on (0 for the OI fit)
    minutes: int  # candle minutes the model ran over
    hold_hours: float
    scale: float
    sink_weight: float
    mix_fitted: bool
    test_r2: Optional[float] = None  # out of sample: fitted on the first two thirds, scored on the rest
    test_r2_prior: Optional[float] = None

    def text(self, label: Callable[[str], str] = str) -> str:
        """``label``: venue name -> display name (the caller's venue registry; analytics has none)."""
        venues = ", ".join(label(v) for v in self.venues)
        span = f"{iso_date(self.from_ms)} → {iso_date(self.to_ms)}"
        if self.source is FitSource.EVENTS:
            head = f"Fitted on {self.events:,} liquidations from {venues}, {span}"
        else:
            head = f"Fitted on {self.minutes:,} candle minutes and open interest from {venues}, {span} (no liquidation events)"
        parts = [head, f"holding time {self.hold_hours:g} h"]
        if self.mix_fitted:
            parts.append(f"scale {self.scale:.2f}")
            parts.append(f"{self.sink_weight:.0%} of the open interest out of reach (≤2x, hedged)")
        else:
            parts.append("leverage mix and scale kept (open interest did not fall where price swept the clusters)")
        line = "; ".join(parts) + "."
        if self.test_r2 is not None:
            prior = f" (default mix {self.test_r2_prior:.2f})" if self.test_r2_prior is not None else ""
            line += f" Out of sample (fitted on the first two thirds, scored on the rest): R² {self.test_r2:.2f}{prior}."
        return line


def _recent(df: Optional[pd.DataFrame], since: int) -> Optional[pd.DataFrame]:
    if df is None or len(df) == 0:
        return df
    return df[df["ts"] >= since]


def _window(candles: pd.DataFrame, days: float) -> int:
    return int(candles["ts"].max()) - int(days * 24 * HOUR_MS)


def fit_on_events(candles: pd.DataFrame, open_interest: pd.DataFrame, liquidations: pd.DataFrame,
                  base: ModelParams, days: float = CALIBRATION_DAYS) -> Optional[FitSummary]:
    """Mix, sink, scale and holding time from the recorded liquidations of the last ``days``; None when
    there is nothing to fit. Also the out-of-sample check (a second fit on the first two thirds)."""
    if candles is None or len(candles) == 0 or liquidations is None or len(liquidations) == 0:
        return None
    since = _window(candles, days)
    c, o, lq = _recent(candles, since), _recent(open_interest, since), _recent(liquidations, since)
    fit = calibrate(c, o, lq, base, leverages=CALIBRATION_GRID, holds_hours=HOLD_CANDIDATES_HOURS, sink=True)
    if fit is None:
        return None
    oos = calibrate(c, o, lq, base, leverages=CALIBRATION_GRID, holds_hours=HOLD_CANDIDATES_HOURS, sink=True,
                    train_share=OOS_TRAIN_SHARE)
    return _from_events(fit, oos, base, c)


def _from_events(fit: Calibration, oos: Optional[Calibration], base: ModelParams, candles: pd.DataFrame) -> FitSummary:
    p = fit.params(base)
    return FitSummary(FitSource.EVENTS, p, fit.venues, fit.from_ms, fit.to_ms, fit.events,
                      minutes=int(candles["ts"].nunique()), hold_hours=float(p.mean_hold_ms or 0) / HOUR_MS,
                      scale=fit.scale, sink_weight=fit.sink_weight, mix_fitted=True,
                      test_r2=oos.test_r2 if oos is not None else None,
                      test_r2_prior=oos.test_r2_prior if oos is not None else None)


def fit_on_open_interest(candles: pd.DataFrame, open_interest: pd.DataFrame, base: ModelParams,
                         days: float = CALIBRATION_DAYS) -> Optional[FitSummary]:
    """Holding time (and, where OI shows the sweeps, mix and scale) from candles and OI alone."""
    if candles is None or len(candles) == 0:
        return None
    since = _window(candles, days)
    c, o = _recent(candles, since), _recent(open_interest, since)
    fit: Optional[OICalibration] = calibrate_from_oi(c, o, base)
    if fit is None or c is None:
        return None
    p = fit.params(base)
    return FitSummary(FitSource.OPEN_INTEREST, p, fit.venues, fit.from_ms, fit.to_ms, 0,
                      minutes=int(np.unique(c["ts"].to_numpy()).size), hold_hours=fit.hold_hours, scale=fit.scale,
                      sink_weight=fit.sink_weight, mix_fitted=fit.mix_fitted)
