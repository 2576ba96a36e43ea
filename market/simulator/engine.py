"""The agent-based futures market: price with liquidation feedback, positions, and every output series.

One minute at a time (a Python loop of cheap float work; numpy only where cohorts are crossed):

1. an exogenous move (volatility regime, jumps) gives the minute's close and its wick extremes;
2. the cascade: longs whose liquidation price the low crosses are force-closed, their notional pushes the
   low further down (``liq_impact`` x notional / OI notional), which may cross more: iterated to the fixed
   point, so the recorded low crosses exactly the liquidated cohorts (the same upwards for shorts);
   part of the impact stays in the close (``impact_retained``);
3. voluntary closes (a hazard that leans against the move), then new cohorts open at the close on each
   venue (more in trends, volatility and after cascades, long share following momentum);
4. open interest at the minute's end is exactly the sum of open cohorts; long/short account ratio every
   5 minutes; funding settled every 8 h from the average long/short skew and basis.

Randomness is drawn per chunk of ``CHUNK`` minutes in a fixed order, so the result depends only on the
seed and the minutes simulated, never on how ``step_minutes`` calls split them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np
import pandas as pd

from analytics.liqprice import BTCUSDT_BRACKETS, isolated_liq_price, mmr_for_notional
from market.series import DEFAULT_SYMBOL, MINUTE_MS, MarketFrames
from market.simulator.book import ACC, ENTRY, LEV, Q0, QS, SideBook
from market.simulator.config import SimConfig
from market.simulator.truth import TruthSnapshot

CHUNK = 240  # minutes of pregenerated randomness; also how often pending cohorts merge into the index


def _size_cap(leverage: float) -> float:
    """Largest notional at which a leverage is allowed (the highest bracket cap whose max leverage permits it)."""
    caps = [b.cap for b in BTCUSDT_BRACKETS if b.max_leverage >= leverage]
    return max(caps) if caps else BTCUSDT_BRACKETS[0].cap


def cascade(
    books: list[SideBook],
    opens: list[float],
    basis: list[float],
    extreme0: float,
    side: int,
    oi_usd: float,
    liq_impact: float,
    impact_cap: float,
) -> tuple[float, list[float], list[float]]:
    """Fixed point of "crossed notional -> price impact -> further extreme" for one side of one minute.

    ``books``: that side's book per venue; ``opens``: each venue's open; ``basis``: venue price / mid;
    ``extreme0``: the mid's exogenous low (side=+1, longs) or high (side=-1, shorts). The extreme with
    impact is ``extreme0 * exp(-side * impact)``, impact = min(cap, liq_impact * crossed notional / oi_usd),
    and a venue's extreme also includes its open. Returns (impact, per-venue extreme prices, per-venue
    book keys), so that the cohorts crossed by the returned extremes are exactly those whose notional
    produced the impact. Terminates: the crossed set only grows, and an unchanged set repeats the impact.
    """
    V = len(books)
    imp = 0.0
    while True:
        ext = extreme0 * math.exp(-side * imp)
        if side > 0:  # longs: crossed when liq >= low; book key = liq
            thr = [min(opens[v], ext * basis[v]) for v in range(V)]
            keys = thr
        else:  # shorts: crossed when liq <= high; book key = -liq
            thr = [max(opens[v], ext * basis[v]) for v in range(V)]
            keys = [-t for t in thr]
        total = 0.0
        for v in range(V):
            bk = books[v]
            if bk.max_key >= keys[v]:
                total += bk.crossed_notional(keys[v])
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
    # Minutes where liquidations moved the price: ts (minute open), down / up (log impact on low / high).
    impact: pd.DataFrame
    # One row per cohort when config.record_ledger (else None): see MarketSimulator.ledger().
    ledger: Optional[pd.DataFrame] = None


class MarketSimulator:
    """Incremental simulator: ``step_minutes(n)`` returns the new rows, ``truth_now()`` the open cohorts."""

    def __init__(self, config: SimConfig = SimConfig(), symbol: Optional[str] = None) -> None:
        if symbol is not None and symbol != config.symbol:
            config = replace(config, symbol=symbol)
        self.config = config
        self.symbol = config.symbol
        cfg = config
        self._V = len(cfg.venues)
        self._rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([cfg.seed, cfg.instrument.seed_key])))
        self._t0 = cfg.start_ms - cfg.warmup_minutes * MINUTE_MS
        self._g = 0  # minutes simulated since t0
        self._chunk_no = -1
        self._price = cfg.price0
        self._x = [0.0] * self._V  # extra basis per venue
        self._bfac = [math.exp(b) for b in cfg.basis]
        self._vclose = [self._price * f for f in self._bfac]
        self._regime = 1 if len(cfg.vol_regimes) > 1 else 0
        self._ema = 0.0
        self._shock = 0.0
        self._fund_sum = [0.0] * self._V
        self._fund_n = 0
        self._oi_base = 0.0
        # Config values read every minute, as plain attributes (the loop runs ~45k times a month).
        self._vol_mid = cfg.vol_regimes[len(cfg.vol_regimes) // 2] * cfg.instrument.vol_scale
        self._c0 = 1.0 / cfg.mean_hold_minutes
        self._basis_s = cfg.basis_noise * math.sqrt(1 - 0.98 * 0.98)
        self._truth_every_ms = cfg.truth_every_minutes * MINUTE_MS
        self.books = [SideBook(s, v) for v in range(self._V) for s in (1, -1)]
        self._record_ledger = cfg.record_ledger
        if cfg.record_ledger:
            for b in self.books:
                b.log = []
            self._ends: list[tuple[np.ndarray, np.ndarray, int]] = []  # (ids, end ts, reason code)
        levs = np.array(sorted(cfg.leverage_mix), dtype=float)
        weights = np.array([cfg.leverage_mix[l] if l in cfg.leverage_mix else cfg.leverage_mix[int(l)] for l in levs], dtype=float)
        self._lev_values = levs
        self._lev_p = weights / weights.sum()
        self._lev_caps = np.array([_size_cap(l) for l in levs]) * 0.999
        self._truth: list[TruthSnapshot] = []
        self._truth_ms = {t - t % MINUTE_MS for t in cfg.truth_times_ms}
        self._impact: list[tuple[int, float, float]] = []
        self._recording = False
        self._new_chunk()
        if cfg.warmup_minutes:
            self._run(cfg.warmup_minutes)
            self._reset_outputs()
        self._recording = True
        self._reset_outputs()
        self._oi_rows_initial()
        self._maybe_truth(self.now_ms())

    # ----- public ----------------------------------------------------------------------------------
    def now_ms(self) -> int:
        """The simulated instant reached: the end of the last simulated minute."""
        return self._t0 + self._g * MINUTE_MS

    @property
    def price(self) -> float:
        return self._price

    def step_minutes(self, n: int, progress: Optional[Callable[[int], None]] = None) -> MarketFrames:
        """Simulate ``n`` more minutes; the rows they produced (the first call also has the OI at start).

        ``progress(minutes_done)`` is called after every simulated day, for long backfills."""
        if n < 0:
            raise ValueError("n must be >= 0")
        done = 0
        while done < n:
            m = min(1440, n - done)
            self._run(m)
            done += m
            if progress is not None:
                progress(done)
        frames = self._frames()
        self._reset_outputs()
        return frames

    def truth_now(self) -> TruthSnapshot:
        return self._snapshot(self.now_ms())

    def truth_snapshots(self) -> tuple[TruthSnapshot, ...]:
        return tuple(self._truth)

    def impact(self) -> pd.DataFrame:
        if not self._impact:
            return pd.DataFrame({"ts": pd.Series([], dtype="int64"), "down": pd.Series([], dtype=float), "up": pd.Series([], dtype=float)})
        a = np.array(self._impact, dtype=float)
        return pd.DataFrame({"ts": a[:, 0].astype(np.int64), "down": a[:, 1], "up": a[:, 2]})

    def ledger(self) -> pd.DataFrame:
        """Every cohort opened so far: id, venue (index), side (+1/-1), open_ts, entry, liq_price, leverage,
        qty0 (opening size, base), end_ts (-1 while open) and end ("open" | "liquidated" | "closed")."""
        if not self._record_ledger:
            raise ValueError("record_ledger is off in this SimConfig")
        cols: dict[str, list] = {k: [] for k in ("id", "venue", "side", "open_ts", "entry", "liq_price", "leverage", "qty0")}
        for b in self.books:
            b._realize()
            for liq, f, i in b.log:
                cols["id"].append(i[:, 1])
                cols["venue"].append(np.full(len(liq), b.venue, dtype=np.int64))
                cols["side"].append(np.full(len(liq), b.side, dtype=np.int64))
                cols["open_ts"].append(i[:, 0])
                cols["entry"].append(f[:, ENTRY])
                cols["liq_price"].append(liq)
                cols["leverage"].append(f[:, LEV])
                cols["qty0"].append(f[:, Q0])
        led = pd.DataFrame({k: np.concatenate(v) if v else np.empty(0) for k, v in cols.items()})
        led = led.sort_values("id", kind="stable").reset_index(drop=True)
        end_ts = np.full(len(led), -1, dtype=np.int64)
        end = np.full(len(led), "open", dtype=object)
        pos = pd.Series(np.arange(len(led)), index=led["id"].to_numpy())
        for ids, ts, code in self._ends:
            if len(ids):
                p = pos.loc[ids].to_numpy()
                end_ts[p] = ts
                end[p] = "liquidated" if code == 1 else "closed"
        led["end_ts"] = end_ts
        led["end"] = end
        return led

    # ----- chunks ---------------------------------------------------------------------------------
    def _new_chunk(self) -> None:
        cfg, rng, K, V = self.config, self._rng, CHUNK, self._V
        k, B = cfg.traders_per_minute, 2 * self._V
        self._chunk_no += 1
        vol = np.asarray(cfg.vol_regimes, dtype=float) * cfg.instrument.vol_scale
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
        self._c_ls = rng.standard_normal((K, V)).tolist()
        self._c_vn = np.exp(0.4 * rng.standard_normal((K, V)) - 0.08).tolist()
        li = rng.choice(len(self._lev_values), p=self._lev_p, size=(B, K, k))
        lev = self._lev_values[li]
        size = np.exp(math.log(cfg.trader_size_median_usd) + cfg.trader_size_sigma * rng.standard_normal((B, K, k)))
        size = np.minimum(size, self._lev_caps[li])
        w = rng.random((B, K, k)) + 0.25
        w /= w.sum(axis=2, keepdims=True)
        mmr, _cum = mmr_for_notional(size)
        for b, book in enumerate(self.books):
            fac = isolated_liq_price(1.0, lev[b], book.side, mmr[b])
            book.begin_chunk(fac, w[b], lev[b], 1.0 / size[b], (self._chunk_no * B + b) * K * k)

    # ----- the minute loop --------------------------------------------------------------------------
    def _reset_outputs(self) -> None:
        self._o_c: list = []  # candle rows: ts, venue, o, h, l, c, vol, tb, qv
        self._o_oi: list = []  # ts, venue, oi_base, oi_usd
        self._o_f: list = []  # ts, venue, rate
        self._o_ls: list = []  # ts, venue, ratio
        self._o_liq: list = []  # arrays: ts, venue, side, price, qty

    def _oi_rows_initial(self) -> None:
        t = self.now_ms()
        for v in range(self._V):
            oi = self.books[2 * v].open_base() + self.books[2 * v + 1].open_base()
            self._o_oi.append((t, v, oi, oi * self._vclose[v]))

    def _run(self, n: int) -> None:
        for _ in range(n):
            self._minute()

    def _minute(self) -> None:
        cfg = self.config
        i = self._g % CHUNK
        if i == 0 and self._g > 0:
            self._merge_books()
            self._new_chunk()
        V = self._V
        ts = self._t0 + self._g * MINUTE_MS
        end_ts = ts + MINUTE_MS
        sig = self._c_sig[i]
        r0 = self._c_r0[i]
        O = self._price
        C0 = O * math.exp(r0)
        L0 = min(O, C0) * math.exp(-sig * self._c_elo[i])
        H0 = max(O, C0) * math.exp(sig * self._c_ehi[i])
        # Venue premiums: AR(1) around each venue's mean basis.
        bn = self._c_bn[i]
        x = self._x
        s = self._basis_s
        vb = cfg.basis
        for v in range(V):
            x[v] = 0.98 * x[v] + s * bn[v]
        bfac = [math.exp(vb[v] + x[v]) for v in range(V)]
        opens = self._vclose
        books = self.books
        longs = books[0::2]
        shorts = books[1::2]
        oi_usd = self._oi_base * O  # OI measured at the minute's start (before this minute's pruning)

        imp_dn, thr_lo, key_lo = cascade(longs, opens, bfac, L0, 1, oi_usd, cfg.liq_impact, cfg.impact_cap)
        imp_up, thr_hi, key_hi = cascade(shorts, opens, bfac, H0, -1, oi_usd, cfg.liq_impact, cfg.impact_cap)
        low_c = L0 * math.exp(-imp_dn)
        high_c = H0 * math.exp(imp_up)
        C = C0 * math.exp(cfg.impact_retained * (imp_up - imp_dn))
        C = min(max(C, low_c), high_c)
        if (imp_dn > 0 or imp_up > 0) and self._recording:
            self._impact.append((ts, imp_dn, imp_up))

        liq_long = [0.0] * V
        liq_short = [0.0] * V
        for v in range(V):
            o = opens[v]
            if longs[v].max_key >= key_lo[v]:
                liq_long[v] = self._liquidate(longs[v], key_lo[v], ts, o, thr_lo[v], self._c_tlo[i])
            if shorts[v].max_key >= key_hi[v]:
                liq_short[v] = self._liquidate(shorts[v], key_hi[v], ts, o, thr_hi[v], self._c_thi[i])

        # Momentum (EMA of standardized returns) and cascade memory drive who opens and how much.
        r = math.log(C / O)
        rz = r / sig
        self._ema += (rz - self._ema) / 30.0
        mom = math.tanh(self._ema / 0.18 * 0.7)
        self._shock = self._shock * 0.9 + min(imp_dn + imp_up, 0.05) * 20.0
        az = min(abs(rz), 6.0)
        c0 = self._c0
        lean = 0.5 * math.tanh(0.5 * rz)
        c_long = c0 * (1.0 - lean)
        c_short = c0 * (1.0 + lean)
        fill = 2 * cfg.oi_target / max(self._oi_base, 0.02 * 2 * cfg.oi_target)
        # Leverage builds up in trends and volatility; dip buyers re-open a little after a cascade.
        sq = self._c_act[i]
        act = sq * (1.0 + 0.2 * az) * (1.0 + 0.8 * abs(mom)) * (1.0 + 0.5 * self._shock)
        flow = 2 * cfg.oi_target * c0 * self._c_on[i] * act * min(max(fill**0.7, 0.3), 6.0)
        ls = self._c_ls[i]
        vn = self._c_vn[i]
        bg = cfg.background_volume * sq * (1.0 + 0.5 * az)
        rec = self._recording
        new_close = [0.0] * V
        p_fund = self._fund_sum
        oi_total = 0.0
        shares = cfg.shares
        for v in range(V):
            o = opens[v]
            c = C * bfac[v]
            h = max(o, high_c * bfac[v])
            lo = min(o, low_c * bfac[v])
            new_close[v] = c
            lb, sb = longs[v], shorts[v]
            closed = lb.close_fraction(c_long) + sb.close_fraction(c_short)
            share = shares[v]
            p_long = min(max(0.5 + 0.2 * mom + 0.05 * ls[v], 0.1), 0.9)
            q = flow * share
            ql, qs_ = q * p_long, q * (1.0 - p_long)
            lb.add_minute(c, ql, end_ts)
            sb.add_minute(c, qs_, end_ts)
            lq, sq = liq_long[v], liq_short[v]
            bgv = bg * share * vn[v]
            fbuy = min(max(0.5 + 0.35 * math.tanh(math.log(c / o) / sig), 0.02), 0.98)
            volume = bgv + ql + qs_ + closed + lq + sq
            tb = bgv * fbuy + 0.7 * ql + 0.3 * qs_ + 0.5 * closed + sq
            lo_oi, so_oi = lb.open_base(), sb.open_base()
            oi = lo_oi + so_oi
            oi_total += oi
            skew = (lo_oi - so_oi) / oi if oi > 0 else 0.0
            p_fund[v] += 0.0001 + 0.0006 * skew + 0.3 * (vb[v] + x[v])
            if rec:
                self._o_c.append((ts, v, o, h, lo, c, volume, tb, volume * (h + lo + c) / 3.0))
                self._o_oi.append((end_ts, v, oi, oi * c))
        self._fund_n += 1
        self._oi_base = oi_total
        self._vclose = new_close
        self._price = C
        self._g += 1
        minute_of_day = (end_ts // MINUTE_MS) % 1440
        if rec and minute_of_day % cfg.long_short_every_minutes == 0:
            for v in range(V):
                sa = shorts[v].accounts()
                self._o_ls.append((end_ts, v, longs[v].accounts() / sa if sa > 0 else float("nan")))
        if minute_of_day % cfg.funding_interval_minutes == 0:
            for v in range(V):
                rate = min(max(p_fund[v] / self._fund_n, -0.003), 0.003)
                if rec:
                    self._o_f.append((end_ts, v, rate))
                p_fund[v] = 0.0
            self._fund_n = 0
        if rec and ((self._truth_every_ms and (end_ts - cfg.start_ms) % self._truth_every_ms == 0) or end_ts in self._truth_ms):
            self._truth.append(self._snapshot(end_ts))

    def _liquidate(self, book: SideBook, key: float, ts: int, o: float, extreme: float, t_ext: int) -> float:
        """Force-close the crossed cohorts; record events timed on the way from the open to the extreme."""
        f, ids, keys = book.pop(key)
        liq = keys * book.side
        qty = f[:, QS]
        span = math.log(extreme / o)
        if span != 0.0:
            frac = np.clip(np.log(liq / o) / span, 0.0, 1.0)
        else:
            frac = np.zeros(len(liq))
        ev_ts = ts + np.floor(frac * t_ext).astype(np.int64)
        if self._recording:
            self._o_liq.append((ev_ts, book.venue, book.side, liq, qty))
        if self._record_ledger:
            self._ends.append((ids[:, 1].copy(), ev_ts, 1))
        return float(qty.sum())

    def _merge_books(self) -> None:
        t = self.now_ms()
        for b in self.books:
            _pruned, ids = b.merge(0.01)
            if self._record_ledger and len(ids):
                self._ends.append((ids.copy(), np.full(len(ids), t, dtype=np.int64), 2))

    # ----- truth ----------------------------------------------------------------------------------
    def _maybe_truth(self, t: int) -> None:
        every = self.config.truth_every_minutes
        if (every > 0 and (t - self.config.start_ms) % (every * MINUTE_MS) == 0) or t in self._truth_ms:
            self._truth.append(self._snapshot(t))

    def _snapshot(self, t: int) -> TruthSnapshot:
        parts: dict[int, list] = {1: [], -1: []}
        for b in self.books:
            f, i, key = b.open_rows()
            parts[b.side].append((f, i, key * b.side, np.full(len(key), b.venue, dtype=np.int8)))
        out = {}
        for side, name in ((1, "long"), (-1, "short")):
            f = np.concatenate([p[0] for p in parts[side]])
            i = np.concatenate([p[1] for p in parts[side]])
            liq = np.concatenate([p[2] for p in parts[side]])
            out[f"{name}_liq_price"] = liq
            out[f"{name}_qty_base"] = f[:, QS]
            out[f"{name}_notional_usd"] = f[:, QS] * liq
            out[f"{name}_entry_price"] = f[:, ENTRY]
            out[f"{name}_leverage"] = f[:, LEV].astype(np.float32)  # small integers: exact in float32
            out[f"{name}_open_ts"] = i[:, 0]
            out[f"{name}_venue"] = np.concatenate([p[3] for p in parts[side]])
        return TruthSnapshot(ts=t, price=self._price, venues=tuple(self.config.venues), venue_price=tuple(self._vclose), **out)

    # ----- frames ---------------------------------------------------------------------------------
    def _frames(self) -> MarketFrames:
        names = np.array(self.config.venues, dtype=object)

        def table(rows: list, cols: tuple[str, ...]) -> Optional[pd.DataFrame]:
            if not rows:
                return None
            a = np.array(rows, dtype=float)
            d = {c: a[:, j] for j, c in enumerate(cols)}
            d["ts"] = np.array([r[0] for r in rows], dtype=np.int64)  # exact, not via float
            d["exchange"] = names[a[:, 1].astype(np.intp)]
            return pd.DataFrame(d)

        candles = table(self._o_c, ("ts", "venue", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"))
        oi = table(self._o_oi, ("ts", "venue", "oi_base", "oi_usd"))
        funding = table(self._o_f, ("ts", "venue", "rate"))
        ls = table(self._o_ls, ("ts", "venue", "ratio"))
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
    frames = sim.step_minutes(config.minutes)
    return SimulationResult(
        frames=frames,
        truth=sim.truth_snapshots(),
        config=sim.config,
        impact=sim.impact(),
        ledger=sim.ledger() if config.record_ledger else None,
    )
