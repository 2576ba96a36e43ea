"""The liquidation rows of one venue and one side, indexed for "which ones does this price cross?".

- ``main``: a row matrix sorted by the crossing key (long: liq price; short: -liq price), so the rows a
  move crosses are always a *suffix* (key >= threshold) and liquidating them just moves the end pointer;
- a buffer of the current chunk's openings (appended in minute order), scanned only when a move comes
  near its prices, and merged into ``main`` at the chunk's end.

Rows close whole at their expiry minute (EXP) without leaving the arrays at once: a row is liquidatable
in minute g only while EXP > g, and the merge drops the expired ones. For the chunk's accounting every row
that was open in it keeps its end minute (``end0`` for main, ``b_end`` for the buffer).
"""

from __future__ import annotations

import math

import numpy as np

from market.simulator.positions import EXP, LIQ, NCOL, QTY

NEG_INF = -math.inf


class LiqBook:
    def __init__(self, side: int, venue: int) -> None:
        self.side = side  # +1 long, -1 short
        self.venue = venue
        self.key = np.empty(0)
        self.F = np.empty((0, NCOL))
        self.n = 0
        self.top = NEG_INF
        self._begin_chunk()

    def _begin_chunk(self) -> None:
        self.F0 = self.F  # main as it stood at the chunk's start (pops only move n)
        self.n0 = self.n
        self.end0 = self.F[:, EXP].copy()
        self.b_F = np.empty((0, NCOL))
        self.b_key = np.empty(0)
        self.b_alive = np.empty(0, dtype=bool)
        self.b_end = np.empty(0)
        self.b_parts: list[np.ndarray] = []
        self.b_n = 0
        self.buf_max = NEG_INF  # exact max key of the realized buffer rows
        self.bound = NEG_INF  # upper bound of the keys of rows opened but not realized yet
        self.max_key = self.top

    # ----- the chunk buffer -------------------------------------------------------------------------
    def append(self, rows: np.ndarray) -> None:
        """Realized rows of the chunk's openings (in minute order)."""
        if not len(rows):
            return
        key = rows[:, LIQ] * self.side
        self.b_F = np.concatenate([self.b_F, rows]) if self.b_n else rows
        self.b_key = np.concatenate([self.b_key, key]) if self.b_n else key
        self.b_alive = np.concatenate([self.b_alive, np.ones(len(rows), dtype=bool)])
        self.b_end = np.concatenate([self.b_end, rows[:, EXP]])
        self.b_n += len(rows)
        m = float(key.max())
        if m > self.buf_max:
            self.buf_max = m

    def realized(self) -> None:
        """Every opened row is now realized: the bound is the exact buffer max again."""
        self.bound = NEG_INF
        self.max_key = max(self.top, self.buf_max)

    def note_opening(self, bound: float) -> None:
        if bound > self.bound:
            self.bound = bound
            if bound > self.max_key:
                self.max_key = bound

    # ----- queries ------------------------------------------------------------------------------
    def crossed_notional(self, thr: float, g: int) -> float:
        """USD notional (size x liq price) of the rows liquidatable in minute g with key >= thr."""
        total = 0.0
        if self.top >= thr:
            j = int(np.searchsorted(self.key[: self.n], thr, "left"))
            f = self.F[j : self.n]
            live = f[:, EXP] > g
            total += float(np.dot(f[live, QTY], f[live, LIQ]))
        if self.buf_max >= thr:
            m = self.b_alive & (self.b_key >= thr) & (self.b_F[:, EXP] > g)
            total += float(np.dot(self.b_F[m, QTY], self.b_F[m, LIQ]))
        return total

    def pop(self, thr: float, g: int) -> np.ndarray:
        """Liquidate in minute g every live row with key >= thr; rows found already expired are dropped.
        Returns the liquidated rows."""
        parts = []
        if self.top >= thr:
            j = int(np.searchsorted(self.key[: self.n], thr, "left"))
            f = self.F[j : self.n]
            live = f[:, EXP] > g
            parts.append(f[live])
            # main is F0 until the merge: the popped rows end now (or at their earlier expiry)
            np.minimum(self.end0[j : self.n], g, out=self.end0[j : self.n])
            self.n = j
            self.top = float(self.key[j - 1]) if j else NEG_INF
        if self.buf_max >= thr:
            hit = self.b_alive & (self.b_key >= thr)
            live = hit & (self.b_F[:, EXP] > g)
            parts.append(self.b_F[live])
            self.b_end[hit] = np.minimum(self.b_end[hit], g)
            self.b_alive &= ~hit
            rest = self.b_key[self.b_alive]
            self.buf_max = float(rest.max()) if len(rest) else NEG_INF
        self.max_key = max(self.top, self.buf_max, self.bound)
        if not parts:
            return np.empty((0, NCOL))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def open_rows(self, g: int) -> np.ndarray:
        """Rows still open after minute g (not liquidated, EXP > g)."""
        f = np.concatenate([self.F[: self.n], self.b_F[self.b_alive]])
        return f[f[:, EXP] > g]

    def chunk_roster(self) -> tuple[np.ndarray, np.ndarray]:
        """Every row open at some point of this chunk and its end minute (EXP if not liquidated)."""
        return np.concatenate([self.F0[: self.n0], self.b_F]), np.concatenate([self.end0[: self.n0], self.b_end])

    # ----- the merge ----------------------------------------------------------------------------
    def merge(self, g_next: int, extra: np.ndarray) -> None:
        """Merge the buffer (and ``extra`` rows) into main, dropping rows that end before minute g_next."""
        main = self.F[: self.n]
        main = main[main[:, EXP] >= g_next]
        new = self.b_F[self.b_alive]
        if len(extra):
            new = np.concatenate([new, extra])
        new = new[new[:, EXP] >= g_next]
        mk = main[:, LIQ] * self.side
        nk = new[:, LIQ] * self.side
        order = np.argsort(nk, kind="stable")
        new, nk = new[order], nk[order]
        # Merge two sorted runs in O(n): where each new row lands among the old ones.
        at = np.searchsorted(mk, nk, "right") + np.arange(len(nk))
        total = len(mk) + len(nk)
        is_new = np.zeros(total, dtype=bool)
        is_new[at] = True
        F = np.empty((total, main.shape[1]))
        key = np.empty(total)
        F[is_new], F[~is_new] = new, main
        key[is_new], key[~is_new] = nk, mk
        self.F, self.key, self.n = F, key, total
        self.top = float(key[-1]) if total else NEG_INF
        self._begin_chunk()
