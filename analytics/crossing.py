"""First crossing of a price level: a range-minimum query answered by binary lifting over a sparse table.

Every cohort asks "from which candle on is my liquidation price first reached?". Longs ask for the
first low at or below their price, shorts for the first high at or above (asked as ``-high <= -price``),
so one routine over "first value at or below a threshold" answers both. Several series (venues, sides)
are concatenated into one array and searched in one batch; each query is clamped to its own segment.
"""

from __future__ import annotations

import numpy as np


def min_sparse_table(x: np.ndarray, levels: int | None = None) -> list[np.ndarray]:
    """Level s holds ``min(x[i : i + 2**s])`` for every i (a window running off the end is cut there).

    ``levels`` bounds the largest window (2**(levels-1)); by default it covers the whole array.
    """
    n = len(x)
    if levels is None:
        levels = max(1, int(n).bit_length()) + 1
    cur = np.asarray(x)
    if cur.dtype not in (np.float32, np.float64):
        cur = cur.astype(float)
    table = [cur]
    for s in range(levels - 1):
        step = 1 << s
        nxt = cur.copy()  # a window running off the end is the min of what is left
        if step < n:
            np.minimum(cur[:-step], cur[step:], out=nxt[:-step])
        table.append(nxt)
        cur = nxt
    return table


