"""The demo market: an agent-based futures market with liquidation cascades and ground truth."""

from market.simulator.config import DEFAULT_LEVERAGE_MIX, DEFAULT_START_MS, SimConfig
from market.simulator.engine import MarketSimulator, SimulationResult, simulate
from market.simulator.source import DemoSource
from market.simulator.truth import TruthSnapshot, true_map

__all__ = [
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
