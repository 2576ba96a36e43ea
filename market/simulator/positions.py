"""Drawing positions: who opens what, with which margin, stop-loss, lifetime and liquidation ladder.

Everything here is relative to the entry price, so a chunk of minutes is drawn at once (vectorized) and
scaled by the entry when the minute is known. A position is one or more *rows*:

- a large position is liquidated in tranches (as OKX and Bybit do): tranche j is force-closed at its own
  price, after which the remaining, smaller position needs less maintenance margin and the realized loss
  has left the wallet, so the next tranche sits farther away (the ladder below is exact for that rule);
- a cross-margin position has more wallet behind it than its initial margin, so its liquidation price is
  farther than the isolated one (below zero for a long: it is never liquidated);
- a stop-loss closes the whole remaining position at the stop price. A row whose liquidation price lies
  beyond the stop (seen from the entry) is closed by the stop, never liquidated ("stop row"); the others
  are "liquidation rows".

Liquidation price of tranche j (side s = +1 long, -1 short; entry 1, position size 1, wallet w; Q_j the
size still open, q_i the tranches already liquidated at P_i, m_j the maintenance rate of Q_j's notional):
equity w + s * sum_i q_i (P_i - 1) + s * Q_j (P_j - 1) = m_j Q_j P_j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.liqprice import BTCUSDT_BRACKETS, mmr_for_notional
from market.simulator.config import SimConfig

# Float columns of a position row (one matrix per book; ids are exact in float64).
QTY, LIQ, ENTRY, STOP, LEV, WALLET, ACC, OPEN, EXP, RID, PID, TRANCHE, KIND, CROSS, TRIG = range(15)
NCOL = 15
# Row kinds.
TRADER, MARKET_MAKER, ABSORBER = 0, 1, 2
# Row triggers.
BY_LIQUIDATION, BY_STOP = 0, 1


def size_caps(leverage: np.ndarray) -> np.ndarray:
    """Largest notional at which each leverage is allowed (the highest bracket cap that permits it)."""
    caps = np.array([b.cap for b in BTCUSDT_BRACKETS])
    maxlev = np.array([b.max_leverage for b in BTCUSDT_BRACKETS])
    out = np.empty(len(leverage))
    for i, l in enumerate(leverage):
        ok = caps[maxlev >= l]
        out[i] = ok.max() if len(ok) else caps[0]
    return out * 0.999


def ladder(side: int, wallet: np.ndarray, size_usd: np.ndarray, n_tr: np.ndarray, max_tr: int) -> np.ndarray:
    """Liquidation price factors (x entry) of each tranche, shape (positions, max_tr); NaN past n_tr."""
    n = len(wallet)
    out = np.full((n, max_tr), np.nan)
    realized = np.zeros(n)  # sum_i q_i (P_i - 1)
    q = 1.0 / n_tr
    s = float(side)
    for j in range(max_tr):
        active = j < n_tr
        remaining = np.maximum(1.0 - j * q, 1e-12)
        mmr, _ = mmr_for_notional(size_usd * remaining)
        p = (s * remaining - wallet - s * realized) / (remaining * (s - mmr))
        if side > 0:
            p = np.maximum(p, 0.0)  # a long whose equity covers the whole fall is never liquidated
        out[:, j] = np.where(active, p, np.nan)
        realized = realized + np.where(active, q * (p - 1.0), 0.0)
    return out


@dataclass(frozen=True)
class Template:
    """Rows of one book for a chunk of minutes, relative to entry; rows ordered by minute."""

    minute: np.ndarray  # minute index in the chunk
    start: np.ndarray  # row offsets per minute (len K + 1)
    is_mm: np.ndarray  # row belongs to the minute's market-maker position (else a trader's)
    weight: np.ndarray  # share of the group's size of that minute
    liq_fac: np.ndarray
    stop_fac: np.ndarray  # NaN without stop
    trig: np.ndarray  # BY_LIQUIDATION / BY_STOP
    clamp_fac: np.ndarray  # the position's nearest trigger: its entry must not lie beyond the close by it
    u: np.ndarray  # where in the candle the entry falls (0 low .. 1 high)
    lifetime: np.ndarray  # minutes
    lev: np.ndarray
    wallet: np.ndarray
    acc_per_usd: np.ndarray  # accounts per USD of notional (1 / one account's size)
    pos: np.ndarray  # position index in the chunk
    tranche: np.ndarray
    cross: np.ndarray
    ext: np.ndarray  # per minute: extreme liquidation-row factor (max for longs, min for shorts); NaN if none


def _mix(rng: np.random.Generator, mix, size) -> np.ndarray:
    levs = np.array(sorted(mix), dtype=float)
    w = np.array([mix[l] for l in sorted(mix)], dtype=float)
    return levs[rng.choice(len(levs), p=w / w.sum(), size=size)]


def lifetimes(rng: np.random.Generator, n: int, mean: float, sigma: float, tail_share: float, alpha: float, cap: int) -> np.ndarray:
    """Heavy-tailed lifetimes in minutes: a lognormal body and a Pareto tail whose mean is 3x the mean."""
    tail_mean = 3.0
    body_mean = (1.0 - tail_share * tail_mean) / (1.0 - tail_share) if tail_share < 1 else 1.0
    body_mean = max(body_mean, 0.1)
    mu = np.log(mean * body_mean) - 0.5 * sigma * sigma
    body = np.exp(mu + sigma * rng.standard_normal(n))
    xm = mean * tail_mean * (alpha - 1.0) / alpha
    tail = xm * rng.random(n) ** (-1.0 / alpha)
    life = np.where(rng.random(n) < tail_share, tail, body)
    return np.clip(np.round(life), 1, cap).astype(np.int64)


def draw_template(rng: np.random.Generator, cfg: SimConfig, side: int, K: int) -> Template:
    P = cfg.traders_per_minute + 1  # the last position of each minute is the market makers'
    n = K * P
    is_mm = np.tile(np.arange(P) == P - 1, K)
    lev = np.where(is_mm, _mix(rng, cfg.mm_leverage_mix, n), _mix(rng, cfg.leverage_mix, n))
    size = np.exp(np.log(cfg.trader_size_median_usd) + cfg.trader_size_sigma * rng.standard_normal(n))
    mm_size = np.exp(np.log(cfg.mm_size_median_usd) + 0.8 * rng.standard_normal(n))
    size = np.where(is_mm, mm_size, size)
    levs, inv = np.unique(lev, return_inverse=True)
    size = np.minimum(size, size_caps(levs)[inv])
    # Traders split their minute's size by their own sizes (a big trader carries more of it).
    tsize = np.where(is_mm, 0.0, size).reshape(K, P)
    wpos = np.where(is_mm, 1.0, (tsize / np.maximum(tsize.sum(axis=1, keepdims=True), 1e-9)).ravel())
    cross = is_mm | (rng.random(n) < cfg.cross_share)
    extra = np.where(is_mm, 2.0 + rng.exponential(1.0, n), rng.exponential(cfg.cross_extra_mean, n))
    wallet = (1.0 / lev) * (1.0 + np.where(cross, extra, 0.0))
    n_tr = np.where(size > cfg.tranche_notional_usd, cfg.tranches, 1)
    facs = ladder(side, wallet, size, n_tr, cfg.tranches)
    first = facs[:, 0]
    has_stop = (~is_mm) & (rng.random(n) < cfg.stop_share)
    reach = rng.uniform(cfg.stop_reach[0], cfg.stop_reach[1], n)
    dist = np.abs(first - 1.0)
    stop = np.where(has_stop, 1.0 - side * reach * dist, np.nan)
    if side > 0:
        stop = np.where(stop > 0, stop, np.nan)
        clamp = np.fmax(first, stop)  # the nearer of the first liquidation and the stop (fmax skips NaN)
    else:
        clamp = np.fmin(first, stop)
    hold = np.where(
        is_mm,
        lifetimes(rng, n, cfg.mm_mean_hold_minutes, 1.0, 0.0, cfg.lifetime_tail_alpha, cfg.max_lifetime_minutes),
        lifetimes(rng, n, cfg.mean_hold_minutes, cfg.lifetime_sigma, cfg.lifetime_tail_share, cfg.lifetime_tail_alpha, cfg.max_lifetime_minutes),
    )
    u = rng.random(n)
    # Expand positions into rows (one per tranche).
    pos = np.repeat(np.arange(n), n_tr)
    tranche = np.arange(len(pos)) - (np.cumsum(n_tr) - n_tr)[pos]
    liq_fac = facs[pos, tranche]
    stop_fac = stop[pos]
    if side > 0:
        by_stop = stop_fac >= liq_fac  # the stop is reached first on the way down
    else:
        by_stop = stop_fac <= liq_fac
    trig = np.where(by_stop, BY_STOP, BY_LIQUIDATION)
    minute = pos // P
    start = np.searchsorted(minute, np.arange(K + 1), "left")
    ext = np.full(K, np.nan)
    liq_rows = trig == BY_LIQUIDATION
    if side > 0:
        np.fmax.at(ext, minute[liq_rows], liq_fac[liq_rows])
    else:
        np.fmin.at(ext, minute[liq_rows], liq_fac[liq_rows])
    return Template(
        minute=minute, start=start, is_mm=is_mm[pos], weight=wpos[pos] / n_tr[pos], liq_fac=liq_fac,
        stop_fac=stop_fac, trig=trig, clamp_fac=clamp[pos], u=u[pos], lifetime=hold[pos], lev=lev[pos],
        wallet=wallet[pos], acc_per_usd=1.0 / size[pos], pos=pos, tranche=tranche, cross=cross[pos], ext=ext,
    )


def split_template(t: Template, parts: int, K: int) -> list[Template]:
    """A template drawn for ``parts`` x K minutes, as ``parts`` templates of K minutes (one per venue)."""
    out = []
    for p in range(parts):
        a, z = int(t.start[p * K]), int(t.start[(p + 1) * K])
        kw = {}
        for name in Template.__dataclass_fields__:
            v = getattr(t, name)
            if name == "start":
                kw[name] = v[p * K : (p + 1) * K + 1] - a
            elif name == "ext":
                kw[name] = v[p * K : (p + 1) * K]
            elif name == "minute":
                kw[name] = v[a:z] - p * K
            else:
                kw[name] = v[a:z]
        out.append(Template(**kw))
    return out
