"""The demo market: an agent-based futures market with liquidation cascades and exact ground truth.

- ``simulate(SimConfig(seed=7, days=30))`` -> ``SimulationResult(frames, truth, config, impact, ledger)``;
  ``MarketSimulator(config).step_minutes(n)`` gives the same rows incrementally; ``.truth_now()``.
- ``crowd_config(name, **overrides)``: the named crowds of ``CROWDS`` (holding 8 h / 24 h / 72 h, low /
  high leverage, few / many market makers); ``SimConfig()`` is the "default" crowd.
- ``DemoSource(seed, speed, symbol, history_days, clock)`` is the MarketSource the window shows;
  ``DemoSource.list_symbols()`` the symbols it simulates (BTC, ETH, SOL at their own levels and sizes).
- Venues, their shares and basis come from ``market.venues`` (a registered venue is simulated too).

Its positions deliberately do not follow the liquidation model's assumptions: every contract has a long
and a short holder (the aggressor, chasing momentum, and a passive side much of which is market makers at
1-3x); entries fall anywhere inside the candle; positions close whole after heavy-tailed lifetimes;
a share of traders has stop-losses, some are on cross margin, large positions are liquidated in tranches.

What the series mean here:
- open interest = each open contract once: the open long size = the open short size on a venue, in base,
  at each minute boundary (ts = instant of measurement); oi_usd = oi_base x that venue's price then;
- liquidations: every forced close (complete), one event per liquidated position row, price = its
  liquidation price, ts inside the minute whose low (long) / high (short) crossed it; the candle range
  includes the cascade's own impact. Stop-loss closes are not liquidations and are not in it;
- volume: background flow + new contracts + closes; taker buy volume: a noisy function of the move and the
  aggressor side plus forced buys (never the new longs and shorts themselves);
- funding: settled every 8 h (00/08/16 UTC), the 8 h average of 0.01 % + momentum premium + basis;
- long/short: account ratio (long accounts / short accounts) every 5 minutes;
- ``TruthSnapshot``: every open position row at an instant; ``*_notional_usd`` = size x liquidation price,
  the USD force-closed if price gets there; ``*_in_map`` False where a stop-loss fires first;
  ``true_map(snapshot, bin_edges)`` bins the liquidation rows by price.
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
