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
    """All open position rows at instant ``ts`` (a minute boundary, UTC ms), per side.

    A row is a whole position or one tranche of a large one. ``*_liq_price`` is its true liquidation price
    (cross-margin rows: with all their wallet; tranches: the price at which that tranche goes);
    ``*_notional_usd`` is size x liquidation price: the USD that is force-closed if price reaches that
    level (the same measure as a liquidation event's ``notional_usd``). Rows whose stop-loss fires first
    have ``*_in_map`` False. ``*_venue`` indexes ``venues``. Open longs and open shorts sum to the same size.
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
    # Per row (optional for hand-made snapshots): stop price (NaN: none), whether the row is liquidated
    # before its stop could fire (the rows a true map holds), kind (0 trader, 1 market maker, 2 absorber),
    # cross margin, tranche index (0 = first liquidated) and the position it belongs to.
    long_stop_price: Optional[np.ndarray] = None
    long_in_map: Optional[np.ndarray] = None
    long_kind: Optional[np.ndarray] = None
    long_cross: Optional[np.ndarray] = None
    long_tranche: Optional[np.ndarray] = None
    long_position: Optional[np.ndarray] = None
    short_stop_price: Optional[np.ndarray] = None
    short_in_map: Optional[np.ndarray] = None
    short_kind: Optional[np.ndarray] = None
    short_cross: Optional[np.ndarray] = None
    short_tranche: Optional[np.ndarray] = None
    short_position: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):  # (None fields stay None)
                object.__setattr__(self, name, _frozen(value))

    def open_base(self, venue: Optional[str] = None) -> float:
        """Open interest in base, over all venues or one: each contract once, i.e. the open long size
        (which equals the open short size)."""
        if venue is None:
            return float(self.long_qty_base.sum())
        v = self.venues.index(venue)
        return float(self.long_qty_base[self.long_venue == v].sum())

    def open_short_base(self, venue: Optional[str] = None) -> float:
        if venue is None:
            return float(self.short_qty_base.sum())
        v = self.venues.index(venue)
        return float(self.short_qty_base[self.short_venue == v].sum())


def true_map(
    snapshot: TruthSnapshot, bin_edges: np.ndarray | Sequence[float], venues: Optional[Sequence[str]] = None
) -> tuple[np.ndarray, np.ndarray]:
    """True liquidation notional (USD) per price bin: (long_usd_per_bin, short_usd_per_bin): what WOULD
    be force-closed if the price reached the bin. Rows whose stop-loss fires first are left out; cross
    rows sit at their true cross liquidation price, tranches of large positions each at their own price.

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
    if snapshot.long_in_map is not None:
        lm = lm & snapshot.long_in_map
    if snapshot.short_in_map is not None:
        sm = sm & snapshot.short_in_map
    longs, _ = np.histogram(snapshot.long_liq_price[lm], bins=edges, weights=snapshot.long_notional_usd[lm])
    shorts, _ = np.histogram(snapshot.short_liq_price[sm], bins=edges, weights=snapshot.short_notional_usd[sm])
    return longs, shorts
