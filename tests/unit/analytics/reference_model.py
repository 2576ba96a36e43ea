"""The obviously-correct oracle: the liquidation-level model as a plain per-candle Python loop.

Written from the model's definition (analytics/liquidation.py docstring), sharing nothing with the
fast path but the parameter object and the liquidation-price formula.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from analytics.liqprice import isolated_liq_price, mmr_for_notional


def _oi_at(oi_rows, t):
    """Last measurement at or before t, None before the first."""
    times = [r[0] for r in oi_rows]
    k = bisect.bisect_right(times, t) - 1
    return None if k < 0 else oi_rows[k][1]


def run(candles, open_interest, params, tf=60_000, until_ms=None):
    """Per exchange: (open cohorts [(side, liq, qty)], liquidations [(ts, side, liq, qty)], last close or None)."""
    weights = [w / sum(params.weights) for w in params.weights]
    mmr = float(mmr_for_notional(params.position_usd, params.brackets)[0])
    lam = 0.0 if params.half_life_ms is None else math.log(2.0) / params.half_life_ms
    keep = 1.0 if params.mean_hold_ms is None else math.exp(-tf / params.mean_hold_ms)
    out = {}
    for ex in sorted(set(candles["exchange"])):
        bars = candles[candles["exchange"] == ex].sort_values("ts")
        ois = open_interest[open_interest["exchange"] == ex].sort_values("ts")
        oi_rows = [(int(t), float(b)) for t, b in zip(ois["ts"], ois["oi_base"]) if math.isfinite(b)]
        if until_ms is not None:
            oi_rows = [r for r in oi_rows if r[0] <= until_ms]
        cohorts = []  # dicts: side, liq, qty
        liqs = []
        last_close = None
        prev_close_ts = None
        for row in bars.itertuples(index=False):
            t = int(row.ts)
            if until_ms is not None and t + tf > until_ms:
                break
            # 1. earlier cohorts reached by this candle
            survivors = []
            liquidated = 0.0
            for c in cohorts:
                if (c["side"] == 1 and row.low <= c["liq"]) or (c["side"] == -1 and row.high >= c["liq"]):
                    if c["qty"] > 0:
                        liqs.append((t, c["side"], c["liq"], c["qty"]))
                        liquidated += c["qty"]
                else:
                    survivors.append(c)
            cohorts = survivors
            # 2. OI change of this candle
            before, after = _oi_at(oi_rows, t), _oi_at(oi_rows, t + tf)
            if before is None or after is None:
                d, frac = 0.0, 1.0
            else:
                # The liquidated positions are gone already: only the rest turns over or closes.
                before = before - min(liquidated, max(before, 0.0))
                d = after - before * keep  # what ordinary turnover does not explain is opened
                frac = min(keep, after / before if before > 0 else 1.0)
            frac = min(max(frac, 1e-12), 1.0)
            decay = 1.0 if prev_close_ts is None else math.exp(-lam * (t + tf - prev_close_ts))
            for c in cohorts:
                c["qty"] *= frac * decay
            prev_close_ts = t + tf
            # 3. new cohorts
            if d > 0:
                if params.entry == "vwap" and row.volume > 0 and math.isfinite(row.quote_volume) \
                        and row.low <= row.quote_volume / row.volume <= row.high:
                    entry = row.quote_volume / row.volume
                else:
                    entry = (row.high + row.low + row.close) / 3.0
                share = 0.5
                if params.taker_split and row.volume > 0 and math.isfinite(row.taker_buy_volume):
                    share = min(max(row.taker_buy_volume / row.volume, 0.0), 1.0)
                for side, part in ((1, share), (-1, 1.0 - share)):
                    for lev, w in zip(params.leverages, weights):
                        q = d * part * w
                        if q > 0:
                            cohorts.append({"side": side, "liq": float(isolated_liq_price(entry, lev, side, mmr)), "qty": q})
            last_close = row.close
        out[ex] = ([(c["side"], c["liq"], c["qty"]) for c in cohorts], liqs, last_close)
    return out


def map_usd(result, edges):
    """(long_usd, short_usd) per bin summed over exchanges, from ``run``'s open cohorts."""
    nb = len(edges) - 1
    lo, sh = np.zeros(nb), np.zeros(nb)
    for cohorts, _l, _c in result.values():
        for side, liq, qty in cohorts:
            b = bisect.bisect_right(list(edges), liq) - 1
            if 0 <= b < nb:
                (lo if side == 1 else sh)[b] += qty * liq
    return lo, sh
