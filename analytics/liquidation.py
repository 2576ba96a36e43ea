"""The liquidation-level model: cohorts opened by rising open interest, consumed when price reaches them.

Per exchange, for the candle opened at ``T`` (closing at ``T + tf``):

1. ``ΔOI = OI(T + tf) - OI(T)``, each OI looked up as of that instant (last measurement at or before
   it). With coarser OI (e.g. every 5 minutes) the whole change lands on the candle that closes at or
   just after the measurement; before the first measurement nothing is opened.
2. ``ΔOI > 0`` opens positions at the candle's entry price (typical price or VWAP), split into longs and
   shorts by the taker buy share (50/50 without it) and over the leverage tiers by weight. Each
   (candle, side, tier) is a *cohort* with the isolated liquidation price of ``analytics.liqprice``.
3. ``ΔOI < 0`` closes the same fraction of every open cohort: ``OI(T + tf) / (OI(T) - L(T))`` of each
   survives (closing is assumed proportional across entry prices; the model cannot know who closed).
   ``L(T)`` is what the model itself liquidated in that candle (step 4): a liquidation closes positions
   and so lowers OI, and without this credit the same fall would be read a second time as ordinary
   closing (or as fewer openings), leaving the model's open mass well below the real OI.
4. A cohort is consumed by the first *later* candle whose low (longs) or high (shorts) reaches its
   liquidation price: an estimated liquidation at that price, of the cohort's size at that moment.
5. Optional exponential decay with age (``half_life_ms``).

Steps 3 and 5 are one multiplicative weight per candle, so a cohort's size at candle ``i`` is
``qty × exp(G[i] - G[open])`` with ``G`` a running sum; consumption does not depend on sizes, so each
cohort's consumption candle is found independently by a range-minimum query (``analytics.crossing``).
Sizes do depend on ``L``, which depends on earlier sizes: the full computation solves that by a fixed
point on the consuming candles only (the crossings are found once, see ``_settle_sizes``), the
incremental one exactly, candle by candle.
That makes the full computation a handful of vector passes, and an update with one new candle touches
only the open cohorts near the new high and low.

A candle's state is known at its close: "as of ``t``" uses candles with ``ts + tf <= t`` and OI rows
with ``ts <= t``, exactly what ``MarketFrames.known_at(t)`` keeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from analytics.crossing import CrossingIndex
from analytics.levels import Heatmap, LiquidationMap, auto_bin_edges, bin_index, grid_index, grid_origin
from analytics.liqprice import isolated_liq_price
from analytics.params import ENTRY_VWAP, ModelParams

from cascade_vocab.units import MINUTE_MS
NEVER = np.iinfo(np.int64).max  # consumption candle of a cohort still open
_BLOCK = 16384  # openings per block of crossing queries (about 80,000 queries: temporaries stay small)
_HEAT_BLOCK = 8192  # openings per block of heatmap cohorts (about 80,000 scatter-adds per block)
LONG, SHORT = 1, -1
LIQUIDATION_COLUMNS = ("ts", "exchange", "side", "price", "qty_base", "notional_usd")


# ----------------------------------------------------------------------------------------------
# Growable column storage: amortized O(1) appends, so an update never copies the whole history.


class _Grow:
    __slots__ = ("data", "n")

    def __init__(self, dtype, values: np.ndarray | None = None) -> None:
        values = np.empty(0, dtype=dtype) if values is None else np.asarray(values, dtype=dtype)
        self.data = np.empty(max(16, int(len(values) * 1.25) + 16), dtype=dtype)
        self.data[: len(values)] = values
        self.n = len(values)

    def append(self, values) -> None:
        values = np.atleast_1d(values)
        self.grow(len(values))[:] = values

    def push(self, value) -> None:
        """Append one scalar (the per-candle update path)."""
        if self.n == len(self.data):
            self.reserve(2 * len(self.data))
        self.data[self.n] = value
        self.n += 1

    def reserve(self, capacity: int) -> None:
        if capacity > len(self.data):
            bigger = np.empty(capacity, dtype=self.data.dtype)
            bigger[: self.n] = self.data[: self.n]
            self.data = bigger

    def grow(self, k: int) -> np.ndarray:
        """Extend by ``k`` uninitialized slots and return them to be written in place."""
        if self.n + k > len(self.data):
            self.reserve(max(2 * len(self.data), self.n + k))
        out = self.data[self.n : self.n + k]
        self.n += k
        return out

    def keep(self, mask: np.ndarray) -> None:
        kept = self.data[: self.n][mask]
        self.data[: len(kept)] = kept
        self.n = len(kept)

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.n]


# ----------------------------------------------------------------------------------------------
# Pure per-candle computations shared by the full and the incremental path.


def oi_asof(oi_ts: np.ndarray, oi_base: np.ndarray, at: np.ndarray) -> np.ndarray:
    """OI at each instant: the last measurement at or before it, NaN before the first."""
    at = np.asarray(at)
    if len(oi_ts) == 0:
        return np.full(at.shape, np.nan)
    idx = np.searchsorted(oi_ts, at, side="right") - 1
    out = oi_base[np.maximum(idx, 0)].astype(float)
    out[idx < 0] = np.nan
    return out


def oi_known(bar_ts: np.ndarray, tf_ms: int, oi_ts: np.ndarray, oi_base: np.ndarray) -> np.ndarray:
    """Candles whose OI change is known (a measurement at or before both their open and close)."""
    return np.isfinite(oi_asof(oi_ts, oi_base, bar_ts)) & np.isfinite(oi_asof(oi_ts, oi_base, bar_ts + tf_ms))


def oi_change(bar_ts: np.ndarray, tf_ms: int, oi_ts: np.ndarray, oi_base: np.ndarray,
              keep: float = 1.0, liquidated: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(base opened per candle, surviving fraction of every open cohort per candle).

    ``keep`` is the part of open positions that a candle's ordinary turnover leaves open (1 = none
    closes unless OI falls). ``liquidated`` is the base the model liquidated in each candle: those
    positions are gone already, so only ``OI(T) - L`` is left to turn over or close. Then
    ``(OI(T) - L) × keep`` stays, ``OI(T + tf) - (OI(T) - L) × keep`` is opened if positive, and if
    negative every cohort keeps ``OI(T + tf) / (OI(T) - L)`` instead. Unknown OI: no change.
    """
    before = oi_asof(oi_ts, oi_base, bar_ts)
    after = oi_asof(oi_ts, oi_base, bar_ts + tf_ms)
    return oi_step(before, after, keep, liquidated)


