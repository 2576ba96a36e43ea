"""The one place the GUI calls the analytics package (always from ViewWorker's thread, never the GUI's).

``ModelKeeper`` owns a ``LiquidationModel`` per source session: built once from the history, then
updated with the newly closed candles (the model is incremental), and read as of any instant for the
replay. Panels get a LiquidityView (the map and the heatmap, analytics' own frozen result types) and an
ImbalanceView for the two target lines.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analytics import imbalance
from analytics.central import Central, at_risk_estimate
from analytics.ensemble import EnsembleMaps, EnsembleModel
from analytics.levels import Heatmap, LiquidationMap
from analytics.liquidation import LiquidationModel
from analytics.params import ModelParams
from analytics.volume_map import relative, relative_clusters, volume_model
from market.series import MarketFrames

ModelSettings = ModelParams
MAX_HEAT_COLUMNS = 480
HEAT_REFRESH_S = 2.0  # while live, the heatmap (the costly part) is recomputed at most this often


@dataclass(frozen=True)
class LiquidityView:
    map: LiquidationMap
    heatmap: Optional[Heatmap]
    estimated: bool = True  # always a model estimate; the panels say so
    ensemble: Optional[EnsembleMaps] = None  # every plausible crowd's map on the same bins: the ranges
    # No open interest: the map is the volume-based one (analytics.volume_map), in relative units where
    # the heaviest bin is 1; no USD figure may be read from it.
    relative: bool = False
    # The leverage layers shown (indices into the model's leverages); None: all of them
    tiers: Optional[tuple[int, ...]] = None
    # The ensemble's cumulative ranges (EnsembleMaps.cumulative_ranges: long low, long high, short
    # low, short high per bin), computed here in the view worker: a loop over bins, too slow for the
    # GUI thread on every update.
    ranges: Optional[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = None
    # The central map is drawn; the crowds' runs, and so the ranges, are still being computed
    ranges_pending: bool = False


@dataclass(frozen=True)
class ImbalanceView:
    price: float
    up: float
    down: float
    shorts_at_risk_usd: float  # shorts liquidated if price rises to ``up``
    longs_at_risk_usd: float  # longs liquidated if price falls to ``down``
    # 80 % ranges over the plausible crowds (None without an ensemble)
    shorts_range: Optional[tuple[float, float]] = None
    longs_range: Optional[tuple[float, float]] = None
    relative: bool = False  # from the volume-based map: the figures are relative units, not USD
    short_cluster: Optional[float] = None  # relative map: its heaviest short / long level within ±10 %
    long_cluster: Optional[float] = None
    central: Optional[Central] = None  # with the ranges: which crowd the central figures are
    ranges_pending: bool = False  # the ranges are still being computed: no figure is shown without its range

    @property
    def ratio(self) -> float:
        """Shorts : longs (inf when no longs are at risk)."""
        if self.longs_at_risk_usd <= 0:
            return math.inf if self.shorts_at_risk_usd > 0 else float("nan")
        return self.shorts_at_risk_usd / self.longs_at_risk_usd

    @property
    def up_pct(self) -> float:
        return (self.up / self.price - 1.0) * 100.0

    @property
    def down_pct(self) -> float:
        return (self.down / self.price - 1.0) * 100.0


def at_risk(m: LiquidationMap, up: float, down: float) -> tuple[float, float]:
    """(shorts liquidated between the price and ``up``, longs between ``down`` and the price), USD."""
    return imbalance.shorts_at_risk(m, up), imbalance.longs_at_risk(m, down)


def imbalance_view(view: LiquidityView, up: float, down: float, params: ModelParams) -> ImbalanceView:
    """The card's figures. With the ranges, the central figure follows analytics.central (the median
    plausible crowd under default settings, the settings' crowd once they state one), as the report's."""
    shorts, longs = at_risk(view.map, up, down)
    if view.relative:
        rc = relative_clusters(view.map)
        return ImbalanceView(view.map.price, up, down, shorts, longs, relative=True,
                             short_cluster=rc.short_cluster, long_cluster=rc.long_cluster)
    if view.ranges_pending:
        return ImbalanceView(view.map.price, up, down, shorts, longs, ranges_pending=True)
    sr = lr = None
    central = None
    em = view.ensemble
    if em is not None:
        s = at_risk_estimate(shorts, em.shorts_at_risk(up), em.weights, params)
        lo = at_risk_estimate(longs, em.longs_at_risk(down), em.weights, params)
        shorts, longs, central = s.central, lo.central, s.source
        sr, lr = (s.low, s.high), (lo.low, lo.high)
    return ImbalanceView(view.map.price, up, down, shorts, longs, sr, lr, central=central)


def default_targets(view: LiquidityView) -> tuple[float, float]:
    """Snapped to the largest clusters within ±10 % (analytics' rule, the same as the report command's)."""
    return imbalance.default_targets(view.map, imbalance.DEFAULT_MOVE, snap=True)


def heat_time_edges(start_ms: int, end_ms: int, tf_ms: int, max_columns: int = MAX_HEAT_COLUMNS) -> np.ndarray:
    """Column edges over [start, end): whole bars, at most ``max_columns`` columns."""
    start = start_ms - start_ms % tf_ms
    bars = max(1, -(-(end_ms - start) // tf_ms))
    per = max(1, -(-bars // max_columns))
    return start + np.arange(0, bars + per, per, dtype=np.int64) * tf_ms


class ModelKeeper:
    """The liquidation model of the shown session, kept up to date. Not thread-safe: one worker owns it."""

    def __init__(self) -> None:
        self.model: Optional[LiquidationModel] = None
        self.ensemble: Optional[EnsembleModel] = None
        self.relative = False
        self._key: tuple | None = None
        self._heat: tuple[tuple, float, Heatmap] | None = None
        self._first_ms: Optional[int] = None  # the oldest candle the model was built from
        self.rebuilds = 0
        # Bumped whenever the model takes in anything (a rebuild, a closed candle, newer OI): between
        # two closed candles a live view asks for the same maps over and over.
        self.revision = 0
        self._oi_end: Optional[int] = None  # the newest OI row fed to the model
        # After a deferred rebuild: the frames the ensemble still has to take in (finish_ranges)
        self._pending: Optional[tuple[pd.DataFrame, pd.DataFrame]] = None
        self._maps: tuple[tuple, LiquidationMap, Optional[EnsembleMaps], Optional[tuple]] | None = None
        self._view: tuple[tuple, Optional[Heatmap], LiquidityView] | None = None

    def needs_rebuild(self, session_id: int, frames: MarketFrames, params: ModelParams) -> bool:
        return self.model is None or self._key != (session_id, params, frames.symbol, frames.timeframe_ms)

    @property
    def ranges_pending(self) -> bool:
        return self._pending is not None

    def finish_ranges(self) -> bool:
        """Build the ensemble a deferred rebuild left out (the ranges); True if there was work."""
        if self._pending is None or self.ensemble is None:
            return False
        candles, oi = self._pending
        self._pending = None
        self.ensemble.ingest(candles, oi)
        self.revision += 1
        return True

    def sync(self, session_id: int, frames: MarketFrames, params: ModelParams, closed_until_ms: Optional[int] = None,
             defer_ranges: bool = False) -> LiquidationModel:
        """Bring the model up to ``frames``, feeding it only closed candles (a live source revises the
        minute in progress, and the model ignores revisions of bars it already holds).

        ``defer_ranges``: after a rebuild, return once the central model is built and leave the
        ensemble (the ranges) to ``finish_ranges``: the view worker draws the map in between."""
        key = (session_id, params, frames.symbol, frames.timeframe_ms)
        first = int(frames.candles["ts"].iloc[0]) if len(frames.candles) else None
        # A volume-based map stands in only while there is no OI: once OI arrives (a live feed's first
        # poll), the OI model takes over. A session that dropped its oldest rows (its history window moved)
        # is built again from what it kept: else every position opened since the terminal started would
        # stay in the model until its price is hit, and the map would differ from a restart's.
        cut = first is not None and self._first_ms is not None and first > self._first_ms
        if self.model is None or self._key != key or cut or (self.relative and len(frames.open_interest) > 0):
            self._pending = None  # what a deferred rebuild left out is rebuilt anyway
            known = frames.known_at(closed_until_ms) if closed_until_ms is not None else frames
            self.relative = len(known.open_interest) == 0 and len(known.candles) > 0
            if self.relative:
                # Candles only: the volume-based map, kept as it is (its stand-in OI needs the whole
                # history, so it is rebuilt rather than updated; candles-only data is offline data).
                self.model = volume_model(known.candles, params, frames.timeframe_ms)
                self.ensemble = None
            elif defer_ranges:
                # The central model alone first (a third of the whole build): the map and the heatmap are
                # drawn before the crowds' runs (finish_ranges) give the ranges.
                self.model = LiquidationModel(params, frames.timeframe_ms)
                self.model.ingest(known.candles, known.open_interest)
                self.ensemble = EnsembleModel(params, frames.timeframe_ms)
                self._pending = (known.candles, known.open_interest)
            else:
                # All at once: the central model takes the crossings the ensemble's first run searched.
                self.ensemble = EnsembleModel.from_history(known.candles, known.open_interest, params, frames.timeframe_ms)
                self.model = LiquidationModel(params, frames.timeframe_ms)
                self.model.ingest(known.candles, known.open_interest, crossings_from=self.ensemble.crossing_model)
            self._key, self._heat, self._first_ms = key, None, first
            self._oi_end = int(known.open_interest["ts"].iloc[-1]) if len(known.open_interest) else None
            self.rebuilds += 1
            self.revision += 1
            return self.model
        self.finish_ranges()  # an update must find every run built
        last = self.model.last_ms()
        if last is not None and not self.relative:
            c, oi = frames.candles, frames.open_interest
            cts, ots = c["ts"].to_numpy(), oi["ts"].to_numpy()
            c_end = len(cts) if closed_until_ms is None else int(np.searchsorted(cts, closed_until_ms - frames.timeframe_ms, "right"))
            o_end = len(ots) if closed_until_ms is None else int(np.searchsorted(ots, closed_until_ms, "right"))
            tail_c = c.iloc[int(np.searchsorted(cts, last - frames.timeframe_ms, "left")):c_end]
            tail_oi = oi.iloc[int(np.searchsorted(ots, last - 2 * frames.timeframe_ms, "left")):o_end]
            added = self.model.update(tail_c, tail_oi)
            if self.ensemble is not None:
                self.ensemble.update(tail_c, tail_oi)
            oi_end = int(tail_oi["ts"].iloc[-1]) if len(tail_oi) else None
            if added or (oi_end is not None and oi_end != self._oi_end):
                self.revision += 1
            self._oi_end = oi_end if oi_end is not None else self._oi_end
        return self.model

    def view(
        self,
        session_id: int,
        frames: MarketFrames,
        params: ModelParams,
        exchanges: Sequence[str],
        as_of_ms: Optional[int],
        heat_range_ms: Optional[tuple[int, int]],
        live: bool,
        closed_until_ms: Optional[int] = None,
        tiers: Optional[tuple[int, ...]] = None,
        defer_ranges: bool = False,
    ) -> Optional[LiquidityView]:
        if len(frames.candles) == 0:
            return None
        model = self.sync(session_id, frames, params, closed_until_ms, defer_ranges)
        if tiers is not None and set(tiers) >= set(range(len(params.leverages))):
            tiers = None  # every layer: the plain map (and its ranges)
        maps_key = (self._key, self.revision, tuple(exchanges), as_of_ms, tiers)
        maps = self._maps if self._maps is not None and self._maps[0] == maps_key else None
        if maps is not None:
            m = maps[1]
        else:
            m = model.map_at(as_of_ms, exchanges=tuple(exchanges))
            if not np.isfinite(m.price):
                return None
            if tiers is not None:  # on the full map's bins, so switching layers keeps the price grid
                m = model.map_at(as_of_ms, m.bin_edges, exchanges=tuple(exchanges), tiers=tiers)
        end = as_of_ms if as_of_ms is not None else model.last_ms()
        first = int(frames.candles["ts"].iloc[0])
        lo, hi = heat_range_ms if heat_range_ms else (first, end)
        lo, hi = max(int(lo), first), min(int(hi), end)
        heat = None
        if hi > lo:
            edges = heat_time_edges(lo, hi, model.tf)
            key = (self._key, tuple(exchanges), tiers, as_of_ms, int(edges[0]), int(edges[1] - edges[0]), len(edges), float(m.bin_edges[0]), float(m.bin_edges[-1]), len(m.bin_edges))
            now = time.monotonic()
            cached = self._heat
            if cached is not None and (cached[0] == key or (live and cached[0][:4] == key[:4] and now - cached[1] < HEAT_REFRESH_S)):
                heat = cached[2]
            else:
                heat = model.heatmap(edges, m.bin_edges, exchanges=tuple(exchanges), tiers=tiers)
                self._heat = (key, now, heat)
        if self._view is not None and self._view[0] == maps_key and self._view[1] is heat:
            return self._view[2]  # nothing new since the last view: the same one (the window skips redrawing it)
        view = self._make_view(m, heat, tiers, as_of_ms, exchanges, maps_key, maps)
        self._view = (maps_key, heat, view)
        return view

    def _make_view(self, m: LiquidationMap, heat: Optional[Heatmap], tiers: Optional[tuple[int, ...]], as_of_ms: Optional[int],
                   exchanges: Sequence[str], maps_key: tuple, maps: Optional[tuple]) -> LiquidityView:
        if maps is not None:
            ens, ranges = maps[2], maps[3]
        elif self._pending is not None:
            ens = ranges = None
        elif self.ensemble is not None and not self.relative and tiers is None:
            # The ranges are over crowds with every layer: they do not bound a chosen layer's figure.
            ens = self.ensemble.maps_at(as_of_ms, m.bin_edges, m.price, exchanges=tuple(exchanges))
            ranges = ens.cumulative_ranges()
        else:
            ens = ranges = None
        self._maps = (maps_key, m, ens, ranges)
        if self.relative:
            # Relative units: the heatmap's heaviest cell is 1 (as the map's heaviest bin is).
            top = float(heat.values.max(initial=0.0)) if heat is not None and heat.values.size else 0.0
            if heat is not None and top > 0:
                heat = Heatmap(heat.time_edges, heat.price_edges, heat.long_values / top, heat.short_values / top)
            return LiquidityView(relative(m), heat, relative=True, tiers=tiers)
        pending = self._pending is not None and tiers is None
        return LiquidityView(m, heat, ensemble=ens, tiers=tiers, ranges=ranges, ranges_pending=pending)
