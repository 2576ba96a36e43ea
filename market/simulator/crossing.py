"""First crossing of price levels within a run of minutes, for many levels at once (no Python loop)."""

from __future__ import annotations

import numpy as np


class FirstCross:
    """For a series x[0:N] answers, per query (start s, level y): the first t >= s with x[t] <= y (or N).

    A sparse table of range minima and binary lifting: O(N log N) to build, O(log N) numpy steps for any
    number of queries. For "first t with high >= level" pass -high and -level.
    """

    def __init__(self, x: np.ndarray) -> None:
        self.N = len(x)
        self.levels = [np.asarray(x, dtype=float)]
        span = 1
        while 2 * span <= self.N:
            prev = self.levels[-1]
            self.levels.append(np.minimum(prev[: len(prev) - span], prev[span:]))
            span *= 2

    def first(self, start: np.ndarray, level: np.ndarray) -> np.ndarray:
        pos = np.asarray(start, dtype=np.int64).copy()
        level = np.asarray(level, dtype=float)
        for j in range(len(self.levels) - 1, -1, -1):
            tab = self.levels[j]
            ok = pos < len(tab)  # a block of 2**j minutes fits from pos
            idx = np.where(ok, pos, 0)
            skip = ok & (tab[idx] > level)
            pos = np.where(skip, pos + (1 << j), pos)
        return np.minimum(pos, self.N)
