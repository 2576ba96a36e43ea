"""Ground truth: every open position cohort of the simulated market at one instant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class TruthSnapshot:
    """All open cohorts at instant ``ts`` (a minute boundary, UTC ms), per side.

    ``*_notional_usd`` is size x liquidation price: the USD that is force-closed if price reaches that
    level (the same measure as a liquidation event's ``notional_usd``). ``*_venue`` indexes ``venues``.
    ``price`` is the common mid price at ``ts``; ``venue_price`` each venue's last price.
    """

    ts: int
    price: float
    venues: tuple[str, ...]
    venue_price: tuple[float, ...]
    long_liq_price: np.ndarray
    long_notional_usd: np.ndarray
    long_qty_base: np.ndarray
    long_entry_price: np.ndarray
    long_leverage: np.ndarray
    long_open_ts: np.ndarray
    long_venue: np.ndarray
    short_liq_price: np.ndarray
    short_notional_usd: np.ndarray
    short_qty_base: np.ndarray
    short_entry_price: np.ndarray
    short_leverage: np.ndarray
    short_open_ts: np.ndarray
    short_venue: np.ndarray

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                object.__setattr__(self, name, _frozen(value))

    def open_base(self, venue: Optional[str] = None) -> float:
        """Sum of open positions' size in base (both sides), over all venues or one."""
        if venue is None:
            return float(self.long_qty_base.sum() + self.short_qty_base.sum())
        v = self.venues.index(venue)
        return float(self.long_qty_base[self.long_venue == v].sum() + self.short_qty_base[self.short_venue == v].sum())


def true_map(
    snapshot: TruthSnapshot, bin_edges: np.ndarray | Sequence[float], venues: Optional[Sequence[str]] = None
) -> tuple[np.ndarray, np.ndarray]:
    """True liquidation notional (USD) per price bin: (long_usd_per_bin, short_usd_per_bin).

    Bins are ``[edge_i, edge_i+1)`` like ``np.histogram`` (last bin closed); positions outside are left out.
    ``venues`` restricts to some venues (default all).
    """
    edges = np.asarray(bin_edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bin_edges must be a strictly increasing 1-D array of at least two edges")
    lm = np.ones(len(snapshot.long_liq_price), dtype=bool)
    sm = np.ones(len(snapshot.short_liq_price), dtype=bool)
    if venues is not None:
        unknown = set(venues) - set(snapshot.venues)
        if unknown:
            raise ValueError(f"unknown venues {sorted(unknown)}")
        idx = [snapshot.venues.index(v) for v in venues]
        lm = np.isin(snapshot.long_venue, idx)
        sm = np.isin(snapshot.short_venue, idx)
    longs, _ = np.histogram(snapshot.long_liq_price[lm], bins=edges, weights=snapshot.long_notional_usd[lm])
    shorts, _ = np.histogram(snapshot.short_liq_price[sm], bins=edges, weights=snapshot.short_notional_usd[sm])
    return longs, shorts
