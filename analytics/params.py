"""Parameters of the liquidation-level model, frozen so a worker thread can share them safely."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from analytics.liqprice import BTCUSDT_BRACKETS, Bracket, isolated_liq_price, mmr_for_notional
from cascade_vocab.units import DAY_MS

ENTRY_TYPICAL = "typical"  # (high + low + close) / 3
ENTRY_VWAP = "vwap"  # quote_volume / volume, typical price where the venue gives no quote volume


@dataclass(frozen=True)
class ModelParams:
    """How positions are assumed to be opened and closed.

    ``leverages`` and ``weights`` are the leverage mix (weights are normalized to sum 1).
    ``taker_split``: split each OI increase into longs and shorts by the candle's taker buy share;
    off (or where the venue gives no taker volume) it is split 50/50.
    ``position_usd``: the typical size of one position, used only to look up the maintenance-margin
    bracket (mmr is chosen by notional, not by margin).
    ``half_life_ms``: optional exponential decay of open cohorts with age (None = no decay).
    ``mean_hold_ms``: mean holding time of a position. Net OI hides the positions opened and closed in
    the same candle; with a holding time, ``OI × (1 - exp(-tf / hold))`` per candle is assumed to be
    closed by ordinary turnover (proportionally) and reopened at the candle's price. None = net OI only.
    ``bin_usd``: price bin of the map; None picks a round size from the price.
    ``scale``: a multiplier on the mass the map places (calibration sets it; 1.0 = the OI-implied mass).
    It applies to what the model reports (map, heatmap, open levels, estimated liquidations), not to its
    OI accounting: placing more mass than the OI inside that accounting would liquidate what never was.
    """

    leverages: tuple[float, ...] = (5.0, 10.0, 25.0, 50.0, 100.0)
    weights: tuple[float, ...] = (0.15, 0.30, 0.30, 0.15, 0.10)  # less weight at high leverage
    taker_split: bool = True
    entry: str = ENTRY_TYPICAL
    position_usd: float = 10_000.0
    brackets: tuple[Bracket, ...] = BTCUSDT_BRACKETS
    half_life_ms: float | None = None
    mean_hold_ms: float | None = float(DAY_MS)
    bin_usd: float | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        if len(self.leverages) == 0 or len(self.leverages) != len(self.weights):
            raise ValueError("leverages and weights must be non-empty and of equal length")
        if any(not (lev > 1.0) or not np.isfinite(lev) for lev in self.leverages):
            raise ValueError("every leverage must be a finite number above 1")
        if any(w < 0 or not np.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        if self.entry not in (ENTRY_TYPICAL, ENTRY_VWAP):
            raise ValueError(f"entry must be {ENTRY_TYPICAL!r} or {ENTRY_VWAP!r}")
        if not self.position_usd > 0:
            raise ValueError("position_usd must be positive")
        if self.half_life_ms is not None and not self.half_life_ms > 0:
            raise ValueError("half_life_ms must be positive or None")
        if self.mean_hold_ms is not None and not self.mean_hold_ms > 0:
            raise ValueError("mean_hold_ms must be positive or None")
        if self.bin_usd is not None and not self.bin_usd > 0:
            raise ValueError("bin_usd must be positive or None")
        if not (self.scale > 0 and np.isfinite(self.scale)):
            raise ValueError("scale must be a positive finite number")

    def to_settings(self) -> dict[str, Any]:
        """Plain JSON-able settings (what a snapshot stores); brackets stay the exchange's table."""
        return {f.name: (list(v) if isinstance(v, tuple) else v)
                for f in fields(self) if f.name != "brackets" for v in [getattr(self, f.name)]}

    @classmethod
    def from_settings(cls, settings: Any) -> "ModelParams":
        """The saved settings where they make valid params; the defaults where they do not."""
        if not isinstance(settings, dict):
            return cls()
        names = {f.name for f in fields(cls)} - {"brackets"}
        given: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in settings.items() if k in names}
        try:
            return cls(**given)
        except (TypeError, ValueError):
            return cls()

    def normalized_weights(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def mmr(self) -> float:
        mmr, _cum = mmr_for_notional(self.position_usd, self.brackets)
        return float(mmr)

    def liq_factors(self) -> tuple[np.ndarray, np.ndarray]:
        """Liquidation price / entry price per tier, for longs and for shorts (isolated, cum = 0)."""
        lev = np.asarray(self.leverages, dtype=float)
        mmr = self.mmr()
        return isolated_liq_price(1.0, lev, 1, mmr), isolated_liq_price(1.0, lev, -1, mmr)

    def decay_rate_per_ms(self) -> float:
        return 0.0 if self.half_life_ms is None else float(np.log(2.0) / self.half_life_ms)

    def turnover_keep(self, timeframe_ms: int) -> float:
        """Part of open positions still open after one candle of ordinary turnover (mean holding time)."""
        return 1.0 if self.mean_hold_ms is None else float(np.exp(-timeframe_ms / self.mean_hold_ms))

    def with_weights(self, weights) -> "ModelParams":
        from dataclasses import replace

        return replace(self, weights=tuple(float(w) for w in weights))
