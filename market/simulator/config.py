"""Parameters of the demo market simulator. Frozen so a config can be shared across threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from market.series import EXCHANGES, MINUTE_MS

# 2026-01-01 00:00 UTC: a fixed start keeps every run of a seed identical, and 30 days from it lie in the past.
DEFAULT_START_MS = 1_767_225_600_000

# The real leverage mix of the simulated traders (weights need not sum to 1). Exposed so the analytics
# accuracy work can run its model with a *different* mix and measure what that costs.
DEFAULT_LEVERAGE_MIX: Mapping[int, float] = {
    2: 0.06,
    3: 0.08,
    5: 0.16,
    10: 0.25,
    20: 0.17,
    25: 0.10,
    50: 0.09,
    75: 0.03,
    100: 0.04,
    125: 0.02,
}


@dataclass(frozen=True)
class SimConfig:
    seed: int = 7
    days: float = 30.0
    start_ms: int = DEFAULT_START_MS  # open time of the first recorded candle (a minute boundary)
    venues: tuple[str, ...] = EXCHANGES
    venue_shares: tuple[float, ...] = (0.5, 0.3, 0.2)  # share of position flow and volume per venue
    venue_basis: tuple[float, ...] = (0.0, 1.5e-4, -1.0e-4)  # mean log premium of each venue over the mid
    basis_noise: float = 1.2e-4  # stationary std of each venue's extra log premium (AR(1), per minute)
    base_price: float = 90_000.0
    leverage_mix: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_LEVERAGE_MIX))
    # Trader position size (USD notional at entry): lognormal, capped by the bracket that allows the leverage.
    trader_size_median_usd: float = 20_000.0
    trader_size_sigma: float = 1.3
    cohorts_per_minute: int = 2  # position cohorts opened per venue, side and minute (each one leverage, one size)
    # Open interest: target level and mean holding time (voluntary closes are a per-minute hazard).
    target_oi_base: float = 90_000.0  # BTC over all venues and both sides
    mean_hold_minutes: float = 1440.0
    prune_fraction: float = 0.01  # a cohort whose remaining size falls below this part of its opening closes fully
    warmup_minutes: int = 2 * 1440  # simulated before start_ms (not recorded) so the market starts populated
    # Exogenous price path: per-minute log-return volatility of each regime, regime switch hazard, jumps.
    vol_regimes: tuple[float, ...] = (0.0003, 0.00055, 0.0012)
    regime_switch_per_minute: float = 1.0 / 720.0
    jumps_per_day: float = 0.8
    jump_sigma: float = 0.0075
    # Feedback: liquidated notional moves the price by liq_impact * notional / total OI notional (log), at most
    # impact_cap per minute and side; impact_retained of it stays in the close, the rest is the wick.
    liq_impact: float = 0.1
    impact_cap: float = 0.05
    impact_retained: float = 0.6
    background_volume_base: float = 80.0  # BTC per minute over all venues, besides position flow
    funding_interval_minutes: int = 480  # funding settles every 8 h (00, 08, 16 UTC)
    long_short_every_minutes: int = 5  # like Binance's finest long/short account ratio period
    # Ground-truth snapshots at start and every N minutes (0 = none). Each holds every open cohort (~60k,
    # ~3 MB in a month-long run), so the default is daily; pick 60 for short runs or list truth_times_ms.
    truth_every_minutes: int = 1440
    truth_times_ms: tuple[int, ...] = ()  # extra snapshot instants (floored to a minute boundary)
    record_ledger: bool = False  # keep every cohort's life (open, end, reason) for invariant tests

    def __post_init__(self) -> None:
        if self.start_ms % MINUTE_MS:
            raise ValueError("start_ms must be a minute boundary")
        if len(self.venues) != len(self.venue_shares) or len(self.venues) != len(self.venue_basis):
            raise ValueError("venues, venue_shares and venue_basis must have the same length")
        if self.days < 0 or self.cohorts_per_minute < 1 or self.mean_hold_minutes <= 0:
            raise ValueError("days must be >= 0, cohorts_per_minute >= 1, mean_hold_minutes > 0")
        if not self.leverage_mix or any(l < 1 or l > 125 or w < 0 for l, w in self.leverage_mix.items()):
            raise ValueError("leverage_mix must map leverages in 1..125 to non-negative weights")
        if sum(self.leverage_mix.values()) <= 0:
            raise ValueError("leverage_mix weights must not all be zero")

    def __hash__(self) -> int:  # usable as a cache key although leverage_mix is a dict
        fields = tuple(sorted(self.leverage_mix.items())) if self.leverage_mix else ()
        return hash((type(self).__name__, self.seed, self.days, self.start_ms, fields, self.truth_every_minutes))

    @property
    def minutes(self) -> int:
        return int(round(self.days * 1440))

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.minutes * MINUTE_MS
