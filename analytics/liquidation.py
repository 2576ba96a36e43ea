"""The liquidation-level model: cohorts opened by rising open interest, consumed when price reaches them.

Per exchange, for the candle opened at ``T`` (closing at ``T + tf``):

1. ``ΔOI = OI(T + tf) - OI(T)``, each OI looked up as of that instant (last measurement at or before
   it). With coarser OI (e.g. every 5 minutes) the whole change lands on the candle that closes at or
   just after the measurement; before the first measurement nothing is opened.
2. ``ΔOI > 0`` opens positions at the candle's entry price (typical price or VWAP), split into longs and
   shorts by the taker buy share (50/50 without it) and over the leverage tiers by weight. Each
   (candle, side, tier) is a *cohort* with the isolated liquidation price of ``analytics.liqprice``.
3. ``ΔOI < 0`` closes the same fraction of every open cohort: ``OI(T + tf) / OI(T)`` of each survives
   (closing is assumed proportional across entry prices; the model cannot know who closed).
4. A cohort is consumed by the first *later* candle whose low (longs) or high (shorts) reaches its
   liquidation price: an estimated liquidation at that price, of the cohort's size at that moment.
5. Optional exponential decay with age (``half_life_ms``).

Steps 3 and 5 are one multiplicative weight per candle, so a cohort's size at candle ``i`` is
``qty × exp(G[i] - G[open])`` with ``G`` a running sum; consumption does not depend on sizes, so each
cohort's consumption candle is found independently by a range-minimum query (``analytics.crossing``).
That makes the full computation a handful of vector passes, and an update with one new candle touches
only the open cohorts near the new high and low.

A candle's state is known at its close: "as of ``t``" uses candles with ``ts + tf <= t`` and OI rows
with ``ts <= t``, exactly what ``MarketFrames.known_at(t)`` keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from analytics.crossing import first_crossings
from analytics.levels import Heatmap, LiquidationMap, auto_bin_edges, bin_index
from analytics.liqprice import isolated_liq_price
from analytics.params import ENTRY_VWAP, ModelParams

MINUTE_MS = 60_000
NEVER = np.iinfo(np.int64).max  # consumption candle of a cohort still open
LONG, SHORT = 1, -1
# Preferred order of venues in results (same as market.series.EXCHANGES; analytics may not import market).
EXCHANGE_ORDER = ("binance", "okx", "bybit")
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
        k = len(values)
        if self.n + k > len(self.data):
            bigger = np.empty(max(2 * len(self.data), self.n + k), dtype=self.data.dtype)
            bigger[: self.n] = self.data[: self.n]
            self.data = bigger
        self.data[self.n : self.n + k] = values
        self.n += k

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


def oi_change(bar_ts: np.ndarray, tf_ms: int, oi_ts: np.ndarray, oi_base: np.ndarray,
              keep: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(base opened per candle, surviving fraction of every open cohort per candle).

    ``keep`` is the part of open positions that a candle's ordinary turnover leaves open (1 = none
    closes unless OI falls). Then ``OI(T) × keep`` stays, ``OI(T + tf) - OI(T) × keep`` is opened if
    positive, and if negative every cohort keeps ``OI(T + tf) / OI(T)`` instead. Unknown OI: no change.
    """
    before = oi_asof(oi_ts, oi_base, bar_ts)
    after = oi_asof(oi_ts, oi_base, bar_ts + tf_ms)
    known = np.isfinite(before) & np.isfinite(after)
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


@dataclass(frozen=True)
class NewCohorts:
    open_bar: np.ndarray  # int64 candle index
    side: np.ndarray  # int8, +1 long / -1 short
    tier: np.ndarray  # int8 index into params.leverages
    entry: np.ndarray
    liq: np.ndarray
    qty: np.ndarray  # base units at opening
    g_open: np.ndarray  # the running log-weight G at the opening candle