def oi_step(before: np.ndarray, after: np.ndarray, keep: float,
            liquidated: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``oi_change`` from the OI as of each candle's open (``before``) and close (``after``), NaN unknown."""
    known = np.isfinite(before) & np.isfinite(after)
    if liquidated is not None:
        # Never credit more than the OI there was: the model's mass can exceed a glitching OI feed.
        before = before - np.minimum(np.asarray(liquidated, float), np.where(before > 0, before, 0.0))
    opened = np.where(known, after - before * keep, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(before > 0, after / before, 1.0)
    frac = np.where(known, np.minimum(keep, ratio), 1.0)
    frac = np.clip(np.nan_to_num(frac, nan=1.0), 1e-12, 1.0)
    return np.maximum(opened, 0.0), frac


def entry_prices(high, low, close, volume, quote_volume, params: ModelParams) -> np.ndarray:
    typical = (np.asarray(high, float) + np.asarray(low, float) + np.asarray(close, float)) / 3.0
    if params.entry != ENTRY_VWAP:
        return typical
    v = np.asarray(volume, float)
    q = np.asarray(quote_volume, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = q / v
    ok = np.isfinite(vwap) & (v > 0) & (vwap >= np.asarray(low, float)) & (vwap <= np.asarray(high, float))
    return np.where(ok, vwap, typical)


def taker_buy_share(volume, taker_buy_volume, params: ModelParams) -> np.ndarray:
    v = np.asarray(volume, float)
    if not params.taker_split:
        return np.full(len(v), 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.asarray(taker_buy_volume, float) / v
    return np.where(np.isfinite(s) & (v > 0), np.clip(s, 0.0, 1.0), 0.5)


def liq_prices(entry: np.ndarray, params: ModelParams, out: np.ndarray) -> np.ndarray:
    """Liquidation prices of the cohorts opened at these entries, written into ``out`` (openings, 2, tiers)."""
    lev = np.asarray(params.leverages, dtype=float)
    mmr = params.mmr()
    num = np.array([1.0 - LONG * (1.0 / lev), 1.0 - SHORT * (1.0 / lev)])[None, :, :]
    den = np.array([1.0 - LONG * mmr, 1.0 - SHORT * mmr])[None, :, None]
    np.multiply(np.asarray(entry, float)[:, None, None], num, out=out)
    np.divide(out, den, out=out)
    return out


def cohort_grid(d_oi: np.ndarray, share: np.ndarray, entry: np.ndarray, params: ModelParams,
                out_liq: np.ndarray | None = None, out_qty: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Liquidation prices and sizes of the cohorts opened by these candles, shape (candles, 2, tiers).

    Axis 1 is the side (0 long, 1 short), axis 2 the leverage tier. A cohort of zero size is kept (it
    adds nothing) so that the layout stays implicit: cohort ``i`` belongs to opening ``i // (2 k)``.
    """
    w = params.normalized_weights()
    lev = np.asarray(params.leverages, dtype=float)
    mmr = params.mmr()
    r, k = len(d_oi), len(w)
    liq = np.empty((r, 2, k)) if out_liq is None else out_liq.reshape(r, 2, k)
    qty = np.empty((r, 2, k)) if out_qty is None else out_qty.reshape(r, 2, k)
    # isolated_liq_price's arithmetic, written in place: entry × (1 ∓ 1/L) / (1 ∓ mmr). Whole (side,
    # tier) rows at once: numpy then runs one inner loop of 2k per candle, not k per (candle, side).
    num = np.array([1.0 - LONG * (1.0 / lev), 1.0 - SHORT * (1.0 / lev)])[None, :, :]
    den = np.array([1.0 - LONG * mmr, 1.0 - SHORT * mmr])[None, :, None]
    np.multiply(np.asarray(entry, float)[:, None, None], num, out=liq)
    np.divide(liq, den, out=liq)
    by_side = np.empty((r, 2))
    np.multiply(d_oi, share, out=by_side[:, 0])
    np.multiply(d_oi, 1.0 - share, out=by_side[:, 1])
    np.multiply(by_side[:, :, None], w[None, None, :], out=qty)
    return liq, qty


# ----------------------------------------------------------------------------------------------
# One venue's state.


class _Venue:
    """Candles, OI, openings and cohorts of one exchange, in growable columns.

    An *opening* is a candle that opened positions; its ``2 × tiers`` cohorts are stored contiguously
    (long tiers, then short tiers), so side and tier follow from a cohort's index.
    """

    def __init__(self, name: str, tf_ms: int, k_tiers: int) -> None:
        self.name = name
        self.tf = tf_ms
        self.k = k_tiers
        self.bar_ts = _Grow(np.int64)
        self.low = _Grow(float)
        self.high = _Grow(float)
        self.close = _Grow(float)
        self.log_p = _Grow(float)  # running sum of log(surviving fraction)
        self.g = _Grow(float)  # log_p - decay × (close time - ref)
        self.oi_ts = _Grow(np.int64)
        self.oi_base = _Grow(float)
        self.ref_ms = 0
        self.o_bar = _Grow(np.int64)
        self.o_g = _Grow(float)
        self.o_entry = _Grow(float)
        self.c_liq = _Grow(float)
        self.c_qty = _Grow(float)
        self.c_rem = _Grow(np.int64)
        # Open cohorts per (side, tier): indices and liquidation prices, with the extreme price as a
        # guard so a candle that reaches none of them costs one comparison.
        self.alive: dict[tuple[int, int], list] = {}
        self.alive_stale = False  # True: ``alive`` is to be built from the cohorts before use
        self.fresh_from = 0  # openings from here on are not in ``alive`` yet (see ``_consume_fresh``)
        self.settle_cache: dict = {}  # the credit's fixed point: what depends on the crossings only
        # Runs that differ only in sizes (the ensemble's) hold the same cohorts: a follower keeps the
        # lead's liquidation prices and consumption candles (the same arrays, not copies) and takes
        # each new candle's hits from the lead, which steps first; ``step_hits`` holds them meanwhile.
        self.lead: _Venue | None = None
        self.followed = False
        self.step_hits: dict[int, np.ndarray] = {}
        self._bins: tuple[tuple, _Grow] | None = None  # cached price binning of the cohorts

    def fill_bins(self, edges: np.ndarray, n: int) -> tuple[float, int] | None:
        """Make sure the bin cache covers cohorts ``[0, n)`` for these edges; returns ``grid_origin(edges)``.

        Map and heatmap usually share bins and an update adds few cohorts, so the work is cached: for
        grid edges (``i × step``, as ``auto_bin_edges`` makes) the grid index per step, otherwise the bins
        of the last edges.
        """
        grid = grid_origin(edges)
        key = ("grid", grid[0]) if grid is not None else ("edges", edges.tobytes())
        if self._bins is None or self._bins[0] != key:
            self._bins = (key, _Grow(np.int64))
        cache = self._bins[1]
        cache.reserve(n)
        for a in range(cache.n, n, 1 << 16):  # blocks: small temporaries
            new = self.c_liq.view[a : min(a + (1 << 16), n)]
            cache.append(grid_index(new, grid[0]) if grid is not None else _trash_bins(new, edges))
        return grid

    def bins(self, edges: np.ndarray, n: int) -> np.ndarray:
        """Price bin of cohorts ``[0, n)`` (out of range -> the extra last bin ``len(edges) - 1``)."""
        grid = self.fill_bins(edges, n)
        cache = self._bin_cache()
        if grid is None:
            return cache.view[:n]
        return self._grid_bins(cache.view[:n], grid[1], len(edges) - 1)

    def bins_range(self, edges: np.ndarray, a: int, b: int) -> np.ndarray:
        """``bins(edges, b)[a:b]`` without materializing the rest (cohorts ``[a, b)``)."""
        grid = self.fill_bins(edges, b)
        cache = self._bin_cache()
        if grid is None:
            return cache.view[a:b]
        return self._grid_bins(cache.view[a:b], grid[1], len(edges) - 1)

    def _bin_cache(self) -> "_Grow":
        assert self._bins is not None, "fill_bins fills it"
        return self._bins[1]

    @staticmethod
    def _grid_bins(gid: np.ndarray, i0: int, nb: int) -> np.ndarray:
        # Below 0 or at/after nb -> nb, in one pass: negative values are huge as unsigned.
        out = np.subtract(gid, i0)
        np.minimum(out.view(np.uint64), np.uint64(nb), out=out.view(np.uint64))
        return out

    @property
    def n_bars(self) -> int:
        return self.bar_ts.n

    @property
    def n_open(self) -> int:
        return self.o_bar.n

    def add_oi(self, ts: np.ndarray, base: np.ndarray) -> None:
        ok = np.isfinite(base)
        ts, base = ts[ok], base[ok]
        if self.oi_ts.n:
            newer = ts > self.oi_ts.view[-1]
            ts, base = ts[newer], base[newer]
        self.oi_ts.append(ts)
        self.oi_base.append(base)

    def add_openings(self, bars: np.ndarray, g: np.ndarray, entry: np.ndarray, d_oi: np.ndarray, share: np.ndarray,
                     params: ModelParams) -> tuple[np.ndarray, np.ndarray]:
        """Append openings and their cohorts (consumption unknown yet); returns (liq, rem) views (r, 2, k)."""
        r, k2 = len(bars), 2 * self.k
        self.o_bar.append(bars)
        self.o_g.append(g)
        self.o_entry.append(entry)
        liq = self.c_liq.grow(r * k2)
        qty = self.c_qty.grow(r * k2)
        rem = self.c_rem.grow(r * k2)
        rem[:] = NEVER
        liq3, _qty3 = cohort_grid(d_oi, share, entry, params, liq, qty)
        return liq3, rem.reshape(r, 2, self.k)

    def index_alive(self, first_opening: int, liq3: np.ndarray, rem3: np.ndarray) -> None:
        """Register the still-open cohorts of openings ``first_opening...`` in the per-(side, tier) sets."""
        k2 = 2 * self.k
        for side in (0, 1):
            for tier in range(self.k):
                rows = np.flatnonzero(rem3[:, side, tier] == NEVER)
                if len(rows) == 0:
                    continue
                slot = self._slot(side, tier)
                liq = liq3[rows, side, tier]
                slot[0].append((first_opening + rows) * k2 + side * self.k + tier)
                slot[1].append(liq)
                slot[2] = max(slot[2], float(liq.max())) if side == 0 else min(slot[2], float(liq.min()))

    def _slot(self, side: int, tier: int) -> list:
        slot = self.alive.get((side, tier))
        if slot is None:
            slot = self.alive[(side, tier)] = [_Grow(np.int64), _Grow(float), -np.inf if side == 0 else np.inf]
        return slot

    def consume(self, bar: int, low: float, high: float) -> np.ndarray:
        """Mark the open cohorts reached by candle ``bar``; returns their indices."""
        if self.alive_stale:
            self.alive_stale = False
            r = self.n_open
            self.index_alive(0, self.c_liq.view.reshape(r, 2, self.k), self.c_rem.view.reshape(r, 2, self.k))
            self.fresh_from = r
        rem = self.c_rem.data
        hits = self._consume_fresh(bar, low, high)
        for (side, _tier), slot in self.alive.items():
            idx, liq, guard = slot
            if idx.n == 0 or (low > guard if side == 0 else high < guard):
                continue
            lv = liq.view
            hit = lv >= low if side == 0 else lv <= high
            rem[idx.view[hit]] = bar
            hits.append(idx.view[hit])
            keep = ~hit
            idx.keep(keep)
            liq.keep(keep)
            lv = liq.view
            slot[2] = (float(lv.max()) if side == 0 else float(lv.min())) if len(lv) else (-np.inf if side == 0 else np.inf)
        return np.concatenate(hits) if hits else np.empty(0, np.int64)

    _FRESH = 64  # openings checked as one block before they join the per-(side, tier) sets

    def _consume_fresh(self, bar: int, low: float, high: float) -> list[np.ndarray]:
        """Consume among the newest openings, not yet in the open sets: one vector test of their few
        cohorts costs less than filing each new candle's cohorts into 2 × tiers sets one by one."""
        a, b = self.fresh_from, self.n_open
        if a >= b:
            return []
        k2 = 2 * self.k
        liq = self.c_liq.data[a * k2 : b * k2].reshape(b - a, 2, self.k)
        rem = self.c_rem.data[a * k2 : b * k2]
        reached = np.empty(liq.shape, bool)
        np.greater_equal(liq[:, 0], low, out=reached[:, 0])
        np.less_equal(liq[:, 1], high, out=reached[:, 1])
        hit = reached.reshape(-1)
        hit &= rem == NEVER
        if not hit.any():
            return []
        where = np.flatnonzero(hit)
        rem[where] = bar
        return [where + a * k2]

    def file_fresh(self) -> None:
        """File the newest openings into the open sets once they make a block."""
        a, b = self.fresh_from, self.n_open
        if b - a >= self._FRESH and not self.alive_stale:
            k2 = 2 * self.k
            self.index_alive(a, self.c_liq.data[a * k2 : b * k2].reshape(b - a, 2, self.k),
                             self.c_rem.data[a * k2 : b * k2].reshape(b - a, 2, self.k))
            self.fresh_from = b

    def liquidated_base(self, cohorts: np.ndarray, at_bar: int) -> float:
        """Base size of these cohorts as they stood at the close of candle ``at_bar``."""
        if len(cohorts) == 0 or at_bar < 0:
            return 0.0
        opening = cohorts // (2 * self.k)
        return float(np.sum(self.c_qty.view[cohorts] * np.exp(self.g.view[at_bar] - self.o_g.view[opening])))


# ----------------------------------------------------------------------------------------------
# Frame helpers (column names of market.series).


def _by_exchange(df: pd.DataFrame | None, cols: Iterable[str]) -> dict[str, dict[str, np.ndarray]]:
    if df is None or len(df) == 0:
        return {}
    ex = _column(df, "exchange")
    if len(ex) <= 64:  # an update's few rows: grouping in Python beats hashing them in pandas
        listed = ex.tolist()
        names = list(dict.fromkeys(listed))
        rows = [np.array([i for i, e in enumerate(listed) if e == n], np.int64) for n in names]
    else:
        codes, names = pd.factorize(ex)
        if len(names) > 16:  # many names: one stable sort; few (venues): one comparison each is cheaper
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
            rows = [order[bounds[k] : bounds[k + 1]] for k in range(len(names))]
        else:
            rows = [np.flatnonzero(codes == k) for k in range(len(names))]
    arrays = {c: _column(df, c) for c in cols}
    out = {}
    for k, name in enumerate(names):
        sel = rows[k]
        part = {c: a[sel] for c, a in arrays.items()}  # fancy indexing: fresh arrays, the frame is not shared
        ts = np.asarray(part["ts"], dtype=np.int64)
        if len(ts) > 1 and not np.all(ts[1:] > ts[:-1]):
            o = np.argsort(ts, kind="stable")
            ts_sorted = ts[o]
            last = np.r_[ts_sorted[1:] != ts_sorted[:-1], True]  # later rows win on equal ts
            o = o[last]
            part = {c: a[o] for c, a in part.items()}
            ts = part["ts"].astype(np.int64)
        part["ts"] = ts
        out[str(name)] = part
    return out


@dataclass(frozen=True)
class UpdateRows:
    """An update's candles and OI rows split by venue (``split_update``)."""

    candles: dict[str, dict[str, np.ndarray]]
    oi: dict[str, dict[str, np.ndarray]]


def split_update(candles: pd.DataFrame | None, open_interest: pd.DataFrame | None = None) -> UpdateRows:
    """The rows of one ``LiquidationModel.update``, split by venue once for every model they feed."""
    oi = _by_exchange(open_interest, ["ts", "oi_base"]) if open_interest is not None and len(open_interest) else {}
    if candles is None or len(candles) == 0:
        return UpdateRows({}, oi)
    cols = [c for c in _CANDLE_COLS if c in candles.columns]
    return UpdateRows({name: _candle_arrays(part) for name, part in _by_exchange(candles, cols).items()}, oi)


def _oi_scalar(v: "_Venue", at: int) -> float:
    """``oi_asof`` of one instant: the last measurement at or before it, NaN before the first."""
    i = int(v.oi_ts.view.searchsorted(at, side="right")) - 1
    return float(v.oi_base.data[i]) if i >= 0 else math.nan


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    """One column as an array. ``df[name]`` builds a Series first, which costs more than the per-candle
    update itself; pandas' column accessor is used where it exists."""
    get = getattr(df, "_get_column_array", None)
    if get is not None and df.columns.is_unique:
        try:
            return np.asarray(get(df.columns.get_loc(name)))
        except (KeyError, TypeError, IndexError):
            pass
    return df[name].to_numpy()


def _venue_order(names: Iterable[str]) -> list[str]:
    """Venues in a fixed order (by name): the model knows venues only as names in the data it is given."""
    return sorted(set(names))


_CANDLE_COLS = ("ts", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume")


def _candle_arrays(part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {"ts": part["ts"]}
    for c in _CANDLE_COLS[1:]:  # parts are already fresh arrays: convert without copying float64
        out[c] = np.asarray(part[c], dtype=float) if c in part else np.full(len(part["ts"]), np.nan)
    return out


def _stable_order(keys: np.ndarray, bound: int) -> np.ndarray:
    """Stable sorting order of non-negative integer keys below ``bound``: radix sorts of 16-bit digits
    (numpy sorts 16-bit integers stably in linear time; a general sort of 10^5..10^6 keys costs far more)."""
    if bound <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = (keys >> 16)[order]
    return order[np.argsort(high.astype(np.uint16) if bound <= 1 << 32 else high, kind="stable")]


def _settle_plan(rem: np.ndarray, rising: np.ndarray, n: int, k: int) -> dict[str, np.ndarray]:
    """What the credit's fixed point needs from the crossings alone (shared by runs that share them).

    ``events``: candles where something is consumed. Cohorts opened at a non-event candle ("fixed":
    their opening size does not wait for a credit) are grouped by (consuming event, number of events
    up to their opening): within a group the survival correction D is the same in every run, so a
    run sums each group once (``f_os`` (opening × 2 + side), ``f_t`` (tier) and ``f_gid`` per cohort,
    ``g_e`` and ``g_bo`` per group, groups ordered by event). Cohorts opened at an event ("chain") are
    grouped by (consuming event ``p_e``, opening event ``p_j``): ``c_bar``, ``c_o``, ``c_os``, ``c_t``
    and ``p_id`` per cohort.
    """
    consumed = np.flatnonzero(rem != NEVER)
    c_bar = rem[consumed]
    os_all, t_all = np.divmod(consumed, k)  # opening × 2 + side, and tier
    del consumed  # per-cohort temporaries are dropped as soon as used: they set the rebuild's peak memory
    o_bar = rising[os_all >> 1]  # candle of each consumed cohort's opening
    is_ev = np.bincount(c_bar, minlength=n) > 0 if n else np.zeros(0, bool)
    rank = np.cumsum(is_ev) - 1
    ne = int(rank[-1]) + 1 if n else 0
    is_chain = is_ev[o_bar]  # openings whose own size depends on a credit
    e_of = rank[c_bar]
    bo_all = rank[o_bar]  # events before each cohort's opening, less one (openings ascend: local reads)
    bo_all += 1
    chain = np.flatnonzero(is_chain)
    fixed = np.flatnonzero(~is_chain)
    del is_chain
    c_e = e_of[chain]
    c_bo = bo_all[chain]
    plan = dict(events=np.flatnonzero(is_ev), c_bar=c_bar[chain], c_o=o_bar[chain], c_os=os_all[chain],
                c_t=t_all[chain])
    del c_bar, o_bar, chain
    # A stable sort by event keeps each event's cohorts in opening order, so groups are runs.
    if len(fixed):
        key = e_of[fixed]
        fixed = fixed[_stable_order(key, ne)]
        f_e = np.repeat(np.arange(ne), np.bincount(key, minlength=ne))  # the sorted keys, written in order
        del key
    else:
        f_e = np.zeros(0, np.int64)
    del e_of
    bo = bo_all[fixed]
    del bo_all
    plan.update(f_os=os_all[fixed], f_t=t_all[fixed])
    del fixed, os_all, t_all
    f_gid, g_at = _runs_of(f_e, bo)
    plan.update(f_gid=f_gid, g_e=f_e[g_at], g_bo=bo[g_at])
    del f_e, bo, g_at
    by_e = _stable_order(c_e, ne) if len(c_e) else np.zeros(0, np.int64)
    p_e_all = c_e[by_e]
    p_j_all = c_bo[by_e]
    p_j_all -= 1
    p_sorted, p_at = _runs_of(p_e_all, p_j_all)
    p_id = np.empty(len(c_e), np.int64)
    p_id[by_e] = p_sorted
    plan.update(p_id=p_id, p_e=p_e_all[p_at], p_j=p_j_all[p_at])
    return plan


def _runs_of(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(run id per element, first element of each run) of the runs of equal (a, b) pairs."""
    run = np.empty(len(a), bool)
    if len(run):
        run[0] = True
        np.not_equal(a[1:], a[:-1], out=run[1:])
        run[1:] |= b[1:] != b[:-1]
    return np.cumsum(run) - 1, np.flatnonzero(run)


def _trash_bins(prices: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index per price, with out-of-range prices in an extra last bin (dropped after counting)."""
    b = bin_index(prices, edges)
    b[b < 0] = len(edges) - 1
    return b


# ----------------------------------------------------------------------------------------------
# The model.


class LiquidationModel:
    """Liquidation levels of one symbol on several exchanges, built once and then kept up to date.

    ``ingest`` computes everything from the full history (vectorized); ``update`` adds newly closed
    candles and OI rows without recomputing history. ``map_at``, ``heatmap`` and
    ``estimated_liquidations`` read the state as of any time, so replay needs no recomputation.
    Not thread-safe: one worker owns it and hands out the frozen results.
    """

    def __init__(self, params: ModelParams | None = None, timeframe_ms: int = MINUTE_MS,
                 fixed_point_passes: int | None = None) -> None:
        self.params = params or ModelParams()
        self.tf = int(timeframe_ms)
        self._venues: dict[str, _Venue] = {}
        self._parts: tuple | None = None  # the frames of the last ingest split by venue, while kept as scratch
        # How many passes settle the liquidation credit (see ``_settle_sizes``): the default
        # runs to float precision, so ``ingest`` equals candle-by-candle ``update``; fewer passes trade a
        # small error for speed where the result is an approximation anyway (the ranges' ensemble).
        self.fixed_point_passes = self._FIXED_POINT_PASSES if fixed_point_passes is None else max(1, int(fixed_point_passes))
        # Per-candle constants of the incremental path.
        p = self.params
        self._keep = p.turnover_keep(self.tf)
        self._lam = p.decay_rate_per_ms()
        self._w = p.normalized_weights()
        lev = np.asarray(p.leverages, dtype=float)
        self._liq_num = np.array([1.0 - LONG * (1.0 / lev), 1.0 - SHORT * (1.0 / lev)])
        self._liq_den = np.array([1.0 - LONG * p.mmr(), 1.0 - SHORT * p.mmr()])[:, None]

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def from_history(cls, candles: pd.DataFrame, open_interest: pd.DataFrame, params: ModelParams | None = None,
                     timeframe_ms: int = MINUTE_MS) -> "LiquidationModel":
        model = cls(params, timeframe_ms)
        model.ingest(candles, open_interest)
        return model

    def ingest(self, candles: pd.DataFrame, open_interest: pd.DataFrame,
               crossings_from: "LiquidationModel | None" = None, keep_scratch: bool = False,
               follow: bool = False) -> None:
        """Replace the state with the one computed from this full history.

        ``crossings_from``: a model just built from the same frames whose leverage tiers include
        these (same entry prices and maintenance margin): its crossings are taken instead of searched
        again, where its venues hold the very same candles and openings (checked, else searched).
        ``keep_scratch``: keep what the credit's fixed point derived from the crossings, for models that
        take the same crossings next (``release_scratch`` frees it).
        ``follow``: where ``crossings_from`` has the very same tiers, share its cohorts' prices and
        consumption instead of copying them; then this model must only be updated right after that
        one, with the same rows (the ensemble's runs)."""
        p = self.params
        lam = p.decay_rate_per_ms()
        keep = p.turnover_keep(self.tf)
        k = len(p.leverages)
        shared = getattr(crossings_from, "_parts", None)
        own_parts = False  # parts split here and kept by no one: freed venue by venue
        if shared is not None and shared[0] is candles and shared[1] is open_interest:
            cparts, oparts, asof = shared[2], shared[3], shared[4]  # the same frames, split by venue already
        else:
            own_parts = not keep_scratch
            cparts = _by_exchange(candles, [c for c in _CANDLE_COLS if candles is not None and c in candles.columns])
            oparts = _by_exchange(open_interest, ["ts", "oi_base"])
            asof = {}
        # OI as of each candle's open and close, per (venue, timeframe): the same for every model here.
        self._parts = (candles, open_interest, cparts, oparts, asof) if keep_scratch else None
        self._venues = {}
        empty = {c: np.empty(0, np.int64 if c == "ts" else float) for c in _CANDLE_COLS}
        for name in _venue_order(set(cparts) | set(oparts)):
            c = _candle_arrays(cparts.pop(name, empty) if own_parts else cparts.get(name, empty))
            v = _Venue(name, self.tf, k)
            no_oi = {"ts": np.empty(0, np.int64), "oi_base": np.empty(0)}
            o = oparts.pop(name, no_oi) if own_parts else oparts.get(name, no_oi)
            v.add_oi(o["ts"], o["oi_base"].astype(float))
            ts = c["ts"]
            v.ref_ms = int(ts[0]) + self.tf if len(ts) else 0
            for buf, arr in ((v.bar_ts, ts), (v.low, c["low"]), (v.high, c["high"]), (v.close, c["close"]),
                             (v.log_p, np.zeros(len(ts))), (v.g, np.zeros(len(ts)))):
                buf.append(arr)
            # Every candle with a known OI change is an opening (of size zero where nothing opened):
            # what opens depends on the liquidation credit, which the fixed point below settles, while
            # the liquidation prices and so the crossings do not.
            oi_at = asof.get((name, self.tf))
            if oi_at is None:
                oi_at = asof[(name, self.tf)] = (oi_asof(v.oi_ts.view, v.oi_base.view, ts),
                                                 oi_asof(v.oi_ts.view, v.oi_base.view, ts + self.tf))
            rising = np.flatnonzero(np.isfinite(oi_at[0]) & np.isfinite(oi_at[1]))  # as oi_known
            entry = entry_prices(c["high"][rising], c["low"][rising], c["close"][rising], c["volume"][rising],
                                 c["quote_volume"][rising], p)
            share = taker_buy_share(c["volume"][rising], c["taker_buy_volume"][rising], p)
            # Room for about a day of updates, so the first updates do not copy the history.
            room = len(rising) * 2 * k + 4096 * 2 * k
            v.c_qty.reserve(room)
            r, k2 = len(rising), 2 * k
            v.o_bar.append(rising)
            v.o_g.append(np.zeros(r))
            v.o_entry.append(entry)
            v.c_qty.grow(r * k2)  # written by _settle_sizes
            self._venues[name] = v
            source = self._crossing_source(crossings_from, v, entry)
            if follow and source is not None and source[1] is None:
                lead = source[0]
                v.c_liq, v.c_rem, v.settle_cache, v.lead = lead.c_liq, lead.c_rem, lead.settle_cache, lead
                lead.followed = True
            else:
                v.c_liq.reserve(room)
                v.c_rem.reserve(room)
                liq3 = v.c_liq.grow(r * k2).reshape(r, 2, k)
                rem3 = v.c_rem.grow(r * k2).reshape(r, 2, k)
                if source is not None:
                    self._copy_crossings(source, v, liq3, rem3)
                else:
                    liq_prices(entry, p, liq3)
                    rem3[:] = NEVER
                    self._consume_all([(v, liq3, rem3)])
            self._settle_sizes(v, rising, entry, share, keep, lam, *oi_at)
            if not keep_scratch:  # peak memory: one venue's plan at a time
                v.settle_cache = {}
            if own_parts:
                del asof[(name, self.tf)]
            # The open sets of the incremental path are built by the first update that needs them:
            # a full recompute that is only read (a snapshot, a replay) never pays for them.
            v.alive_stale = True
        if not keep_scratch:
            self.release_scratch()

    def release_scratch(self) -> None:
        self._parts = None
        for v in self._venues.values():
            v.settle_cache = {}

    def _crossing_source(self, other: "LiquidationModel | None", v: _Venue,
                         entry: np.ndarray) -> tuple[_Venue, list[int] | None] | None:
        """(venue of ``other`` with certainly the same crossings as ``v``, its tiers for ``v``'s, None
        when they are the very same tiers), or None."""
        if other is None or other.tf != self.tf or other.params.entry != self.params.entry \
                or other.params.mmr() != self.params.mmr():
            return None
        theirs = list(other.params.leverages)
        if any(lev not in theirs for lev in self.params.leverages):
            return None
        o = other._venues.get(v.name)
        if o is None or o.n_open != v.n_open or o.n_bars != v.n_bars or o.c_rem.n != o.n_open * 2 * o.k:
            return None
        same = (np.array_equal(o.bar_ts.view, v.bar_ts.view) and np.array_equal(o.low.view, v.low.view)
                and np.array_equal(o.high.view, v.high.view) and np.array_equal(o.o_bar.view, v.o_bar.view)
                and np.array_equal(o.o_entry.view, entry))
        if not same:
            return None
        tiers = [theirs.index(lev) for lev in self.params.leverages]
        return o, (None if tiers == list(range(o.k)) else tiers)

    @staticmethod
    def _copy_crossings(source: tuple[_Venue, list[int] | None], v: _Venue, liq3: np.ndarray, rem3: np.ndarray) -> None:
        o, tiers = source
        if tiers is None:
            rem3[:] = o.c_rem.view.reshape(o.n_open, 2, o.k)
            liq3[:] = o.c_liq.view.reshape(o.n_open, 2, o.k)
            v.settle_cache = o.settle_cache  # the same cohorts, consumed at the same candles
        else:
            rem3[:] = o.c_rem.view.reshape(o.n_open, 2, o.k)[:, :, tiers]
            liq3[:] = o.c_liq.view.reshape(o.n_open, 2, o.k)[:, :, tiers]

    _FIXED_POINT_PASSES = 30

    def _settle_sizes(self, v: _Venue, rising: np.ndarray, entry: np.ndarray, share: np.ndarray,
                      keep: float, lam: float, before: np.ndarray, after: np.ndarray) -> None:
        """Sizes, survival and openings of one venue with the liquidation credit, to its fixed point.

        ``L`` (base liquidated per candle) depends on sizes that depend on earlier ``L``. The crossings
        are known, so only the candles where something is consumed (about one in eight) have a credit,
        and only those with OI falling faster than turnover can change the survival ``G``: everything
        else is computed once with ``L = 0``. The fixed point then runs on those few unknowns: what
        the other openings contribute to each consuming candle is summed once per (candle, stretch of
        constant ``G`` correction), and only the chains through reopened credit are re-evaluated, so a
        pass costs a few operations on some 10^4 values instead of whole-history passes over every
        cohort. Each pass settles one more link of a chain (a credit reopens positions that a later
        candle liquidates), to float precision in about twenty.
        """
        p = self.params
        n, k2 = v.n_bars, 2 * v.k
        ts = v.bar_ts.view
        d0, f0 = oi_step(before, after, keep)
        lf0 = np.log(f0)
        decay = lam * ((ts + self.tf - v.ref_ms).astype(float)) if lam else None

        def survival(lf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            log_p = np.cumsum(lf)
            return log_p, (log_p - decay if lam else log_p)

        rem = v.c_rem.view
        liq: np.ndarray = np.zeros(n)
        w = p.normalized_weights()
        # What follows from the crossings alone is shared by models that share them (the ensemble).
        sc = v.settle_cache
        if not sc:
            sc.update(_settle_plan(rem, rising, n, v.k))
        if len(sc["f_os"]) + len(sc["c_os"]) and n:
            events = sc["events"]
            ne = len(events)
            _log_p0, g0 = survival(lf0)
            # Candles where the credit can change survival: OI falls faster than turnover (a credit
            # only raises the ratio after / before, so elsewhere frac stays at keep).
            eb, ea = before[events], after[events]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                can = np.isfinite(eb) & np.isfinite(ea) & (eb > 0) & (ea / np.where(eb > 0, eb, 1.0) < keep)
            f_pos = np.flatnonzero(can)
            nf = len(f_pos)
            # The G correction D(m) is the sum of the survival changes at the credit-sensitive events up
            # to m, an index into their cumulative sum: ``cum_can[j]`` of them among the first j events.
            cum_can = np.zeros(ne + 1, np.int64)
            np.cumsum(can, out=cum_can[1:])
            a_ev = cum_can[:-1]  # just before each consuming candle
            share2 = np.empty((len(rising), 2))  # size per unit opened, per (opening, side)
            share2[:, 0] = share
            np.subtract(1.0, share, out=share2[:, 1])
            # Fixed part: each (consuming candle, stretch between events) group summed once per run.
            g_e, g_bo = sc["g_e"], sc["g_bo"]
            fine = self._fixed_groups(v, sc, rising, share2, w, d0, g0, events)
            # The stretches of constant D are unions of those between events: merge neighbouring groups.
            g_b = cum_can[g_bo]
            k_id, k_at = _runs_of(g_e, g_b)
            k_w = np.bincount(k_id, fine) if len(k_id) else np.zeros(0)
            k_e = g_e[k_at]
            k_b = g_b[k_at]
            k_a = a_ev[k_e]
            # Chains (openings at consuming candles, whose size waits for the credit), summed per
            # (consuming candle, opening candle): both sit at events, so D at each is one index.
            c_bar, c_o = sc["c_bar"], sc["c_o"]
            c_w = share2.ravel()[sc["c_os"]] * w[sc["c_t"]] * np.exp(g0[c_bar - 1] - g0[c_o])
            p_e, p_j = sc["p_e"], sc["p_j"]
            p_w = np.bincount(sc["p_id"], c_w, minlength=len(p_e))
            p_a = a_ev[p_e]
            p_b = cum_can[p_j + 1]
            b_ev = cum_can[1:]  # e^-D index of each event as an opening (its own credit included)
            lf0_f = lf0[events[f_pos]]
            fixed_sum = np.bincount(k_e, k_w, minlength=ne)
            l_ev: np.ndarray = np.zeros(ne)
            dcum = np.zeros(nf + 1)
            for _ in range(self.fixed_point_passes):
                d_ev, f_ev = oi_step(eb, ea, keep, l_ev)
                if nf:
                    np.cumsum(np.log(f_ev[f_pos]) - lf0_f, out=dcum[1:])
                if nf and dcum[-1] <= self._SPLIT_EXP_SPAN and dcum.any():
                    # D only grows (a credit only raises survival): exp(D[a] - D[b]) = e^D[a] / e^D[b],
                    # and e^D[a] is the consuming candle's, a factor of its whole sum.
                    inv = np.exp(-dcum)
                    new: np.ndarray = np.bincount(k_e, k_w * inv[k_b], minlength=ne)
                    # A chain's opening event sets both its size and its e^-D: one factor per event.
                    z = d_ev * inv[b_ev]
                    new += np.bincount(p_e, p_w * z[p_j], minlength=ne)
                    new = new / inv[a_ev]
                elif nf and dcum.any():
                    new = np.bincount(k_e, k_w * np.exp(dcum[k_a] - dcum[k_b]), minlength=ne)
                    new += np.bincount(p_e, p_w * d_ev[p_j] * np.exp(dcum[p_a] - dcum[p_b]), minlength=ne)
                else:
                    new = fixed_sum + np.bincount(p_e, p_w * d_ev[p_j], minlength=ne)
                # Per candle and relative: OI can span many orders of magnitude over a history, and a
                # credit on a tiny-OI candle must settle as surely as one on a large-OI candle.
                settled = bool(np.all(np.abs(new - l_ev) <= 1e-12 * np.maximum(np.abs(new), np.abs(l_ev))))
                if settled:
                    break
                last, l_ev = l_ev, new
            else:
                l_ev = last  # out of passes: the state of the last pass's input, as a settled one
            liq[events] = l_ev
        d, frac = oi_step(before, after, keep, liq)
        log_p, g = survival(np.log(frac))
        by_side = np.empty((len(rising), 2))
        d_open = d[rising]
        np.multiply(d_open, share, out=by_side[:, 0])
        np.multiply(d_open, 1.0 - share, out=by_side[:, 1])
        # One product into contiguous rows of k: two strided writes per side cost about half again.
        np.multiply(by_side.reshape(-1, 1), w[None, :], out=v.c_qty.view.reshape(-1, v.k))
        v.log_p.view[:] = log_p
        v.g.view[:] = g
        v.o_g.view[:] = g[rising]

    # Survival spans up to this many e-folds are split as exp(G[m]) × exp(-G[open]) (each finite in
    # float64 with room for any OI); longer histories take one exp per cohort.
    _SPLIT_EXP_SPAN = 500.0

    def _fixed_groups(self, v: _Venue, sc: dict, rising: np.ndarray, share2: np.ndarray, w: np.ndarray,
                      d0: np.ndarray, g0: np.ndarray, events: np.ndarray) -> np.ndarray:
        """Per group of the settle plan, what its openings (none at a consuming candle) weigh at the
        consuming candle without credit: sum of size × exp(G0[m - 1] - G0[open]).

        The exponent splits into a per-opening and a per-group factor, so a run costs one gather from
        a per-(opening, side) table small enough to stay in cache, one per tier, and one sum per cohort,
        not an exp and four gathers."""
        f_os, f_t, f_gid, g_e = sc["f_os"], sc["f_t"], sc["f_gid"], sc["g_e"]
        ng = len(g_e)
        if ng == 0:
            return np.zeros(0)
        h = g0 - g0.max()
        if -float(h.min()) <= self._SPLIT_EXP_SPAN:
            per_os = share2 * (d0[rising] * np.exp(-h[rising]))[:, None]
            fine = np.bincount(f_gid, per_os.ravel()[f_os] * w[f_t], minlength=ng)
            fine *= np.exp(h[events[g_e] - 1])
            return fine
        f_o = rising[f_os >> 1]
        f_bar = events[g_e][f_gid]
        fw = share2.ravel()[f_os] * w[f_t] * d0[f_o] * np.exp(g0[f_bar - 1] - g0[f_o])
        return np.bincount(f_gid, fw, minlength=ng)

    def _consume_all(self, pending) -> None:
        """Find every cohort's consumption candle: one crossing index per venue and side (lows, and
        highs asked as ``-high <= -price``), queried in blocks of openings so no temporary grows with
        the history. Per-series indices stay small and their memory is reused from one to the next."""
        for v, liq3, rem3 in pending:
            n, k = v.n_bars, v.k
            opened = v.o_bar.view
            if n == 0 or len(opened) == 0:
                continue
            starts = np.repeat(opened + 1, k)  # the first later candle, per cohort of one side
            stop = np.full(min(len(opened), _BLOCK) * k, n, np.int64)
            for side, series in ((0, v.low.view), (1, v.high.view)):
                index = CrossingIndex(series if side == 0 else np.negative(series), np.zeros(1, np.int64))
                for a in range(0, len(opened), _BLOCK):
                    b = min(a + _BLOCK, len(opened))
                    q = (b - a) * k
                    thr = liq3[a:b, side, :]
                    thr = thr.ravel() if side == 0 else np.negative(thr).ravel()
                    hit = index.first(starts[a * k : b * k], stop[:q], thr).reshape(b - a, k)
                    rem3[a:b, side, :] = np.where(hit < n, hit, NEVER)

    def update(self, candles: pd.DataFrame | None, open_interest: pd.DataFrame | None = None) -> int:
        """Add newly closed candles (and the OI rows up to their close); returns how many candles were added.

        A candle's OI change is read from the OI known when it is added, so pass OI rows up to its
        close with it (or earlier); then the state equals ``ingest`` of the whole history. Rows at or
        before what the model already holds are ignored (a revised old candle needs ``ingest``).
        """
        return self.update_split(split_update(candles, open_interest))

    def update_split(self, rows: "UpdateRows") -> int:
        """``update`` with the rows already split by venue (``split_update``): models fed the same rows
        (the ensemble's runs) split them once. The split arrays are only read."""
        for v in self._venues.values():  # followers have taken the last update's hits
            if v.step_hits:
                v.step_hits.clear()
        for name, o in rows.oi.items():
            self._venue(name).add_oi(o["ts"], o["oi_base"].astype(float))
        added = 0
        for name, c in rows.candles.items():
            v = self._venue(name)
            ts = c["ts"]
            new = ts > v.bar_ts.view[-1] if v.n_bars else np.ones(len(ts), bool)
            for j in np.flatnonzero(new):
                self._step(v, {key: a[j : j + 1] for key, a in c.items()})
                added += 1
        return added

    def _venue(self, name: str) -> _Venue:
        if name not in self._venues:
            self._venues[name] = _Venue(name, self.tf, len(self.params.leverages))
        return self._venues[name]

    def _step(self, v: _Venue, bar: Mapping[str, np.ndarray]) -> None:
        """One new candle: consume what it reaches, then weigh and open as the full computation does.

        Scalar arithmetic (the same formulas as ``oi_step``, ``entry_prices``, ``taker_buy_share`` and
        ``cohort_grid``): on one candle, numpy's per-call overhead would be most of the cost."""
        p = self.params
        t = int(bar["ts"][0])
        low, high, close = float(bar["low"][0]), float(bar["high"][0]), float(bar["close"][0])
        m = v.n_bars
        if m == 0:
            v.ref_ms = t + self.tf
        lead = v.lead
        if lead is None:
            hit = v.consume(m, low, high)
            if v.followed:
                v.step_hits[m] = hit
        else:
            got = lead.step_hits.get(m)
            if got is None:
                raise RuntimeError(f"{v.name}: a run that shares its cohorts must step right after its lead")
            hit = got
        credit = v.liquidated_base(hit, m - 1)
        before, after = _oi_scalar(v, t), _oi_scalar(v, t + self.tf)
        keep = self._keep
        d, frac = 0.0, 1.0
        known = math.isfinite(before) and math.isfinite(after)
        if known:
            # Never credit more than the OI there was: the model's mass can exceed a glitching OI feed.
            before -= min(credit, before if before > 0 else 0.0)
            d = max(after - before * keep, 0.0)
            frac = min(keep, after / before if before > 0 else 1.0)
            frac = min(max(frac, 1e-12), 1.0) if frac == frac else 1.0
        log_p = (float(v.log_p.view[-1]) if m else 0.0) + math.log(frac)
        g = log_p - self._lam * float(t + self.tf - v.ref_ms) if self._lam else log_p
        v.bar_ts.push(t)
        v.low.push(low)
        v.high.push(high)
        v.close.push(close)
        v.log_p.push(log_p)
        v.g.push(g)
        # Shared cohorts need one layout: a followed lead opens wherever the OI is known (zero size
        # where nothing opened, as ``ingest`` does), and a follower opens where its lead did.
        opens = d > 0
        if v.followed:
            opens = known
        elif lead is not None:
            opens = lead.n_open > v.n_open and int(lead.o_bar.data[v.n_open]) == m
            if d > 0 and not opens:
                raise RuntimeError(f"{v.name}: a run that shares its cohorts opened where its lead did not")
        if opens:
            volume = float(bar["volume"][0])
            entry = (high + low + close) / 3.0
            if p.entry == ENTRY_VWAP and volume > 0:
                vwap = float(bar["quote_volume"][0]) / volume
                if math.isfinite(vwap) and low <= vwap <= high:
                    entry = vwap
            share = 0.5
            if p.taker_split and volume > 0:
                s = float(bar["taker_buy_volume"][0]) / volume
                if math.isfinite(s):
                    share = min(max(s, 0.0), 1.0)
            v.o_bar.push(m)
            v.o_g.push(g)
            v.o_entry.push(entry)
            k2 = 2 * v.k
            qty = v.c_qty.grow(k2).reshape(2, v.k)
            np.multiply(d * share, self._w, out=qty[0])
            np.multiply(d * (1.0 - share), self._w, out=qty[1])
            if lead is None:
                liq = v.c_liq.grow(k2).reshape(1, 2, v.k)
                np.multiply(entry, self._liq_num, out=liq[0])
                np.divide(liq[0], self._liq_den, out=liq[0])
                v.c_rem.grow(k2)[:] = NEVER
                v.file_fresh()

    # -- reading ----------------------------------------------------------------------------

    @property
    def exchanges(self) -> tuple[str, ...]:
        return tuple(_venue_order(self._venues))

    def last_ms(self) -> int | None:
        """Close time of the newest candle on any venue (the model is known up to here)."""
        ends = [int(v.bar_ts.view[-1]) + self.tf for v in self._venues.values() if v.n_bars]
        return max(ends) if ends else None

    def _last_bar(self, v: _Venue, at_ms: int) -> int:
        return int(np.searchsorted(v.bar_ts.view, at_ms - self.tf, side="right")) - 1

    def price_at(self, at_ms: int | None = None) -> float:
        """Median of the venues' last closes known at ``at_ms``."""
        at = self.last_ms() if at_ms is None else at_ms
        if at is None:
            return float("nan")
        closes = []
        for v in self._venues.values():
            i = self._last_bar(v, at)
            if i >= 0:
                closes.append(v.close.view[i])
        return float(np.median(closes)) if closes else float("nan")

    def _open_at(self, v: _Venue, at_ms: int):
        """(bar i, openings R, alive mask (R,2,k), size (R,2,k), liq (R,2,k)) of the cohorts open at ``at_ms``."""
        i = self._last_bar(v, at_ms)
        r = int(np.searchsorted(v.o_bar.view, i, side="right")) if i >= 0 else 0
        shape = (r, 2, v.k)
        n = r * 2 * v.k
        liq = v.c_liq.view[:n].reshape(shape)
        alive = v.c_rem.view[:n].reshape(shape) > i
        weight = np.exp(v.g.view[i] - v.o_g.view[:r]) if r else np.empty(0)
        size = v.c_qty.view[:n].reshape(shape) * weight[:, None, None]
        return i, r, alive, size, liq

    def open_levels(self, at_ms: int | None = None, exchanges: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """The open cohorts at ``at_ms`` per venue: columns side ("long"/"short"), leverage, entry, liq_price,
        qty_base, notional_usd (cohorts of zero size left out)."""
        at = self.last_ms() if at_ms is None else at_ms
        out = {}
        lev = np.asarray(self.params.leverages, float)
        for name in self.exchanges:
            if exchanges is not None and name not in exchanges:
                continue
            v = self._venues[name]
            if at is None:
                i, r, alive, size, liq = -1, 0, np.zeros((0, 2, v.k), bool), np.zeros((0, 2, v.k)), np.zeros((0, 2, v.k))
            else:
                i, r, alive, size, liq = self._open_at(v, at)
            size = size * self.params.scale
            sel = alive & (size > 0)
            rows, side, tier = np.nonzero(sel)
            out[name] = pd.DataFrame({
                "side": np.where(side == 0, "long", "short").astype(object), "leverage": lev[tier],
                "entry": v.o_entry.view[:r][rows], "liq_price": liq[sel], "qty_base": size[sel],
                "notional_usd": size[sel] * liq[sel],
            })
        return out

    def map_at(self, at_ms: int | None = None, bin_edges: np.ndarray | None = None,
               exchanges: Iterable[str] | None = None, tiers: Iterable[int] | None = None) -> LiquidationMap:
        """Open liquidation levels known at ``at_ms`` (default: the newest data), binned by price.

        ``tiers``: only these leverage tiers (indices into ``params.leverages``); None: all of them."""
        at = self.last_ms() if at_ms is None else int(at_ms)
        price = self.price_at(at) if at is not None else float("nan")
        edges = np.asarray(bin_edges, float) if bin_edges is not None else auto_bin_edges(price, self.params.bin_usd)
        nb = len(edges) - 1
        per = {}
        total_l = np.zeros(nb)
        total_s = np.zeros(nb)
        for name in self.exchanges:
            if exchanges is not None and name not in exchanges:
                continue
            v = self._venues[name]
            lo = np.zeros(nb)
            sh = np.zeros(nb)
            if at is not None:
                lo, sh = self._venue_map(v, at, edges, self._tier_mask(tiers))
                lo, sh = lo * self.params.scale, sh * self.params.scale
            per[name] = (lo, sh)
            total_l += lo
            total_s += sh
        return LiquidationMap(at_ms=at if at is not None else 0, price=price, bin_edges=edges,
                              long_usd=total_l, short_usd=total_s, per_exchange=per)

    def _tier_mask(self, tiers: Iterable[int] | None) -> np.ndarray | None:
        """1 for the chosen leverage tiers, 0 for the others; None when all are chosen."""
        if tiers is None:
            return None
        k = len(self.params.leverages)
        mask = np.zeros(k)
        mask[[t for t in tiers if 0 <= int(t) < k]] = 1.0
        return None if mask.all() else mask

    def _venue_map(self, v: _Venue, at_ms: int, edges: np.ndarray,
                   tier_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(long, short) USD per bin of one venue at ``at_ms``, summed in blocks of openings."""
        nb = len(edges) - 1
        i = self._last_bar(v, at_ms)
        r = int(np.searchsorted(v.o_bar.view, i, side="right")) if i >= 0 else 0
        out = np.zeros((2, nb + 1))
        if r == 0:
            return out[0, :nb], out[1, :nb]
        k2 = 2 * v.k
        v.fill_bins(edges, r * k2)
        side_off = np.array([0, nb + 1])[None, :, None]
        for a in range(0, r, _HEAT_BLOCK):
            b = min(a + _HEAT_BLOCK, r)
            shape = (b - a, 2, v.k)
            sl = slice(a * k2, b * k2)
            usd = (v.c_qty.view[sl] * v.c_liq.view[sl]).reshape(shape)
            usd *= np.exp(v.g.view[i] - v.o_g.view[a:b])[:, None, None]
            usd[v.c_rem.view[sl].reshape(shape) <= i] = 0.0  # consumed by then
            if tier_mask is not None:
                usd *= tier_mask[None, None, :]
            # Both sides in one count (shorts offset by nb + 1): contiguous inputs, no per-side copies.
            lin = np.add(v.bins_range(edges, sl.start, sl.stop).reshape(shape), side_off)
            out += np.bincount(lin.ravel(), usd.ravel(), minlength=2 * (nb + 1)).reshape(2, nb + 1)
        return out[0, :nb], out[1, :nb]

    def tier_maps_at(self, at_ms: int | None, bin_edges: np.ndarray,
                     exchanges: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(long, short, open base): USD per leverage tier and price bin, shape (tiers, bins), summed over
        venues, and the open size in base per side and tier, shape (2, tiers), wherever it sits.

        The ensemble reweights these per-tier maps to other leverage mixes without rerunning the model."""
        return tier_maps_of([self], at_ms, bin_edges, exchanges)[0]

    def heatmap(self, time_edges: np.ndarray, price_edges: np.ndarray, exchanges: Iterable[str] | None = None,
                tiers: Iterable[int] | None = None) -> Heatmap:
        """The map as of the end of each time column, on the given price bins (difference arrays + cumsum);
        ``tiers`` as in ``map_at``."""
        te = np.asarray(time_edges, np.int64)
        pe = np.asarray(price_edges, float)
        ncol, nb = len(te) - 1, len(pe) - 1
        acc = np.zeros((2, ncol, nb))
        flat = np.empty(2 * (ncol + 1) * (nb + 1)) if ncol > 0 else None  # scratch shared by the venues
        for name in self.exchanges:
            if exchanges is not None and name not in exchanges:
                continue
            _heat_venue(self._venues[name], self.tf, te[1:], pe, acc, flat, self._tier_mask(tiers))
        acc *= self.params.scale
        return Heatmap(time_edges=te, price_edges=pe, long_values=acc[0].astype(np.float32),
                       short_values=acc[1].astype(np.float32))

    def estimated_liquidations(self, start_ms: int | None = None, end_ms: int | None = None,
                               with_tier: bool = False) -> pd.DataFrame:
        """Consumed cohorts as liquidation events (LIQUIDATION_COLUMNS; ts = open time of the reaching candle).

        ``with_tier`` adds the cohort's leverage-tier index (the calibration uses it)."""
        frames = []
        for name in self.exchanges:
            v = self._venues[name]
            rem = v.c_rem.view
            qty0 = v.c_qty.view
            idx = np.flatnonzero((rem != NEVER) & (qty0 > 0))
            r = rem[idx]
            ts = v.bar_ts.view[r]
            keep = np.ones(len(idx), bool)
            if start_ms is not None:
                keep &= ts >= start_ms
            if end_ms is not None:
                keep &= ts < end_ms
            idx, r, ts = idx[keep], r[keep], ts[keep]
            k2 = 2 * v.k
            opening = idx // k2
            qty = qty0[idx] * np.exp(v.g.view[r - 1] - v.o_g.view[opening]) * self.params.scale
            liq = v.c_liq.view[idx]
            side = np.where((idx % k2) < v.k, "long", "short").astype(object)
            f = pd.DataFrame({"ts": ts, "exchange": name, "side": side, "price": liq, "qty_base": qty,
                              "notional_usd": qty * liq})
            if with_tier:
                f["tier"] = (idx % v.k).astype(np.int64)
            frames.append(f[f["qty_base"] > 0])
        if not frames:
            empty = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in zip(LIQUIDATION_COLUMNS, ("int64", object, object, float, float, float))})
            if with_tier:
                empty["tier"] = pd.Series([], dtype="int64")
            return empty
        out = pd.concat(frames, ignore_index=True)
        out["exchange"] = out["exchange"].astype(object)
        return out.sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)



def tier_maps_of(models: list["LiquidationModel"], at_ms: int | None, bin_edges: np.ndarray,
                 exchanges: Iterable[str] | None = None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``LiquidationModel.tier_maps_at`` of several models at one instant (``at_ms`` None: each its newest).

    Models built from the same candles with the same openings (the ensemble's runs) hold the same
    cohorts at the same liquidation prices, consumed at the same candles, and differ only in sizes:
    which cohorts are open and their bins are then found once per venue, and each model only weighs
    them. Whether a venue's cohorts are the same is checked (openings, candles, prices), never assumed."""
    edges = np.asarray(bin_edges, float)
    nb = len(edges) - 1
    results = []
    outs = []
    for model in models:
        k = len(model.params.leverages)
        outs.append((np.zeros((2, k, nb + 1)), np.zeros(2 * k)))
    names = sorted({name for m in models for name in m.exchanges})
    for name in names:
        if exchanges is not None and name not in exchanges:
            continue
        plan: tuple | None = None
        for model, (out, base) in zip(models, outs):
            v = model._venues.get(name)
            at = model.last_ms() if at_ms is None else int(at_ms)
            if v is None or at is None:
                continue
            i = model._last_bar(v, at)
            r = int(np.searchsorted(v.o_bar.view, i, side="right")) if i >= 0 else 0
            if r == 0:
                continue
            if plan is None or not _same_cohorts(plan[:4], v, i, r, model.params):
                plan = (v, i, r, model.params) + _open_plan(v, i, r, edges)
            alive, o_of, st, lin, liq = plan[4:]
            k = v.k
            qty = v.c_qty.view[alive]
            qty *= np.exp(v.g.view[i] - v.o_g.view[:r])[o_of]
            base += np.bincount(st, qty, minlength=2 * k)
            qty *= liq
            out += np.bincount(lin, qty, minlength=2 * k * (nb + 1)).reshape(2, k, nb + 1)
    for model, (out, base) in zip(models, outs):
        sc = model.params.scale
        k = len(model.params.leverages)
        results.append((out[0, :, :nb] * sc, out[1, :, :nb] * sc, base.reshape(2, k) * sc))
    return results


def _same_cohorts(plan: tuple, v: _Venue, i: int, r: int, params: ModelParams) -> bool:
    """Does the plan made on ``plan[0]`` (venue, bar, openings, params) hold for ``v`` at bar ``i``?"""
    w, pi, pr, pp = plan
    if w is v:
        return pi == i and pr == r
    if (pi, pr, w.k, w.n_bars) != (i, r, v.k, v.n_bars) or pp.leverages != params.leverages \
            or pp.mmr() != params.mmr() or pp.entry != params.entry:
        return False
    # The same openings at the same prices, reached by the same candles: the same cohorts.
    return (np.array_equal(w.o_bar.view[:r], v.o_bar.view[:r]) and np.array_equal(w.o_entry.view[:r], v.o_entry.view[:r])
            and np.array_equal(w.low.view, v.low.view) and np.array_equal(w.high.view, v.high.view)
            and np.array_equal(w.bar_ts.view, v.bar_ts.view))


def _open_plan(v: _Venue, i: int, r: int, edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """(cohort, its opening, its side × tiers + tier, its (side, tier, bin) cell, its liquidation price)
    of every cohort of openings ``[0, r)`` still open after bar ``i``."""
    k2 = 2 * v.k
    nb1 = len(edges) - 1 + 1
    alive = np.flatnonzero(v.c_rem.view[: r * k2] > i)
    o_of = alive // k2
    st = alive - o_of * k2
    grid = v.fill_bins(edges, r * k2)
    lin = v._bin_cache().view[alive]  # gathered first: the bins of consumed cohorts are never needed
    if grid is not None:
        lin = v._grid_bins(lin, grid[1], nb1 - 1)
    lin += st * nb1
    return alive, o_of, st, lin, v.c_liq.view[alive]

def _heat_venue(v: _Venue, tf: int, col_at: np.ndarray, pe: np.ndarray, acc: np.ndarray,
                flat: np.ndarray | None = None, tier_mask: np.ndarray | None = None) -> None:
    """Add one venue's long (acc[0]) and short (acc[1]) heatmap values.

    Difference arrays: each cohort adds its size in its price bin at the first column where it is open
    and subtracts it at the first column where it is gone; a cumulative sum over columns gives the map
    at each column. Cohorts are taken in blocks of openings so temporaries stay small. ``flat`` (optional,
    ``2 × (columns + 1) × (bins + 1)`` float64) is scratch space shared by the venues of one heatmap.
    """
    _two, ncol, nb = acc.shape
    if v.n_bars == 0 or v.n_open == 0 or ncol == 0:
        return
    ic = np.searchsorted(v.bar_ts.view, col_at - tf, side="right") - 1  # last closed candle per column
    col_of_bar = np.searchsorted(ic, np.arange(v.n_bars + 1), side="left")  # first column showing a bar
    r, k = v.n_open, v.k
    k2 = 2 * k
    nb1 = nb + 1
    size = 2 * (ncol + 1) * nb1
    if flat is None:
        flat = np.empty(size)
    side_off = (np.arange(2) * (ncol + 1) * nb1)[None, :, None]
    v.fill_bins(pe, r * k2)
    g_col = np.where(ic >= 0, v.g.view[np.maximum(ic, 0)], 0.0)
    g_open = v.o_g.view
    # Sizes are qty × exp(G[col] - G[open]); G only falls, so rebasing on a segment's largest G keeps
    # every exp() finite. Segments split only where G spans more than ~600 (not in practice).
    seg_lo = 0
    while seg_lo < ncol:
        gmax = g_col[seg_lo]
        single = seg_lo == 0 and g_col.min() > gmax - 600
        seg_hi = ncol if single else min(ncol, seg_lo + 1 + int(np.argmax(np.r_[g_col[seg_lo + 1:] <= gmax - 600, True])))
        flat[:] = 0.0
        for a in range(0, r, _HEAT_BLOCK):
            b = min(a + _HEAT_BLOCK, r)
            shape = (b - a, 2, k)
            c0 = col_of_bar[v.o_bar.view[a:b]]  # per opening: all its cohorts appear together
            c1 = col_of_bar[np.minimum(v.c_rem.view[a * k2 : b * k2], v.n_bars)].reshape(shape)
            if not single:  # clamp appearance and disappearance to this segment's columns
                c0, c1 = np.clip(c0, seg_lo, seg_hi), np.clip(c1, seg_lo, seg_hi)
            lin = np.add(v.bins_range(pe, a * k2, b * k2).reshape(shape), side_off)
            w = (v.c_qty.view[a * k2 : b * k2] * v.c_liq.view[a * k2 : b * k2]).reshape(shape)
            w *= np.exp(np.minimum(gmax - g_open[a:b], 600.0))[:, None, None]  # capped: later segments cancel
            if tier_mask is not None:
                w *= tier_mask[None, None, :]
            # Scatter-add in place: bincount would build a full-size array per block.
            np.add.at(flat, (lin + (c0 * nb1)[:, None, None]).ravel(), w.ravel())
            c1 *= nb1  # c1 is a fresh array (gathered or clipped)
            c1 += lin
            np.subtract.at(flat, c1.ravel(), w.ravel())
        # Cumulative sum over columns, in place row by row: numpy's cumsum along a middle axis walks
        # the array with a large stride and allocates the result.
        grid = flat.reshape(2, ncol + 1, nb1)
        for col in range(seg_lo + 1, seg_hi):
            grid[:, col] += grid[:, col - 1]
        scale = np.exp(g_col[seg_lo:seg_hi] - gmax)
        scale[ic[seg_lo:seg_hi] < 0] = 0.0
        part = grid[:, seg_lo:seg_hi, :nb]
        part *= scale[None, :, None]
        acc[:, seg_lo:seg_hi] += part
        seg_lo = seg_hi


def liquidation_map(candles: pd.DataFrame, open_interest: pd.DataFrame, at_ms: int | None = None,
                    params: ModelParams | None = None, bin_edges: np.ndarray | None = None,
                    timeframe_ms: int = MINUTE_MS) -> LiquidationMap:
    """One-shot: the map at ``at_ms`` from these frames."""
    return LiquidationModel.from_history(candles, open_interest, params, timeframe_ms).map_at(at_ms, bin_edges)
