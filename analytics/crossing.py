"""First crossing of a price level: a range-minimum query answered by binary lifting over a sparse table.

Every cohort asks "from which candle on is my liquidation price first reached?". Longs ask for the
first low at or below their price, shorts for the first high at or above (asked as ``-high <= -price``),
so one routine over "first value at or below a threshold" answers both.
"""

from __future__ import annotations

import numpy as np


def min_sparse_table(x: np.ndarray) -> list[np.ndarray]:
    """Level s holds ``min(x[i : i + 2**s])`` for every i (windows running off the end see +inf)."""
    n = len(x)
    levels = max(1, int(n).bit_length())
    pad = np.full(1 << levels, np.inf)
    cur = np.concatenate([np.asarray(x, dtype=float), pad])
    table = [cur]
    for s in range(levels):
        step = 1 << s
        nxt = cur.copy()
        np.minimum(cur[:-step], cur[step:], out=nxt[:-step])
        table.append(nxt)
        cur = nxt
    return table


def first_at_or_below(x: np.ndarray, start: np.ndarray, stop: np.ndarray, threshold: np.ndarray,
                      table: list[np.ndarray] | None = None) -> np.ndarray:
    """For each query, the smallest ``m`` in ``[start, stop)`` with ``x[m] <= threshold``, else ``stop``.

    Binary lifting: from ``start``, take every jump of ``2**s`` (largest first) whose window lies
    entirely above the threshold. If an answer exists no jump can pass it, so the walk stops on it;
    otherwise it ends at or beyond ``stop``, which is clamped. Cost: O(log n) vector steps per query batch.
    """
    start = np.asarray(start, dtype=np.int64)
    stop = np.asarray(stop, dtype=np.int64)
    thr = np.asarray(threshold, dtype=float)
    if table is None:
        table = min_sparse_table(x)
    pos = start.copy()
    last = len(table[0]) - 1  # padding: +inf, so walks past the data keep going and get clamped
    for s in range(len(table) - 1, -1, -1):
        window_min = table[s][np.minimum(pos, last)]
        pos += (window_min > thr) << s
    return np.minimum(pos, stop)