def open_cohorts(bars: np.ndarray, d_oi: np.ndarray, share: np.ndarray, entry: np.ndarray, g: np.ndarray,
                 params: ModelParams) -> NewCohorts:
    """Cohorts of the candles ``bars`` (all with ΔOI > 0), laid out candle-major, then side, then tier."""
    w = params.normalized_weights()
    lev = np.asarray(params.leverages, dtype=float)[None, :]
    mmr = params.mmr()
    k = len(w)
    r = len(bars)
    qty = np.empty((r, 2, k))
    qty[:, 0, :] = (d_oi * share)[:, None] * w[None, :]
    qty[:, 1, :] = (d_oi * (1.0 - share))[:, None] * w[None, :]
    liq = np.empty((r, 2, k))
    liq[:, 0, :] = isolated_liq_price(entry[:, None], lev, LONG, mmr)
    liq[:, 1, :] = isolated_liq_price(entry[:, None], lev, SHORT, mmr)
    side = np.broadcast_to(np.array([LONG, SHORT], np.int8)[None, :, None], (r, 2, k))
    tier = np.broadcast_to(np.arange(k, dtype=np.int8)[None, None, :], (r, 2, k))
    rep = 2 * k
    keep = qty.reshape(-1) > 0
    return NewCohorts(
        open_bar=np.repeat(bars.astype(np.int64), rep)[keep],
        side=side.reshape(-1)[keep],
        tier=tier.reshape(-1)[keep],
        entry=np.repeat(entry, rep)[keep],
        liq=liq.reshape(-1)[keep],
        qty=qty.reshape(-1)[keep],
        g_open=np.repeat(g, rep)[keep],
    )


# ----------------------------------------------------------------------------------------------
# One venue's state.


class _Venue:
    """Candles, OI and cohorts of one exchange, in growable columns."""

    def __init__(self, name: str, tf_ms: int, k_tiers: int) -> None:
        self.name = name
        self.tf = tf_ms
        self.bar_ts = _Grow(np.int64)
        self.low = _Grow(float)
        self.high = _Grow(float)
        self.close = _Grow(float)
        self.log_p = _Grow(float)  # running sum of log(surviving fraction)
        self.g = _Grow(float)  # log_p - decay × (close time - ref)
        self.oi_ts = _Grow(np.int64)
        self.oi_base = _Grow(float)
        self.ref_ms = 0
        self.c_open = _Grow(np.int64)
        self.c_side = _Grow(np.int8)
        self.c_tier = _Grow(np.int8)
        self.c_entry = _Grow(float)
        self.c_liq = _Grow(float)
        self.c_qty = _Grow(float)
        self.c_g = _Grow(float)
        self.c_rem = _Grow(np.int64)
        # Open cohorts per (side, tier): indices and liquidation prices, with the extreme price as a
        # guard so a candle that reaches none of them costs one comparison.
        self.alive: dict[tuple[int, int], tuple[_Grow, _Grow]] = {}
        self.k = k_tiers

    @property
    def n_bars(self) -> int:
        return self.bar_ts.n

    def add_oi(self, ts: np.ndarray, base: np.ndarray) -> None:
        ok = np.isfinite(base)
        ts, base = ts[ok], base[ok]
        if self.oi_ts.n:
            newer = ts > self.oi_ts.view[-1]
            ts, base = ts[newer], base[newer]
        self.oi_ts.append(ts)
        self.oi_base.append(base)

    def add_cohorts(self, c: NewCohorts, rem: np.ndarray) -> None:
        start = self.c_open.n
        self.c_open.append(c.open_bar)
        self.c_side.append(c.side)
        self.c_tier.append(c.tier)
        self.c_entry.append(c.entry)
        self.c_liq.append(c.liq)
        self.c_qty.append(c.qty)
        self.c_g.append(c.g_open)
        self.c_rem.append(rem)
        idx = np.arange(start, start + len(c.qty), dtype=np.int64)
        open_ = rem == NEVER
        for side in (LONG, SHORT):
            for tier in range(self.k):
                sel = open_ & (c.side == side) & (c.tier == tier)
                if not sel.any():
                    continue
                slot = self.alive.setdefault((side, tier), (_Grow(np.int64), _Grow(float)))
                slot[0].append(idx[sel])
                slot[1].append(c.liq[sel])

    def consume(self, bar: int, low: float, high: float) -> None:
        """Mark the open cohorts reached by candle ``bar``."""
        rem = self.c_rem.data
        for (side, _tier), (idx, liq) in self.alive.items():
            if idx.n == 0:
                continue
            lv = liq.view
            hit = lv >= low if side == LONG else lv <= high
            if not hit.any():
                continue
            rem[idx.view[hit]] = bar
            keep = ~hit
            idx.keep(keep)
            liq.keep(keep)


