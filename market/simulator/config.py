"""Parameters of the demo market simulator. Frozen so a config can be shared across threads.

The default values are the "default" crowd (see ``crowds.py`` for the named variants). Venue shares and
basis come from the venue registry (``market.venues``) unless given, normalized over the venues simulated,
so a venue added to the registry is in the demo with no change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import market.venues as venue_registry
from market.series import DEFAULT_SYMBOL, MINUTE_MS
from market.simulator.symbols import DemoSymbol, demo_symbol

# 2026-01-01 00:00 UTC: a fixed start keeps every run of a seed identical, and 30 days from it lie in the past.
DEFAULT_START_MS = 1_767_225_600_000

# The leverage mix of the simulated traders (weights need not sum to 1). Deliberately not the model's
# five tiers: many levels, a fat low-leverage body and a thin very-high tail.
DEFAULT_LEVERAGE_MIX: Mapping[float, float] = {
    2: 0.07,
    3: 0.09,
    4: 0.05,
    5: 0.13,
    8: 0.08,
    10: 0.17,
    12: 0.04,
    15: 0.07,
    20: 0.11,
    30: 0.05,
    40: 0.03,
    50: 0.05,
    75: 0.02,
    100: 0.03,
    125: 0.01,
}

# Market makers and passive liquidity: hardly leveraged, so hardly ever liquidated.
DEFAULT_MM_LEVERAGE_MIX: Mapping[float, float] = {1: 0.35, 1.5: 0.2, 2: 0.3, 3: 0.15}


def _registered_venues() -> tuple[str, ...]:
    return tuple(venue_registry.VENUES)  # read at construction: a venue registered later is picked up


@dataclass(frozen=True)
class SimConfig:
    seed: int = 7
    days: float = 30.0
    start_ms: int = DEFAULT_START_MS  # open time of the first recorded candle (a minute boundary)
    symbol: str = DEFAULT_SYMBOL  # one of market.simulator.symbols.DEMO_SYMBOLS
    venues: tuple[str, ...] = field(default_factory=_registered_venues)
    # Per-venue share of position flow and volume, and mean log premium over the mid: None = from the registry.
    venue_shares: Optional[tuple[float, ...]] = None
    venue_basis: Optional[tuple[float, ...]] = None
    basis_noise: float = 1.2e-4  # stationary std of each venue's extra log premium (AR(1), per minute)
    # None = the symbol's own level (see symbols.py).
    base_price: Optional[float] = None
    target_oi_base: Optional[float] = None  # open interest (each contract once) over all venues, base units
    background_volume_base: Optional[float] = None
    # Traders (the aggressors, and part of the passive side).
    leverage_mix: Mapping[float, float] = field(default_factory=lambda: dict(DEFAULT_LEVERAGE_MIX))
    trader_size_median_usd: float = 20_000.0  # one trader's notional at entry: lognormal
    trader_size_sigma: float = 1.3
    traders_per_minute: int = 2  # trader positions opened per venue, side and minute (each its own draws)
    mean_hold_minutes: float = 1440.0  # mean trader lifetime; lifetimes are heavy-tailed (below)
    lifetime_sigma: float = 1.3  # log-sd of the lognormal body of lifetimes
    lifetime_tail_share: float = 0.12  # share of positions from a Pareto tail (patient holders)
    lifetime_tail_alpha: float = 1.4
    max_lifetime_minutes: int = 60 * 1440
    stop_share: float = 0.3  # traders with a stop-loss
    stop_reach: tuple[float, float] = (0.25, 1.3)  # stop distance as a multiple of the liquidation distance
    cross_share: float = 0.35  # traders on cross margin: more wallet behind the position
    cross_extra_mean: float = 1.2  # mean extra wallet, in units of the position's initial margin
    tranche_notional_usd: float = 150_000.0  # larger positions are liquidated in tranches
    tranches: int = 3
    momentum_chase: float = 0.3  # how strongly the aggressor side follows momentum
    # Passive side: the share of it that market makers hold, their leverage, size and holding time.
    mm_share: float = 0.45
    mm_leverage_mix: Mapping[float, float] = field(default_factory=lambda: dict(DEFAULT_MM_LEVERAGE_MIX))
    mm_size_median_usd: float = 400_000.0
    mm_mean_hold_minutes: float = 480.0
    warmup_minutes: int = 2 * 1440  # simulated before start_ms (not recorded) so the market starts populated
    # Exogenous price path: per-minute log-return volatility of each regime, regime switch hazard, jumps.
    vol_regimes: tuple[float, ...] = (0.0003, 0.00055, 0.0012)
    regime_switch_per_minute: float = 1.0 / 720.0
    jumps_per_day: float = 0.8
    jump_sigma: float = 0.0075
    # Feedback: liquidated notional moves the price by liq_impact * notional / OI notional (log), at most
    # impact_cap per minute and side; impact_retained of it stays in the close, the rest is the wick.
    liq_impact: float = 0.2
    impact_cap: float = 0.05
    impact_retained: float = 0.6
    funding_interval_minutes: int = 480  # funding settles every 8 h (00, 08, 16 UTC)
    long_short_every_minutes: int = 5  # like Binance's finest long/short account ratio period
    # Ground-truth snapshots at start and every N minutes (0 = none); or list truth_times_ms.
    truth_every_minutes: int = 1440
    truth_times_ms: tuple[int, ...] = ()  # extra snapshot instants (floored to a minute boundary)
    record_ledger: bool = False  # keep every position's life (open, end, reason) for invariant tests

    def __post_init__(self) -> None:
        if self.start_ms % MINUTE_MS:
            raise ValueError("start_ms must be a minute boundary")
        demo_symbol(self.symbol)
        if not self.venues or len(set(self.venues)) != len(self.venues):
            raise ValueError("venues must be distinct names, at least one")
        for name, given in (("venue_shares", self.venue_shares), ("venue_basis", self.venue_basis)):
            if given is not None and len(given) != len(self.venues):
                raise ValueError(f"{name} must have one value per venue ({len(self.venues)})")
        unknown = [v for v in self.venues if v not in venue_registry.VENUES]
        if unknown and (self.venue_shares is None or self.venue_basis is None):
            raise ValueError(f"venue(s) {unknown} are not registered in market.venues: pass venue_shares and venue_basis")
        if self.venue_shares is not None and (min(self.venue_shares) < 0 or sum(self.venue_shares) <= 0):
            raise ValueError("venue_shares must be non-negative and not all zero")
        if self.days < 0 or self.traders_per_minute < 1 or self.mean_hold_minutes <= 0 or self.mm_mean_hold_minutes <= 0:
            raise ValueError("days must be >= 0, traders_per_minute >= 1, holding times > 0")
        for name, mix in (("leverage_mix", self.leverage_mix), ("mm_leverage_mix", self.mm_leverage_mix)):
            if not mix or any(l < 1 or l > 125 or w < 0 for l, w in mix.items()) or sum(mix.values()) <= 0:
                raise ValueError(f"{name} must map leverages in 1..125 to non-negative weights, not all zero")
        for name in ("mm_share", "stop_share", "cross_share", "lifetime_tail_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.tranches < 1 or self.tranches > 8:
            raise ValueError("tranches must be in 1..8")

    def __hash__(self) -> int:  # usable as a cache key although the mixes are dicts
        mixes = (tuple(sorted(self.leverage_mix.items())), tuple(sorted(self.mm_leverage_mix.items())))
        return hash((type(self).__name__, self.seed, self.days, self.start_ms, self.symbol, self.venues,
                     self.mean_hold_minutes, self.mm_share, mixes, self.truth_every_minutes))

    # ----- derived ------------------------------------------------------------------------------
    @property
    def minutes(self) -> int:
        return int(round(self.days * 1440))

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.minutes * MINUTE_MS

    @property
    def instrument(self) -> DemoSymbol:
        return demo_symbol(self.symbol)

    @property
    def shares(self) -> tuple[float, ...]:
        """Per-venue share of flow and volume, normalized over the venues simulated."""
        raw = self.venue_shares if self.venue_shares is not None else tuple(venue_registry.VENUES[v].demo_share for v in self.venues)
        total = float(sum(raw))
        return tuple(float(s) / total for s in raw)

    @property
    def basis(self) -> tuple[float, ...]:
        if self.venue_basis is not None:
            return tuple(float(b) for b in self.venue_basis)
        return tuple(float(venue_registry.VENUES[v].demo_basis) for v in self.venues)

    @property
    def price0(self) -> float:
        return float(self.base_price if self.base_price is not None else self.instrument.base_price)

    @property
    def oi_target(self) -> float:
        return float(self.target_oi_base if self.target_oi_base is not None else self.instrument.target_oi_base)

    @property
    def background_volume(self) -> float:
        b = self.background_volume_base
        return float(b if b is not None else self.instrument.background_volume_base)
