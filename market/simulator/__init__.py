"""The demo market: an agent-based futures market with liquidation cascades and ground truth.

- ``simulate(SimConfig(seed=7, days=30))`` -> ``SimulationResult(frames, truth, config, impact, ledger)``;
  ``MarketSimulator(config).step_minutes(n)`` gives the same rows incrementally; ``.truth_now()``.
- ``DemoSource(seed, speed, symbol, history_days, clock)`` is the MarketSource the window shows.

What the series mean here:
- open interest = the sum of all open simulated positions (longs plus shorts) on a venue, in base, at
  each minute boundary (ts = instant of measurement); oi_usd = oi_base x that venue's price then;
- liquidations: one event per force-closed cohort, price = its liquidation price, ts inside the minute
  whose low (long) / high (short) crossed it; the candle range includes the cascade's own impact;
- funding: settled every 8 h (00/08/16 UTC), the 8 h average of 0.01 % + long/short OI skew + basis;
- long/short: account ratio (long accounts / short accounts) every 5 minutes;
- ``TruthSnapshot``: every open cohort at an instant; ``*_notional_usd`` = size x liquidation price, the
  USD force-closed if price gets there; ``true_map(snapshot, bin_edges)`` bins it by price.
"""

from market.simulator.config import DEFAULT_LEVERAGE_MIX, DEFAULT_START_MS, SimConfig
from market.simulator.crowds import CROWDS, crowd_config
from market.simulator.engine import MarketSimulator, SimulationResult, simulate
from market.simulator.source import DemoSource
from market.simulator.truth import TruthSnapshot, true_map

__all__ = [
    "CROWDS",
    "crowd_config",
    "DEFAULT_LEVERAGE_MIX",
    "DEFAULT_START_MS",
    "DemoSource",
    "MarketSimulator",
    "SimConfig",
    "SimulationResult",
    "TruthSnapshot",
    "simulate",
    "true_map",
]