# ----------------------------------------------------------------------------------------------
# Frame helpers (column names of market.series).


def _by_exchange(df: pd.DataFrame | None, cols: Iterable[str]) -> dict[str, dict[str, np.ndarray]]:
    if df is None or len(df) == 0:
        return {}
    ex = df["exchange"].to_numpy()
    codes, names = pd.factorize(ex)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    arrays = {c: df[c].to_numpy() for c in cols}
    out = {}
    for k, name in enumerate(names):
        sel = order[bounds[k] : bounds[k + 1]]
        part = {c: a[sel] for c, a in arrays.items()}
        ts = part["ts"].astype(np.int64)
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


def _venue_order(names: Iterable[str]) -> list[str]:
    names = set(names)
    return [e for e in EXCHANGE_ORDER if e in names] + sorted(names - set(EXCHANGE_ORDER))


_CANDLE_COLS = ("ts", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume")


def _candle_arrays(part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {"ts": part["ts"]}
    for c in _CANDLE_COLS[1:]:
        out[c] = part[c].astype(float) if c in part else np.full(len(part["ts"]), np.nan)
    return out


# ----------------------------------------------------------------------------------------------
# The model.


class LiquidationModel:
    """Liquidation levels of one symbol on several exchanges, built once and then kept up to date.

    ``ingest`` computes everything from the full history (vectorized); ``update`` adds newly closed
    candles and OI rows without recomputing history. ``map_at``, ``heatmap`` and
    ``estimated_liquidations`` read the state as of any time, so replay needs no recomputation.
    Not thread-safe: one worker owns it and hands out the frozen results.
    """

    def __init__(self, params: ModelParams | None = None, timeframe_ms: int = MINUTE_MS) -> None:
        self.params = params or ModelParams()
        self.tf = int(timeframe_ms)
        self._venues: dict[str, _Venue] = {}

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def from_history(cls, candles: pd.DataFrame, open_interest: pd.DataFrame, params: ModelParams | None = None,
                     timeframe_ms: int = MINUTE_MS) -> "LiquidationModel":
        model = cls(params, timeframe_ms)
        model.ingest(candles, open_interest)
        return model

    def ingest(self, candles: pd.DataFrame, open_interest: pd.DataFrame) -> None:
        """Replace the state with the one computed from this full history."""
        p = self.params
        lam = p.decay_rate_per_ms()
        k = len(p.leverages)
        cparts = _by_exchange(candles, [c for c in _CANDLE_COLS if candles is not None and c in candles.columns])
        oparts = _by_exchange(open_interest, ["ts", "oi_base"])
        self._venues = {}
        pending = []
        empty = {c: np.empty(0, np.int64 if c == "ts" else float) for c in _CANDLE_COLS}
        for name in _venue_order(set(cparts) | set(oparts)):
            c = _candle_arrays(cparts.get(name, empty))
            v = _Venue(name, self.tf, k)
            o = oparts.get(name, {"ts": np.empty(0, np.int64), "oi_base": np.empty(0)})
            v.add_oi(o["ts"], o["oi_base"].astype(float))
            ts = c["ts"]
            d, frac = oi_change(ts, self.tf, v.oi_ts.view, v.oi_base.view, p.turnover_keep(self.tf))
            log_p = np.cumsum(np.log(frac))
            v.ref_ms = int(ts[0]) + self.tf if len(ts) else 0
            g = log_p - lam * ((ts + self.tf - v.ref_ms).astype(float)) if lam else log_p
            v.bar_ts.append(ts)
            v.low.append(c["low"])
            v.high.append(c["high"])
            v.close.append(c["close"])
            v.log_p.append(log_p)
            v.g.append(g)
            rising = np.flatnonzero(d > 0)
            entry = entry_prices(c["high"][rising], c["low"][rising], c["close"][rising], c["volume"][rising],
                                 c["quote_volume"][rising], p)
            share = taker_buy_share(c["volume"][rising], c["taker_buy_volume"][rising], p)
            coh = open_cohorts(rising, d[rising], share, entry, g[rising], p)
            self._venues[name] = v
            pending.append((v, coh))
        self._consume_all(pending)

    def _consume_all(self, pending: list[tuple[_Venue, NewCohorts]]) -> None:
        """Find every cohort's consumption candle in one batch over all venues and both sides."""
        if not pending:
            return
        xs, seg, starts, stops, thrs, offs = [], [], [], [], [], 0
        for v, coh in pending:
            n = v.n_bars
            # Series layout per venue: [lows | -highs]; each query is confined to its own segment.
            xs += [v.low.view, -v.high.view]
            seg += [offs, offs + n]
            is_long = coh.side == LONG
            base = np.where(is_long, offs, offs + n)
            starts.append(base + coh.open_bar + 1)
            stops.append(base + n)
            thrs.append(np.where(is_long, coh.liq, -coh.liq))
            offs += 2 * n
        x = np.concatenate(xs)
        start = np.concatenate(starts)
        stop = np.concatenate(stops)
        found = first_crossings(x, np.array(seg), start, stop, np.concatenate(thrs))
        at = 0
        for v, coh in pending:
            m = len(coh.qty)
            seg_start = start[at : at + m] - (coh.open_bar + 1)
            hit = found[at : at + m]
            rem = np.where(hit >= stop[at : at + m], NEVER, hit - seg_start)
            v.add_cohorts(coh, rem)
            at += m

    def update(self, candles: pd.DataFrame | None, open_interest: pd.DataFrame | None = None) -> int:
        """Add newly closed candles (and the OI rows up to their close); returns how many candles were added.

        Rows at or before what the model already holds are ignored (a revised old candle needs ``ingest``).
        """
        p = self.params
        lam = p.decay_rate_per_ms()
        if open_interest is not None and len(open_interest):
            for name, o in _by_exchange(open_interest, ["ts", "oi_base"]).items():
                self._venue(name).add_oi(o["ts"], o["oi_base"].astype(float))
        if candles is None or len(candles) == 0:
            return 0
        added = 0
        cols = [c for c in _CANDLE_COLS if c in candles.columns]
        for name, part in _by_exchange(candles, cols).items():
            v = self._venue(name)
            c = _candle_arrays(part)
            ts = c["ts"]
            new = ts > v.bar_ts.view[-1] if v.n_bars else np.ones(len(ts), bool)
            for j in np.flatnonzero(new):
                self._step(v, {k: a[j] for k, a in c.items()}, lam)
                added += 1
        return added

    def _venue(self, name: str) -> _Venue:
        if name not in self._venues:
            self._venues[name] = _Venue(name, self.tf, len(self.params.leverages))
        return self._venues[name]

    def _step(self, v: _Venue, bar: Mapping[str, float], lam: float) -> None:
        p = self.params
        ts = int(bar["ts"])
        m = v.n_bars
        if m == 0:
            v.ref_ms = ts + self.tf
        tsa = np.array([ts], np.int64)
        d, frac = oi_change(tsa, self.tf, v.oi_ts.view, v.oi_base.view, p.turnover_keep(self.tf))
        v.consume(m, float(bar["low"]), float(bar["high"]))
        log_p = (v.log_p.view[-1] if m else 0.0) + float(np.log(frac[0]))
        g = log_p - lam * float(ts + self.tf - v.ref_ms) if lam else log_p
        v.bar_ts.append(ts)
        v.low.append(bar["low"])
        v.high.append(bar["high"])
        v.close.append(bar["close"])
        v.log_p.append(log_p)
        v.g.append(g)
        if d[0] > 0:
            entry = entry_prices([bar["high"]], [bar["low"]], [bar["close"]], [bar["volume"]], [bar["quote_volume"]], p)
            share = taker_buy_share([bar["volume"]], [bar["taker_buy_volume"]], p)
            coh = open_cohorts(np.array([m]), d, share, entry, np.array([g]), p)
            v.add_cohorts(coh, np.full(len(coh.qty), NEVER, np.int64))

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

    def open_levels(self, at_ms: int | None = None, exchanges: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """The open cohorts at ``at_ms`` per venue: columns side (+1/-1), tier, entry, liq_price, qty_base, notional_usd."""
        at = self.last_ms() if at_ms is None else at_ms
        out = {}
        for name in self.exchanges:
            if exchanges is not None and name not in exchanges:
                continue
            v = self._venues[name]
            sel, size = self._alive_at(v, at) if at is not None else (np.zeros(0, bool), np.zeros(0))
            liq = v.c_liq.view[sel]
            out[name] = pd.DataFrame({
                "side": v.c_side.view[sel], "tier": v.c_tier.view[sel], "entry": v.c_entry.view[sel],
                "liq_price": liq, "qty_base": size, "notional_usd": size * liq,
            })
        return out

    def _alive_at(self, v: _Venue, at_ms: int) -> tuple[np.ndarray, np.ndarray]:
        i = self._last_bar(v, at_ms)
        if i < 0:
            return np.zeros(v.c_open.n, bool), np.zeros(0)
        sel = (v.c_open.view <= i) & (v.c_rem.view > i)
        size = v.c_qty.view[sel] * np.exp(v.g.view[i] - v.c_g.view[sel])
        return sel, size

    def map_at(self, at_ms: int | None = None, bin_edges: np.ndarray | None = None,
               exchanges: Iterable[str] | None = None) -> LiquidationMap:
        """Open liquidation levels known at ``at_ms`` (default: the newest data), binned by price."""
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
                sel, size = self._alive_at(v, at)
                liq = v.c_liq.view[sel]
                b = bin_index(liq, edges)
                ok = b >= 0
                usd = size * liq
                is_long = v.c_side.view[sel] == LONG
                lo = np.bincount(b[ok & is_long], usd[ok & is_long], minlength=nb)
                sh = np.bincount(b[ok & ~is_long], usd[ok & ~is_long], minlength=nb)
            per[name] = (lo, sh)
            total_l += lo
            total_s += sh
        return LiquidationMap(at_ms=at if at is not None else 0, price=price, bin_edges=edges,
                              long_usd=total_l, short_usd=total_s, per_exchange=per)

    def heatmap(self, time_edges: np.ndarray, price_edges: np.ndarray, exchanges: Iterable[str] | None = None) -> Heatmap:
        """The map as of the end of each time column, on the given price bins (difference arrays + cumsum)."""
        te = np.asarray(time_edges, np.int64)
        pe = np.asarray(price_edges, float)
        ncol, nb = len(te) - 1, len(pe) - 1
        acc_l = np.zeros((ncol, nb))
        acc_s = np.zeros((ncol, nb))
        for name in self.exchanges:
            if exchanges is not None and name not in exchanges:
                continue
            _heat_venue(self._venues[name], self.tf, te[1:], pe, acc_l, acc_s)
        return Heatmap(time_edges=te, price_edges=pe, long_values=acc_l.astype(np.float32),
                       short_values=acc_s.astype(np.float32))

    def estimated_liquidations(self, start_ms: int | None = None, end_ms: int | None = None,
                               with_tier: bool = False) -> pd.DataFrame:
        """Consumed cohorts as liquidation events (LIQUIDATION_COLUMNS; ts = open time of the reaching candle).

        ``with_tier`` adds the cohort's leverage-tier index (the calibration uses it)."""
        frames = []
        for name in self.exchanges:
            v = self._venues[name]
            rem = v.c_rem.view
            sel = rem != NEVER
            r = rem[sel]
            ts = v.bar_ts.view[r]
            qty = v.c_qty.view[sel] * np.exp(v.g.view[r - 1] - v.c_g.view[sel])
            liq = v.c_liq.view[sel]
            side = np.where(v.c_side.view[sel] == LONG, "long", "short").astype(object)
            f = pd.DataFrame({"ts": ts, "exchange": name, "side": side, "price": liq, "qty_base": qty,
                              "notional_usd": qty * liq})
            if with_tier:
                f["tier"] = v.c_tier.view[sel].astype(np.int64)
            if start_ms is not None:
                f = f[f["ts"] >= start_ms]
            if end_ms is not None:
                f = f[f["ts"] < end_ms]
            frames.append(f)
        if not frames:
            empty = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in zip(LIQUIDATION_COLUMNS, ("int64", object, object, float, float, float))})
            if with_tier:
                empty["tier"] = pd.Series([], dtype="int64")
            return empty
        out = pd.concat(frames, ignore_index=True)
        out["exchange"] = out["exchange"].astype(object)
        return out.sort_values(["ts", "exchange"], kind="stable").reset_index(drop=True)


def _heat_venue(v: _Venue, tf: int, col_at: np.ndarray, pe: np.ndarray, acc_l: np.ndarray, acc_s: np.ndarray) -> None:
    ncol, nb = acc_l.shape
    if v.n_bars == 0 or v.c_open.n == 0 or ncol == 0:
        return
    ic = np.searchsorted(v.bar_ts.view, col_at - tf, side="right") - 1  # last closed candle per column
    b = bin_index(v.c_liq.view, pe)
    ok = b >= 0
    if not ok.any():
        return
    opened = v.c_open.view[ok]
    rem = v.c_rem.view[ok]
    c0 = np.searchsorted(ic, opened, side="left")  # first column where the cohort is open
    c1 = np.searchsorted(ic, np.minimum(rem, v.n_bars + 1), side="left")  # first column where it is gone
    live = c1 > c0
    if not live.any():
        return
    c0, c1, bins = c0[live], c1[live], b[ok][live]
    g_open = v.c_g.view[ok][live]
    base = v.c_qty.view[ok][live] * v.c_liq.view[ok][live]
    is_long = v.c_side.view[ok][live] == LONG
    g_col = np.where(ic >= 0, v.g.view[np.maximum(ic, 0)], 0.0)
    # Sizes are qty × exp(G[col] - G[open]); G only falls, so rebasing on a segment's largest G keeps
    # every exp() finite. Segments split where G spans more than ~600 (never, in practice).
    seg_lo = 0
    while seg_lo < ncol:
        gmax = g_col[seg_lo]
        seg_hi = seg_lo + 1
        if g_col[seg_lo:].min() > gmax - 600:
            seg_hi = ncol
        else:
            while seg_hi < ncol and g_col[seg_hi] > gmax - 600:
                seg_hi += 1
        in_seg = (c0 < seg_hi) & (c1 > seg_lo)
        a = np.maximum(c0[in_seg], seg_lo) - seg_lo
        z = np.minimum(c1[in_seg], seg_hi) - seg_lo
        w = base[in_seg] * np.exp(np.minimum(gmax - g_open[in_seg], 700.0))
        bb = bins[in_seg]
        side = is_long[in_seg]
        rows = seg_hi - seg_lo
        scale = np.exp(g_col[seg_lo:seg_hi] - gmax)[:, None]
        scale[ic[seg_lo:seg_hi] < 0] = 0.0
        for mask, acc in ((side, acc_l), (~side, acc_s)):
            flat = np.bincount(a[mask] * nb + bb[mask], w[mask], minlength=(rows + 1) * nb)
            flat -= np.bincount(z[mask] * nb + bb[mask], w[mask], minlength=(rows + 1) * nb)
            grid = np.cumsum(flat.reshape(rows + 1, nb)[:rows], axis=0)
            acc[seg_lo:seg_hi] += grid * scale
        seg_lo = seg_hi


def liquidation_map(candles: pd.DataFrame, open_interest: pd.DataFrame, at_ms: int | None = None,
                    params: ModelParams | None = None, bin_edges: np.ndarray | None = None,
                    timeframe_ms: int = MINUTE_MS) -> LiquidationMap:
    """One-shot: the map at ``at_ms`` from these frames."""
    return LiquidationModel.from_history(candles, open_interest, params, timeframe_ms).map_at(at_ms, bin_edges)
