"""The agent-based futures market: price with liquidation feedback, two-sided positions, every series.

Each minute (a Python loop of cheap float work; numpy only where positions are crossed):

1. an exogenous move (volatility regime, jumps) gives the minute's close and its wick extremes;
2. the cascade: liquidation rows whose price the low (longs) / high (shorts) crosses are force-closed, their
   notional pushes the extreme further (``liq_impact`` x notional / OI notional), iterated to the fixed
   point, so the recorded extreme crosses exactly the liquidated rows; part of the impact stays in the close;
3. new contracts open on each venue (more in trends, volatility and after cascades). Each contract is one
   long and one short: the aggressor side (long with a probability that chases momentum) is traders, the
   passive side partly market makers at 1-3x. Entries fall anywhere inside the minute's candle.

Then, per run of minutes (vectorized): stop-losses that the lows/highs reached, positions whose heavy-tailed
lifetime ended (they close whole), and passive absorbers at 1x that take over the excess of closed longs
over closed shorts (or back), so that open longs = open shorts = open interest at every minute; open
interest, volume, taker buy volume (its own noisy function of the move and the aggressors, plus background
flow) and the long/short account ratio are written from that accounting.

Randomness is drawn per chunk of ``CHUNK`` minutes in a fixed order, so the result depends only on the
seed and the minutes simulated, never on how ``step_minutes`` calls split them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from analytics.liqprice import mmr_for_notional
from market.series import MINUTE_MS, MarketFrames
from market.simulator.config import SimConfig
from market.simulator.crossing import FirstCross
from market.simulator.book import LiqBook
from market.simulator.positions import (
    ABSORBER, ACC, BY_LIQUIDATION, CROSS, ENTRY, EXP, KIND, LEV, LIQ, NCOL, OPEN, PID, QTY, RID, STOP,
    TRANCHE, TRIG, WALLET, draw_template, lifetimes, split_template,
)
from market.simulator.truth import TruthSnapshot

CHUNK = 240  # minutes of pregenerated randomness; also how often new rows merge into the sorted index
ROW_SPACE = 1 << 14  # ids: rows per chunk and book stay below this


def cascade(books, opens, basis, extreme0, side, oi_usd, liq_impact, impact_cap, realize, g):
    """Fixed point of "crossed notional -> price impact -> further extreme" for one side of one minute."""
    V = len(books)
    imp = 0.0
    while True:
        ext = extreme0 * math.exp(-side * imp)
        if side > 0:
            thr = [min(opens[v], ext * basis[v]) for v in range(V)]
            keys = thr
        else:
            thr = [max(opens[v], ext * basis[v]) for v in range(V)]
            keys = [-t for t in thr]
        total = 0.0
        for v in range(V):
            bk = books[v]
            if bk.max_key >= keys[v]:
                realize(bk)
                if bk.max_key >= keys[v]:
                    total += bk.crossed_notional(keys[v], g)
        if total <= 0.0 or oi_usd <= 0.0:
            return imp, thr, keys
        new = min(impact_cap, liq_impact * total / oi_usd)
        if new <= imp:
            return imp, thr, keys
        imp = new


@dataclass(frozen=True, eq=False)
class SimulationResult:
    frames: MarketFrames
    truth: tuple[TruthSnapshot, ...]
    config: SimConfig
    impact: pd.DataFrame  # minutes where liquidations moved the price: ts, down, up (log impact)
    ledger: Optional[pd.DataFrame] = None  # one row per position row when config.record_ledger


class MarketSimulator:
    """Incremental simulator: ``step_minutes(n)`` returns the new rows, ``truth_now()`` the open positions."""

    def __init__(self, config: SimConfig = SimConfig(), symbol: Optional[str] = None) -> None:
        if symbol is not None and symbol != config.symbol:
            config = replace(config, symbol=symbol)
        self.config = cfg = config
        self.symbol = cfg.symbol
        inst = cfg.instrument
        V = self._V = len(cfg.venues)
        self._B = 2 * V
        self._rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([cfg.seed, inst.seed_key])))
        self._t0 = cfg.start_ms - cfg.warmup_minutes * MINUTE_MS
        self._start_g = cfg.warmup_minutes
        self._g = 0
        self._chunk_no = -1
        self._price = cfg.price0
        self._x = [0.0] * V
        self._shares = cfg.shares
        self._vb = cfg.basis
        self._vclose = [self._price * math.exp(b) for b in self._vb]
        self._vol = np.asarray(cfg.vol_regimes, dtype=float) * inst.vol_scale
        self._regime = 1 if len(self._vol) > 1 else 0
        self._vol_mid = float(self._vol[len(self._vol) // 2])
        self._ema = 0.0
        self._shock = 0.0
        self._fund_sum = [0.0] * V
        self._fund_n = 0
        self._basis_s = cfg.basis_noise * math.sqrt(1 - 0.98 * 0.98)
        self._oi_target = cfg.oi_target
        mm_part = 0.5 * cfg.mm_share
        self._hold = (1 - mm_part) * cfg.mean_hold_minutes + mm_part * cfg.mm_mean_hold_minutes
        self._bg = cfg.background_volume
        self.books = [LiqBook(s, v) for v in range(V) for s in (1, -1)]  # book b = 2 v + (0 long, 1 short)
        self._stops = [np.empty((0, NCOL)) for _ in range(self._B)]
        self._stop_end = [np.empty(0) for _ in range(self._B)]
        self._oi = [0.0] * V  # long open size per venue after the last settled minute
        self._acc = [0.0] * self._B
        self._truth: list[TruthSnapshot] = []
        self._truth_g = set()
        every = cfg.truth_every_minutes
        for t in cfg.truth_times_ms:
            t -= t % MINUTE_MS
            self._truth_g.add((t - self._t0) // MINUTE_MS - 1)
        self._truth_every = every
        self._impact: list[tuple[int, float, float]] = []
        self._o_c: list[dict] = []
        self._o_oi: list[dict] = []
        self._o_ls: list[dict] = []
        self._o_f: list[tuple] = []
        self._o_liq: list[tuple] = []
        self._ledger_rows: Optional[list[np.ndarray]] = [] if cfg.record_ledger else None
        self._ledger_ends: list[tuple[np.ndarray, np.ndarray]] = []
        self._new_chunk()
        if self._start_g == 0:
            self._emit_initial()
        self._run(self._start_g)
        self._settle()
        self._o_c, self._o_ls, self._o_liq, self._o_f, self._impact = [], [], [], [], []
        self._o_oi = [d for d in self._o_oi if d["ts"][0] >= cfg.start_ms]

    # ----- public ----------------------------------------------------------------------------------
    def now_ms(self) -> int:
        return self._t0 + self._g * MINUTE_MS

    @property
    def price(self) -> float:
        return self._price

    def step_minutes(self, n: int, progress: Optional[Callable[[int], None]] = None) -> MarketFrames:
        if n < 0:
            raise ValueError("n must be >= 0")
        done = 0
        while done < n:
            m = min(1440, n - done)
            self._run(m)
            done += m
            if progress is not None:
                progress(done)
        self._settle()
        frames = self._frames()
        self._o_c, self._o_oi, self._o_ls, self._o_liq, self._o_f = [], [], [], [], []
        return frames

    def truth_now(self) -> TruthSnapshot:
        self._settle()
        return self._snapshot(self._g - 1)

    def truth_snapshots(self) -> tuple[TruthSnapshot, ...]:
        return tuple(self._truth)

    def impact(self) -> pd.DataFrame:
        if not self._impact:
            return pd.DataFrame({"ts": pd.Series([], dtype="int64"), "down": pd.Series([], dtype=float), "up": pd.Series([], dtype=float)})
        a = np.array(self._impact, dtype=float)
        return pd.DataFrame({"ts": a[:, 0].astype(np.int64), "down": a[:, 1], "up": a[:, 2]})

    def ledger(self) -> pd.DataFrame:
        """Every position row opened so far: id, position, venue, side, kind, cross, tranche, open_ts, entry,
        liq_price, stop_price, leverage, qty0, in_map (liquidated before its stop), end_ts (-1 while open),
        end ("open" | "liquidated" | "stopped" | "closed")."""
        if self._ledger_rows is None:
            raise ValueError("record_ledger is off in this SimConfig")
        self._settle()
        F = np.concatenate(self._ledger_rows) if self._ledger_rows else np.empty((0, NCOL))
        ends = [(r, e) for r, e in self._ledger_ends]
        g_done = self._g0 + self._i_set
        for b in range(self._B):  # rows ended in the current chunk so far
            for f, e in self._rosters(b):
                m = e < g_done
                ends.append((f[m], e[m]))
        rid = F[:, RID]
        order = np.argsort(rid, kind="stable")
        F = F[order]
        rid = F[:, RID]
        end_g = np.full(len(F), np.inf)
        for f, e in ends:
            if len(f):
                end_g[np.searchsorted(rid, f[:, RID])] = e
        venue = ((F[:, RID] // 2) % self._B).astype(np.int64)
        side = np.where(venue % 2 == 0, 1, -1)
        forced = end_g < F[:, EXP]
        kind = np.where(np.isinf(end_g), "open", np.where(~forced, "closed", np.where(F[:, TRIG] == BY_LIQUIDATION, "liquidated", "stopped")))
        end_ts = np.where(np.isinf(end_g), -1, self._t0 + np.where(np.isinf(end_g), 0, end_g) * MINUTE_MS).astype(np.int64)
        return pd.DataFrame({
            "id": F[:, RID].astype(np.int64), "position": F[:, PID].astype(np.int64), "venue": venue // 2, "side": side,
            "kind": F[:, KIND].astype(np.int64), "cross": F[:, CROSS] > 0, "tranche": F[:, TRANCHE].astype(np.int64),
            "open_ts": (self._t0 + (F[:, OPEN] + 1) * MINUTE_MS).astype(np.int64), "entry": F[:, ENTRY],
            "liq_price": F[:, LIQ], "stop_price": F[:, STOP], "leverage": F[:, LEV], "qty0": F[:, QTY],
            "in_map": F[:, TRIG] == BY_LIQUIDATION, "exp_ts": (self._t0 + F[:, EXP] * MINUTE_MS).astype(np.int64),
            "end_ts": end_ts, "end": kind,
        })

    # ----- chunks ---------------------------------------------------------------------------------
    def _new_chunk(self) -> None:
        cfg, rng, K, V, B = self.config, self._rng, CHUNK, self._V, self._B
        self._chunk_no += 1
        self._g0 = self._chunk_no * K
        self._i_set = 0
        vol = self._vol
        switch = rng.random(K) < cfg.regime_switch_per_minute
        draws = rng.integers(0, len(vol), K)
        last = np.maximum.accumulate(np.where(switch, np.arange(K), -1))
        reg = np.where(last >= 0, draws[np.maximum(last, 0)], self._regime)
        self._regime = int(reg[-1])
        sig = vol[reg]
        z = rng.standard_normal(K)
        jumps = (rng.random(K) < cfg.jumps_per_day / 1440.0) * rng.standard_normal(K) * cfg.jump_sigma
        self._c_sig = sig.tolist()
        self._c_act = np.sqrt(sig / self._vol_mid).tolist()
        self._c_r0 = (sig * z + jumps).tolist()
        self._c_elo = rng.exponential(0.8, K).tolist()
        self._c_ehi = rng.exponential(0.8, K).tolist()
        self._c_tlo = (1 + (rng.random(K) * (MINUTE_MS - 2))).astype(np.int64).tolist()
        self._c_thi = (1 + (rng.random(K) * (MINUTE_MS - 2))).astype(np.int64).tolist()
        self._c_bn = rng.standard_normal((K, V)).tolist()
        self._c_on = np.exp(0.35 * rng.standard_normal(K) - 0.06).tolist()
        self._c_ls = rng.standard_normal(K).tolist()
        self._c_vn = np.exp(0.4 * rng.standard_normal((K, V)) - 0.08)
        self._c_tn = rng.standard_normal((K, V))
        # One draw per side for all venues (fewer, larger numpy calls), split per venue: book b = 2 v + side.
        longs = split_template(draw_template(rng, cfg, 1, K * V), V, K)
        shorts = split_template(draw_template(rng, cfg, -1, K * V), V, K)
        self._tpl = [longs[b // 2] if b % 2 == 0 else shorts[b // 2] for b in range(B)]
        self._tpl_rows = [self._static_rows(b) for b in range(B)]
        # Absorbers: one per book and minute where needed; 1x, cross, market-maker lifetimes.
        self._a_u = rng.random((B, K))
        self._a_life = lifetimes(rng, B * K, cfg.mm_mean_hold_minutes, 1.0, 0.0, 2.0, cfg.max_lifetime_minutes).reshape(B, K)
        self._a_size = np.exp(np.log(cfg.mm_size_median_usd) + 0.8 * rng.standard_normal((B, K)))
        # Per-minute records of this chunk.
        self._k_ohlc = np.zeros((K, V, 4))
        self._k_mid = np.zeros(K)
        self._k_q = np.zeros((K, V))
        self._k_a = np.zeros(K)
        self._k_bg = np.zeros((K, V))
        self._k_fb = np.zeros((K, V))
        self._k_trq = np.zeros((K, B))
        self._k_mmq = np.zeros((K, B))
        self._realized = [0] * B
        self._absorbers = [np.empty((0, NCOL)) for _ in range(B)]
        self._abs_end = [np.empty(0) for _ in range(B)]
        oi_total = sum(self._oi)
        self._oi_chunk = oi_total
        fill = self._oi_target / max(oi_total, 0.02 * self._oi_target)
        self._flow0 = self._oi_target / self._hold * min(max(fill**2, 0.2), 5.0)

    def _static_rows(self, b: int) -> np.ndarray:
        """Book b's position rows for the whole chunk with every column that does not depend on prices
        or flow; realizing then fills five columns instead of building fifteen per call."""
        t = self._tpl[b]
        n = len(t.minute)
        F = np.empty((n, NCOL))
        F[:, LEV] = t.lev
        F[:, WALLET] = t.wallet
        F[:, OPEN] = self._g0 + t.minute
        F[:, EXP] = F[:, OPEN] + t.lifetime
        F[:, RID] = ((self._chunk_no * ROW_SPACE + np.arange(n)) * self._B + b) * 2
        F[:, PID] = (self._chunk_no * ROW_SPACE + t.pos) * self._B + b
        F[:, TRANCHE] = t.tranche
        F[:, KIND] = np.where(t.is_mm, 1, 0)
        F[:, CROSS] = t.cross
        F[:, TRIG] = t.trig
        return F

    def _realize(self, b: int, m: int) -> None:
        """Rows of book b's openings in chunk minutes [realized, m) become position rows."""
        r = self._realized[b]
        if m <= r:
            return
        self._realized[b] = m
        t = self._tpl[b]
        a, z = int(t.start[r]), int(t.start[m])
        book = self.books[b]
        if z > a:
            side = book.side
            mi = t.minute[a:z]
            ohlc = self._k_ohlc[mi, b // 2]
            lo, hi, cl = ohlc[:, 2], ohlc[:, 1], ohlc[:, 3]
            entry = lo + t.u[a:z] * (hi - lo)
            with np.errstate(divide="ignore"):
                lim = cl / t.clamp_fac[a:z]  # 1x longs (factor 0) have no limit
            entry = np.minimum(entry, lim) if side > 0 else np.maximum(entry, lim)
            qty = np.where(t.is_mm[a:z], self._k_mmq[mi, b], self._k_trq[mi, b]) * t.weight[a:z]
            keep = qty > 0
            F = self._tpl_rows[b][a:z][keep]  # a copy: fancy indexing
            qty, entry = qty[keep], entry[keep]
            F[:, QTY] = qty
            F[:, LIQ] = entry * t.liq_fac[a:z][keep]
            F[:, ENTRY] = entry
            F[:, STOP] = entry * t.stop_fac[a:z][keep]
            F[:, ACC] = qty * entry * t.acc_per_usd[a:z][keep]
            if self._ledger_rows is not None:
                self._ledger_rows.append(F)
            liq = F[:, TRIG] == BY_LIQUIDATION
            book.append(F[liq])
            st = F[~liq]
            if len(st):
                self._stops[b] = np.concatenate([self._stops[b], st])
                self._stop_end[b] = np.concatenate([self._stop_end[b], np.full(len(st), np.inf)])
        book.realized()

    # ----- the minute loop --------------------------------------------------------------------------
    def _run(self, n: int) -> None:
        for _ in range(n):
            self._minute()

    def _minute(self) -> None:
        cfg = self.config
        i = self._g - self._g0
        if i == CHUNK:
            self._settle()
            self._merge()
            self._new_chunk()
            i = 0
        V = self._V
        g = self._g
        ts = self._t0 + g * MINUTE_MS
        end_ts = ts + MINUTE_MS
        sig = self._c_sig[i]
        O = self._price
        C0 = O * math.exp(self._c_r0[i])
        L0 = min(O, C0) * math.exp(-sig * self._c_elo[i])
        H0 = max(O, C0) * math.exp(sig * self._c_ehi[i])
        bn = self._c_bn[i]
        x = self._x
        s = self._basis_s
        vb = self._vb
        for v in range(V):
            x[v] = 0.98 * x[v] + s * bn[v]
        bfac = [math.exp(vb[v] + x[v]) for v in range(V)]
        opens = self._vclose
        books = self.books
        longs = books[0::2]
        shorts = books[1::2]
        oi_usd = self._oi_chunk * O

        def realize(bk: LiqBook) -> None:
            self._realize(2 * bk.venue + (0 if bk.side > 0 else 1), i)

        imp_dn, thr_lo, key_lo = cascade(longs, opens, bfac, L0, 1, oi_usd, cfg.liq_impact, cfg.impact_cap, realize, g)
        imp_up, thr_hi, key_hi = cascade(shorts, opens, bfac, H0, -1, oi_usd, cfg.liq_impact, cfg.impact_cap, realize, g)
        low_c = L0 * math.exp(-imp_dn)
        high_c = H0 * math.exp(imp_up)
        C = C0 * math.exp(cfg.impact_retained * (imp_up - imp_dn))
        C = min(max(C, low_c), high_c)
        rec = g >= self._start_g
        if (imp_dn > 0 or imp_up > 0) and rec:
            self._impact.append((ts, imp_dn, imp_up))
        for v in range(V):
            o = opens[v]
            if longs[v].max_key >= key_lo[v]:
                self._liquidate(longs[v], key_lo[v], g, ts, o, thr_lo[v], self._c_tlo[i], rec)
            if shorts[v].max_key >= key_hi[v]:
                self._liquidate(shorts[v], key_hi[v], g, ts, o, thr_hi[v], self._c_thi[i], rec)

        # The crowd chases momentum (EMA of standardized returns); cascades bring dip buyers and sellers.
        r = math.log(C / O)
        rz = r / sig
        self._ema += (rz - self._ema) / 30.0
        mom = math.tanh(self._ema / 0.18 * 0.7)
        self._shock = self._shock * 0.9 + min(imp_dn + imp_up, 0.05) * 20.0
        az = min(abs(rz), 6.0)
        sq = self._c_act[i]
        act = sq * (1.0 + 0.2 * az) * (1.0 + 0.8 * abs(mom)) * (1.0 + 0.5 * self._shock)
        flow = self._flow0 * self._c_on[i] * act
        a = min(max(0.5 + cfg.momentum_chase * mom + 0.08 * self._c_ls[i], 0.05), 0.95)  # aggressor = long
        phi = cfg.mm_share
        tr_l = a + (1.0 - a) * (1.0 - phi)
        tr_s = (1.0 - a) + a * (1.0 - phi)
        bgs = self._bg * sq * (1.0 + 0.5 * az)
        new_close = [0.0] * V
        shares = self._shares
        ohlc = self._k_ohlc[i]
        k_q = self._k_q[i]
        k_bg = self._k_bg[i]
        k_fb = self._k_fb[i]
        trq = self._k_trq[i]
        mmq = self._k_mmq[i]
        vn = self._c_vn[i]
        tn = self._c_tn[i]
        p_fund = self._fund_sum
        push = 0.22 * math.tanh(rz) + 0.2 * (a - 0.5)
        tl, ts_ = self._tpl[0::2], self._tpl[1::2]
        for v in range(V):
            o = opens[v]
            c = C * bfac[v]
            h = max(o, high_c * bfac[v])
            lo = min(o, low_c * bfac[v])
            new_close[v] = c
            ohlc[v, 0] = o
            ohlc[v, 1] = h
            ohlc[v, 2] = lo
            ohlc[v, 3] = c
            q = flow * shares[v]
            k_q[v] = q
            k_bg[v] = bgs * shares[v] * vn[v]
            k_fb[v] = min(max(0.5 + push + 0.06 * tn[v], 0.03), 0.97)
            trq[2 * v] = q * tr_l
            mmq[2 * v] = q * (1.0 - a) * phi
            trq[2 * v + 1] = q * tr_s
            mmq[2 * v + 1] = q * a * phi
            e = tl[v].ext[i]
            if e == e:  # not NaN: this minute opens liquidation rows
                longs[v].note_opening(min(c, h * e))
            e = ts_[v].ext[i]
            if e == e:
                shorts[v].note_opening(-max(c, lo * e))
            p_fund[v] += 0.0001 + 0.0004 * mom + 0.3 * (vb[v] + x[v])
        self._k_mid[i] = C
        self._k_a[i] = a
        self._fund_n += 1
        self._vclose = new_close
        self._price = C
        self._g += 1
        minute_of_day = (end_ts // MINUTE_MS) % 1440
        if minute_of_day % cfg.funding_interval_minutes == 0:
            for v in range(V):
                rate = min(max(p_fund[v] / self._fund_n, -0.003), 0.003)
                if rec:
                    self._o_f.append((end_ts, v, rate))
                p_fund[v] = 0.0
            self._fund_n = 0

    def _liquidate(self, book: LiqBook, key: float, g: int, ts: int, o: float, extreme: float, t_ext: int, rec: bool) -> None:
        f = book.pop(key, g)
        if not len(f) or not rec:
            return
        liq = f[:, LIQ]
        span = math.log(extreme / o)
        frac = np.clip(np.log(liq / o) / span, 0.0, 1.0) if span != 0.0 else np.zeros(len(liq))
        self._o_liq.append((ts + np.floor(frac * t_ext).astype(np.int64), book.venue, book.side, liq, f[:, QTY]))

    # ----- settling: stops, expiries, absorbers, open interest, volume ------------------------------
    def _rosters(self, b: int):
        F, e = self.books[b].chunk_roster()
        return ((F, e), (self._stops[b], self._stop_end[b]), (self._absorbers[b], self._abs_end[b]))

    def _settle(self) -> None:
        i0, i1 = self._i_set, self._g - self._g0
        if i1 <= i0:
            return
        g0, V, B = self._g0, self._V, self._B
        gs = g0 + np.arange(i0, i1)
        for b in range(B):
            self._realize(b, i1)
        ohlc = self._k_ohlc[:i1]
        lows = [FirstCross(ohlc[:, v, 2]) for v in range(V)]
        highs = [FirstCross(-ohlc[:, v, 1]) for v in range(V)]
        n = i1 - i0
        self._fresh_hits: list = []
        rem = np.zeros((B, n))
        forced = np.zeros((B, n))
        racc = np.zeros((B, n))
        for b in range(B):
            side = 1 if b % 2 == 0 else -1
            fc = lows[b // 2] if side > 0 else highs[b // 2]
            S, se = self._stops[b], self._stop_end[b]
            act = np.isinf(se)
            if act.any():
                idx = np.flatnonzero(act)
                start = np.maximum(i0, S[idx, OPEN].astype(np.int64) - g0 + 1)
                lvl = S[idx, STOP] if side > 0 else -S[idx, STOP]
                fire = fc.first(start, lvl) + g0
                exp = S[idx, EXP]
                end = np.where(exp <= fire, exp, fire)
                done = end < g0 + i1
                se[idx[done]] = end[done]
            self._absorb_check(b, fc, i0, i1, side)
            self._count(b, i0, i1, rem, forced, racc)
        self._fresh_hits = []
        # Absorbers: the excess of closed longs over closed shorts is taken over at 1x (and back).
        for v in range(V):
            d = rem[2 * v] - rem[2 * v + 1]
            for b, x in ((2 * v, np.maximum(d, 0.0)), (2 * v + 1, np.maximum(-d, 0.0))):
                self._add_absorbers(b, i0, x)
        # An absorber crossed in this run (a doubled price within hours) is liquidated and absorbed again.
        for _ in range(8):
            rem2, forced2, racc2 = np.zeros((B, n)), np.zeros((B, n)), np.zeros((B, n))
            any_new = False
            self._fresh_hits = []
            for b in range(B):
                side = 1 if b % 2 == 0 else -1
                fc = lows[b // 2] if side > 0 else highs[b // 2]
                if self._absorb_check(b, fc, i0, i1, side, fresh_only=True):
                    any_new = True
            if not any_new:
                break
            for b in range(B):
                self._count_absorbers_fresh(b, i0, i1, rem2, forced2, racc2)
            rem += rem2
            forced += forced2
            racc += racc2
            for v in range(V):
                d = rem2[2 * v] - rem2[2 * v + 1]
                for b, x in ((2 * v, np.maximum(d, 0.0)), (2 * v + 1, np.maximum(-d, 0.0))):
                    self._add_absorbers(b, i0, x)
        # Open interest and accounts per minute, from what opened and what ended.
        opened = np.zeros((B, n))
        oacc = np.zeros((B, n))
        for b in range(B):
            for F in (self._opened_rows(b, i0, i1),):
                m = (F[:, OPEN] >= g0 + i0) & (F[:, OPEN] < g0 + i1)
                k = (F[m, OPEN] - g0 - i0).astype(np.int64)
                opened[b] += np.bincount(k, weights=F[m, QTY], minlength=n)
                oacc[b] += np.bincount(k, weights=F[m, ACC], minlength=n)
        oi_rows = np.zeros((V, n))
        acc_rows = np.zeros((B, n))
        for b in range(B):
            acc_rows[b] = np.cumsum(np.concatenate([[self._acc[b]], oacc[b] - racc[b]]))[1:]
            self._acc[b] = float(acc_rows[b][-1])
        for v in range(V):
            oi_rows[v] = np.cumsum(np.concatenate([[self._oi[v]], opened[2 * v] - rem[2 * v]]))[1:]
            self._oi[v] = float(oi_rows[v][-1])
        self._i_set = i1
        self._write(i0, i1, gs, oi_rows, acc_rows, rem, forced)
        for gg in gs:
            if self._wants_truth(int(gg)):
                self._truth.append(self._snapshot(int(gg)))

    def _opened_rows(self, b: int, i0: int, i1: int) -> np.ndarray:
        F, _ = self.books[b].chunk_roster()
        parts = [F, self._stops[b], self._absorbers[b]]
        return np.concatenate(parts)

    def _count(self, b, i0, i1, rem, forced, racc) -> None:
        g0 = self._g0
        n = i1 - i0
        for F, e in self._rosters(b):
            m = (e >= g0 + i0) & (e < g0 + i1)
            if not m.any():
                continue
            k = (e[m] - g0 - i0).astype(np.int64)
            rem[b] += np.bincount(k, weights=F[m, QTY], minlength=n)
            racc[b] += np.bincount(k, weights=F[m, ACC], minlength=n)
            fm = e[m] < F[m, EXP]
            forced[b] += np.bincount(k[fm], weights=F[m][fm, QTY], minlength=n)

    def _add_absorbers(self, b: int, i0: int, x: np.ndarray) -> None:
        k = np.flatnonzero(x > 0)
        if not len(k):
            return
        i = i0 + k
        side = 1 if b % 2 == 0 else -1
        v = b // 2
        ohlc = self._k_ohlc[i, v]
        entry = ohlc[:, 2] + self._a_u[b, i] * (ohlc[:, 1] - ohlc[:, 2])
        size = self._a_size[b, i]
        mmr, _ = mmr_for_notional(size)
        wallet = 1.0
        fac = (side - wallet) / (side - mmr) if side > 0 else (side * 1.0 - wallet) / (side - mmr)
        F = np.zeros((len(k), NCOL))
        F[:, QTY] = x[k]
        F[:, ENTRY] = entry
        F[:, LIQ] = np.maximum(entry * fac, 0.0)
        F[:, STOP] = np.nan
        F[:, LEV] = 1.0
        F[:, WALLET] = wallet
        F[:, ACC] = x[k] * entry / size
        F[:, OPEN] = self._g0 + i
        F[:, EXP] = np.maximum(F[:, OPEN] + self._a_life[b, i], self._g0 + CHUNK)  # never within the chunk
        nb = len(self._absorbers[b])
        F[:, RID] = ((self._chunk_no * ROW_SPACE + nb + np.arange(len(k))) * self._B + b) * 2 + 1
        F[:, PID] = -F[:, RID]
        F[:, KIND] = ABSORBER
        F[:, CROSS] = 1
        F[:, TRIG] = BY_LIQUIDATION
        if self._ledger_rows is not None:
            self._ledger_rows.append(F)
        self._absorbers[b] = np.concatenate([self._absorbers[b], F])
        self._abs_end[b] = np.concatenate([self._abs_end[b], F[:, EXP]])

    def _absorb_check(self, b, fc, i0, i1, side, fresh_only=False) -> bool:
        """Absorbers this run crossed: liquidated at the first crossing (events recorded). True if any."""
        A, ae = self._absorbers[b], self._abs_end[b]
        if not len(A):
            return False
        open_ = np.flatnonzero(ae >= self._g0 + i1)
        if not len(open_):
            return False
        start = np.maximum(i0, A[open_, OPEN].astype(np.int64) - self._g0 + 1)
        lvl = A[open_, LIQ] if side > 0 else -A[open_, LIQ]
        hit = fc.first(start, lvl)
        crossed = hit < i1
        if not crossed.any():
            return False
        idx = open_[crossed]
        gi = hit[crossed]
        ae[idx] = self._g0 + gi
        self._fresh_hits.append((b, idx))
        ts = self._t0 + (self._g0 + gi) * MINUTE_MS + MINUTE_MS // 2
        r = self._g0 + gi >= self._start_g
        if r.any():
            self._o_liq.append((ts[r].astype(np.int64), b // 2, side, A[idx[r], LIQ], A[idx[r], QTY]))
        return True

    def _count_absorbers_fresh(self, b, i0, i1, rem, forced, racc) -> None:
        hits = [h for h in self._fresh_hits if h[0] == b]
        n = i1 - i0
        for _, idx in hits:
            A = self._absorbers[b]
            k = (self._abs_end[b][idx] - self._g0 - i0).astype(np.int64)
            rem[b] += np.bincount(k, weights=A[idx, QTY], minlength=n)
            forced[b] += np.bincount(k, weights=A[idx, QTY], minlength=n)
            racc[b] += np.bincount(k, weights=A[idx, ACC], minlength=n)

    def _write(self, i0, i1, gs, oi_rows, acc_rows, rem, forced) -> None:
        V = self._V
        t0 = self._t0
        end_ts = t0 + (gs + 1) * MINUTE_MS
        rec_oi = gs >= self._start_g - 1
        rec = gs >= self._start_g
        ohlc = self._k_ohlc[i0:i1]
        for v in range(V):
            if rec_oi.any():
                c = ohlc[:, v, 3]
                self._o_oi.append({"ts": end_ts[rec_oi], "venue": v, "oi_base": oi_rows[v][rec_oi], "oi_usd": (oi_rows[v] * c)[rec_oi]})
            if not rec.any():
                continue
            q = self._k_q[i0:i1, v]
            bg = self._k_bg[i0:i1, v]
            fb = self._k_fb[i0:i1, v]
            rl, rs = rem[2 * v], rem[2 * v + 1]
            fl, fs = forced[2 * v], forced[2 * v + 1]
            closes = np.maximum(rl, rs)
            volume = bg + q + closes
            other = np.maximum(closes - fl - fs, 0.0)
            tb = fb * (bg + q) + fs + 0.5 * other
            o, h, l, c = (ohlc[:, v, j] for j in range(4))
            self._o_c.append({
                "ts": (t0 + gs * MINUTE_MS)[rec], "venue": v, "open": o[rec], "high": h[rec], "low": l[rec], "close": c[rec],
                "volume": volume[rec], "taker_buy_volume": np.minimum(tb, volume)[rec], "quote_volume": (volume * (h + l + c) / 3.0)[rec],
            })
            ls_at = rec & (((end_ts // MINUTE_MS) % self.config.long_short_every_minutes) == 0)
            if ls_at.any():
                sa = acc_rows[2 * v + 1][ls_at]
                self._o_ls.append({"ts": end_ts[ls_at], "venue": v, "ratio": np.where(sa > 0, acc_rows[2 * v][ls_at] / np.where(sa > 0, sa, 1), np.nan)})

    def _wants_truth(self, g: int) -> bool:
        if g < self._start_g - 1:
            return False
        if g in self._truth_g:
            return True
        every = self._truth_every
        return bool(every) and (g - (self._start_g - 1)) % every == 0

    def _merge(self) -> None:
        g_next = self._g0 + CHUNK
        for b in range(self._B):
            ends = []
            for F, e in self._rosters(b):
                m = e < g_next
                if self._ledger_rows is not None and m.any():
                    ends.append((F[m], e[m]))
            self._ledger_ends.extend(ends)
            ae = self._abs_end[b]
            extra = self._absorbers[b][ae >= g_next]
            self.books[b].merge(g_next, extra)
            keep = self._stop_end[b] >= g_next
            self._stops[b] = self._stops[b][keep]
            self._stop_end[b] = self._stop_end[b][keep]
        # Exact open sums at the chunk boundary: no drift from running sums in a long demo.
        for v in range(self._V):
            self._oi[v] = float(self.books[2 * v].F[:, QTY].sum() + self._stops[2 * v][:, QTY].sum())
        for b in range(self._B):
            self._acc[b] = float(self.books[b].F[:, ACC].sum() + self._stops[b][:, ACC].sum())

    def _emit_initial(self) -> None:
        for v in range(self._V):
            self._o_oi.append({"ts": np.array([self.config.start_ms]), "venue": v, "oi_base": np.zeros(1), "oi_usd": np.zeros(1)})

    # ----- truth ----------------------------------------------------------------------------------
    def _snapshot(self, g: int) -> TruthSnapshot:
        """Every open position row at the end of minute g (settled)."""
        parts: dict[int, list[Any]] = {1: [], -1: []}
        for b in range(self._B):
            side = 1 if b % 2 == 0 else -1
            for F, e in self._rosters(b):
                m = (F[:, OPEN] <= g) & (e > g)
                if m.any():
                    parts[side].append(F[m])
        i = g - self._g0
        if 0 <= i < CHUNK and g >= self._g0:
            price = float(self._k_mid[i])
            vprice = tuple(float(p) for p in self._k_ohlc[i, :, 3])
        else:
            price, vprice = self._price, tuple(self._vclose)
        out = {}
        for side, name in ((1, "long"), (-1, "short")):
            F = np.concatenate(parts[side]) if parts[side] else np.empty((0, NCOL))
            out[f"{name}_liq_price"] = F[:, LIQ]
            out[f"{name}_qty_base"] = F[:, QTY]
            out[f"{name}_notional_usd"] = F[:, QTY] * F[:, LIQ]
            out[f"{name}_entry_price"] = F[:, ENTRY]
            out[f"{name}_leverage"] = F[:, LEV].astype(np.float32)
            out[f"{name}_open_ts"] = (self._t0 + (F[:, OPEN] + 1) * MINUTE_MS).astype(np.int64)
            out[f"{name}_venue"] = ((F[:, RID] // 2) % self._B // 2).astype(np.int8)
            out[f"{name}_stop_price"] = F[:, STOP]
            out[f"{name}_in_map"] = F[:, TRIG] == BY_LIQUIDATION
            out[f"{name}_kind"] = F[:, KIND].astype(np.int8)
            out[f"{name}_cross"] = F[:, CROSS] > 0
            out[f"{name}_tranche"] = F[:, TRANCHE].astype(np.int8)
            out[f"{name}_position"] = F[:, PID].astype(np.int64)
        return TruthSnapshot(ts=self._t0 + (g + 1) * MINUTE_MS, price=price, venues=tuple(self.config.venues), venue_price=vprice, **out)

    # ----- frames ---------------------------------------------------------------------------------
    def _frames(self) -> MarketFrames:
        names = np.array(self.config.venues, dtype=object)

        def table(parts: list[dict], cols: tuple[str, ...]) -> Optional[pd.DataFrame]:
            if not parts:
                return None
            d = {c: np.concatenate([p[c] for p in parts]) for c in cols}
            d["ts"] = d["ts"].astype(np.int64)
            d["exchange"] = np.concatenate([np.full(len(p["ts"]), names[p["venue"]], dtype=object) for p in parts])
            df = pd.DataFrame(d).sort_values(["ts"], kind="stable")
            return df.reset_index(drop=True)

        candles = table(self._o_c, ("ts", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"))
        oi = table(self._o_oi, ("ts", "oi_base", "oi_usd"))
        ls = table(self._o_ls, ("ts", "ratio"))
        funding = None
        if self._o_f:
            a = self._o_f
            funding = pd.DataFrame({"ts": np.array([r[0] for r in a], dtype=np.int64), "exchange": names[[r[1] for r in a]], "rate": np.array([r[2] for r in a], dtype=float)})
        liqs = None
        if self._o_liq:
            ts = np.concatenate([e[0] for e in self._o_liq])
            venue = np.concatenate([np.full(len(e[0]), e[1]) for e in self._o_liq])
            side = np.concatenate([np.full(len(e[0]), "long" if e[2] > 0 else "short", dtype=object) for e in self._o_liq])
            price = np.concatenate([e[3] for e in self._o_liq])
            qty = np.concatenate([e[4] for e in self._o_liq])
            liqs = pd.DataFrame({"ts": ts, "exchange": names[venue], "side": side, "price": price, "qty_base": qty, "notional_usd": qty * price})
        return MarketFrames.build(self.symbol, MINUTE_MS, candles=candles, open_interest=oi, funding=funding, liquidations=liqs, long_short=ls)


def simulate(config: SimConfig = SimConfig(), symbol: Optional[str] = None) -> SimulationResult:
    """Simulate ``config.days`` from ``config.start_ms``: all series plus ground truth."""
    sim = MarketSimulator(config, symbol)
    frames = sim.step_minutes(sim.config.minutes)
    return SimulationResult(
        frames=frames, truth=sim.truth_snapshots(), config=sim.config, impact=sim.impact(),
        ledger=sim.ledger() if sim.config.record_ledger else None,
    )