def segment_suffix_min(x: np.ndarray, seg_starts: np.ndarray) -> np.ndarray:
    """``out[i] = min(x[i : end of i's segment])``; segments start at ``seg_starts`` (sorted, first = 0)."""
    out = np.empty(len(x), dtype=x.dtype)
    bounds = list(seg_starts) + [len(x)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b > a:
            out[a:b] = np.minimum.accumulate(x[a:b][::-1])[::-1]
    return out


def first_at_or_below(x: np.ndarray, start: np.ndarray, stop: np.ndarray, threshold: np.ndarray,
                      table: list[np.ndarray] | None = None, reach: np.ndarray | None = None) -> np.ndarray:
    """For each query, the smallest ``m`` in ``[start, stop)`` with ``x[m] <= threshold``, else ``stop``.

    Binary lifting: from ``start``, take every jump of ``2**s`` (largest first) whose window lies
    entirely above the threshold. If an answer exists, no jump can pass it, so the walk stops on it.
    ``reach[i]`` (optional) = ``min(x[i:stop])``: queries it shows unanswered skip the walk, and the
    table then only needs levels up to the longest segment.
    """
    start = np.asarray(start, dtype=np.int64)
    stop = np.asarray(stop, dtype=np.int64)
    thr = np.asarray(threshold, dtype=float)
    if table is None:
        table = min_sparse_table(x)
    result = stop.copy()
    if reach is not None:
        inside = start < stop
        live = np.flatnonzero(inside)
        live = live[np.take(reach, start[live]) <= thr[live]]
        pos = start[live]
        t = thr[live]
    else:
        live = None
        pos = start.copy()
        t = thr
    for s in range(len(table) - 1, -1, -1):
        above = np.take(table[s], pos, mode="clip") > t  # reads past the end happen only without an answer
        np.add(pos, 1 << s, out=pos, where=above)
    if live is None:
        return np.minimum(pos, stop)
    result[live] = np.minimum(pos, stop[live])
    return result


def _down32(x: np.ndarray) -> np.ndarray:
    """float32 values at or below the float64 ones (one float32 step down from the nearest)."""
    return np.nextafter(x.astype(np.float32), np.float32(-np.inf))


def _up32(x: np.ndarray) -> np.ndarray:
    """float32 values at or above the float64 ones."""
    return np.nextafter(x.astype(np.float32), np.float32(np.inf))


class CrossingIndex:
    """Exact "first value at or below a threshold" over concatenated segments, at float32 speed.

    Built once (suffix minima in float64, a float32 sparse table rounded *down*); ``first`` then answers
    batches of queries. Queries with no answer in their segment are dropped by the suffix minima; the
    walk compares against thresholds rounded *up*, so every jump it takes is also valid in float64 and
    it can only stop early, at a near-tie; those few stops are checked in float64 and walk on from the
    next position (a few rounds), then finish by a scan.
    """

    def __init__(self, x: np.ndarray, seg_starts: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=float)
        bounds = np.append(np.asarray(seg_starts, np.int64), len(self.x))
        longest = int(np.diff(bounds).max(initial=1))
        self.reach = segment_suffix_min(self.x, bounds[:-1])
        # An answered query moves less than the longest segment: jumps up to 2**(bits-1) reach any.
        self.table = min_sparse_table(_down32(self.x), max(1, (longest - 1).bit_length())) if len(self.x) else []
        self.small = len(self.x) < 2**31 - 2**20

    def first(self, start: np.ndarray, stop: np.ndarray, threshold: np.ndarray) -> np.ndarray:
        """Per query the smallest ``m`` in ``[start, stop)`` with ``x[m] <= threshold``, else ``stop``.
        Batches of some 10^4..10^5 queries keep the temporaries small and cache-resident."""
        x, table = self.x, self.table
        start = np.asarray(start, dtype=np.int64)
        stop = np.asarray(stop, dtype=np.int64)
        thr = np.asarray(threshold, dtype=float)
        out = stop.copy()
        if len(x) == 0 or len(start) == 0:
            return out
        live = np.flatnonzero((start < stop) & (self.reach[np.minimum(start, len(x) - 1)] <= thr))
        if len(live) == 0:
            return out
        pos = start[live].astype(np.int32) if self.small else start[live]
        t = _up32(thr[live])
        # Every jump taken is valid in float64 and a live query has an answer in its segment, so the
        # walk never passes it: positions stay inside the table (no clipping needed, "wrap" is the
        # cheapest take mode). Jumps are added as (above × 2**s): a masked add (where=) is several
        # times slower on unpredictable masks.
        vals = np.empty(len(live), np.float32)
        above = np.empty(len(live), bool)
        inc = np.empty(len(live), pos.dtype)
        for s in range(len(table) - 1, -1, -1):
            np.take(table[s], pos, out=vals, mode="wrap")
            np.greater(vals, t, out=above)
            np.multiply(above, inc.dtype.type(1 << s), out=inc)
            pos += inc
        pos = pos.astype(np.int64)
        early = np.flatnonzero(x[pos] > thr[live])  # a near-tie stopped the walk before the answer
        for _round in range(3):  # walk on from just after the near-tie: usually the next stop is the answer
            if len(early) == 0:
                break
            q = live[early]
            p = pos[early] + 1
            go = p < stop[q]  # past the segment: no answer after all
            pos[early[~go]] = stop[q[~go]]
            early, q, p = early[go], q[go], p[go]
            tq = t[early]
            for s in range(len(table) - 1, -1, -1):
                p += (np.take(table[s], p, mode="clip") > tq).astype(np.int64) << s
            # the walk never passes an answer; with none left it stops beyond the segment
            p = np.minimum(p, stop[q])
            pos[early] = p
            early = early[(p < stop[q]) & (x[np.minimum(p, len(x) - 1)] > thr[q])]
        for k in early:  # many near-ties in a row (flat series at a float32 boundary): scan
            q = live[k]
            rest = np.flatnonzero(x[pos[k] + 1 : stop[q]] <= thr[q])
            pos[k] = pos[k] + 1 + rest[0] if len(rest) else stop[q]
        out[live] = pos
        return out


def first_crossings(x: np.ndarray, seg_starts: np.ndarray, start: np.ndarray, stop: np.ndarray,
                    threshold: np.ndarray, chunk: int = 1 << 15) -> np.ndarray:
    """``first_at_or_below`` for many queries over concatenated segments (see ``CrossingIndex``)."""
    index = CrossingIndex(x, seg_starts)
    start = np.asarray(start, dtype=np.int64)
    result = np.empty(len(start), np.int64)
    for a in range(0, len(start), chunk):
        result[a : a + chunk] = index.first(start[a : a + chunk], np.asarray(stop)[a : a + chunk],
                                            np.asarray(threshold)[a : a + chunk])
    return result
