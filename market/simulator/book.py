"""Open position cohorts of one venue and one side, indexed for "which ones does this price cross?".

A cohort is many traders who opened the same side, leverage and size bracket in the same minute on the
same venue: one entry price, one liquidation price. Cohorts live in two places:

- ``main``: numpy arrays sorted by the crossing key (long: liq price; short: -liq price), so the cohorts a
  move crosses are always a *suffix* (key >= threshold) and liquidating them just moves the end pointer;
- a pending buffer of the current chunk's openings, realized into arrays only when needed (a crossing near
  its prices, a truth snapshot, or the periodic merge into ``main``).

Voluntary closes are a per-minute hazard shared by the whole book, so they are one multiplication of the
book's ``decay`` factor: a cohort's current size is ``qs * decay`` (``qs`` = scaled size). Running sums of
``qs`` give open interest in O(1) per minute; they are recomputed exactly at every merge.
"""

from __future__ import annotations

import math

import numpy as np

# Float columns of a cohort row.
QS, ACC, Q0, ENTRY, LEV = range(5)
NF = 5
NEG_INF = -math.inf


class SideBook:
    def __init__(self, side: int, venue: int) -> None:
        self.side = side  # +1 long, -1 short
        self.venue = venue
        self.key = np.empty(0)
        self.f = np.empty((0, NF))
        self.i = np.empty((0, 2), dtype=np.int64)  # open_ts, cohort id
        self.n = 0
        self.top = NEG_INF  # largest key in main[:n]
        self.decay = 1.0
        self.sum_q = 0.0  # sum of qs over open cohorts (main and buffer)
        self.sum_acc = 0.0  # sum of scaled account counts
        self.log: list | None = None  # (liq, float rows, int rows) of every realized cohort, for the ledger
        self._begin_chunk_state()

    # ----- chunk buffer -------------------------------------------------------------------------
    def _begin_chunk_state(self) -> None:
        self.c_fac = np.empty((0, 1))
        self.c_w = np.empty((0, 1))
        self.c_lev = np.empty((0, 1))
        self.c_inv = np.empty((0, 1))
        self.c_ext: list[float] = []
        self.c_acc: list[float] = []
        self.id_base = 0
        self.m_entry: list[float] = []
        self.m_qs: list[float] = []
        self.m_q0: list[float] = []
        self.m_ts: list[int] = []
        self.buf_max = NEG_INF
        self.max_key = self.top  # max over main and buffer: the per-minute "anything crossed?" check
        self.r_rows = 0  # minutes realized into the arrays below
        self.b_n = 0  # rows of the arrays below that hold realized cohorts
        self.b_key = np.empty(0)
        self.b_f = np.empty((0, NF))
        self.b_i = np.empty((0, 2), dtype=np.int64)
        self.b_alive = np.empty(0, dtype=bool)

    def begin_chunk(self, fac: np.ndarray, w: np.ndarray, lev: np.ndarray, inv_size: np.ndarray, id_base: int) -> None:
        """Pregenerated cohorts of the next chunk, shape (minutes, cohorts per minute): liq/entry factor,
        split of the minute's size, leverage, 1/trader size in USD. Ids are id_base + row-major index."""
        self._begin_chunk_state()
        self.c_fac, self.c_w, self.c_lev, self.c_inv, self.id_base = fac, w, lev, inv_size, id_base
        # Most extreme key per minute relative to the entry price: the crossing check stays a float compare.
        self.c_ext = (fac.max(axis=1) if self.side > 0 else -fac.min(axis=1)).tolist()
        self.c_acc = (w * inv_size).sum(axis=1).tolist()
        rows = fac.size  # preallocated: realizing a few minutes never copies the whole buffer
        self.b_key = np.empty(rows)
        self.b_f = np.empty((rows, NF))
        self.b_i = np.empty((rows, 2), dtype=np.int64)
        self.b_alive = np.zeros(rows, dtype=bool)

    def add_minute(self, entry: float, qty: float, ts: int) -> None:
        """Open ``qty`` base at ``entry`` (the minute's close) at instant ``ts``, split over this minute's cohorts."""
        j = len(self.m_entry)
        qs = qty / self.decay
        self.m_entry.append(entry)
        self.m_qs.append(qs)
        self.m_q0.append(qty)
        self.m_ts.append(ts)
        if qty > 0:
            ext = entry * self.c_ext[j]
            if ext > self.buf_max:
                self.buf_max = ext
                if ext > self.max_key:
                    self.max_key = ext
            self.sum_q += qs
            self.sum_acc += qs * entry * self.c_acc[j]

    def _realize(self) -> None:
        m = len(self.m_entry)
        if m == self.r_rows:
            return
        r = self.r_rows
        k = self.c_fac.shape[1]
        entry = np.repeat(np.asarray(self.m_entry[r:m]), k)
        qs = (np.asarray(self.m_qs[r:m])[:, None] * self.c_w[r:m]).ravel()
        liq = entry * self.c_fac[r:m].ravel()
        f = np.empty((len(entry), NF))
        f[:, QS] = qs
        f[:, ACC] = qs * entry * self.c_inv[r:m].ravel()
        f[:, Q0] = (np.asarray(self.m_q0[r:m])[:, None] * self.c_w[r:m]).ravel()
        f[:, ENTRY] = entry
        f[:, LEV] = self.c_lev[r:m].ravel()
        i = np.empty((len(entry), 2), dtype=np.int64)
        i[:, 0] = np.repeat(np.asarray(self.m_ts[r:m], dtype=np.int64), k)
        i[:, 1] = self.id_base + np.arange(r * k, m * k, dtype=np.int64)
        if self.log is not None:
            self.log.append((liq, f.copy(), i.copy()))
        a, b = r * k, m * k
        self.b_key[a:b] = liq * self.side
        self.b_f[a:b] = f
        self.b_i[a:b] = i
        self.b_alive[a:b] = qs > 0
        self.r_rows = m
        self.b_n = b

    # ----- queries ------------------------------------------------------------------------------
    def crossed_notional(self, thr: float) -> float:
        """USD notional (size x liq price) of the open cohorts with key >= thr, i.e. crossed by the move."""
        total = 0.0
        if self.top >= thr:
            j = int(np.searchsorted(self.key[: self.n], thr, "left"))
            total += float(np.dot(self.f[j : self.n, QS], self.key[j : self.n])) * self.side
        if self.buf_max >= thr:
            self._realize()
            nb = self.b_n
            key = self.b_key[:nb]
            m = self.b_alive[:nb] & (key >= thr)
            total += float(np.dot(self.b_f[:nb][m, QS], key[m])) * self.side
        return total * self.decay

    def pop(self, thr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Remove every open cohort with key >= thr. Returns (float rows, int rows, keys) of those removed,
        with the QS column turned into the current size in base."""
        parts_f, parts_i, parts_k = [], [], []
        if self.top >= thr:
            j = int(np.searchsorted(self.key[: self.n], thr, "left"))
            parts_f.append(self.f[j : self.n])
            parts_i.append(self.i[j : self.n])
            parts_k.append(self.key[j : self.n])
            self.n = j
            self.top = float(self.key[j - 1]) if j else NEG_INF
        if self.buf_max >= thr:
            self._realize()
            nb = self.b_n
            key = self.b_key[:nb]
            alive = self.b_alive[:nb]
            m = alive & (key >= thr)
            parts_f.append(self.b_f[:nb][m])
            parts_i.append(self.b_i[:nb][m])
            parts_k.append(key[m])
            alive &= ~m  # a view: updates b_alive in place
            rest = key[alive]
            self.buf_max = float(rest.max()) if len(rest) else NEG_INF
        self.max_key = self.top if self.top > self.buf_max else self.buf_max
        f = np.concatenate(parts_f) if len(parts_f) != 1 else parts_f[0].copy()
        self.sum_q -= float(f[:, QS].sum())
        self.sum_acc -= float(f[:, ACC].sum())
        f[:, QS] *= self.decay
        i = np.concatenate(parts_i) if len(parts_i) != 1 else parts_i[0]
        k = np.concatenate(parts_k) if len(parts_k) != 1 else parts_k[0]
        return f, i, k

    def open_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All open cohorts now: (float rows with QS = current size, int rows, keys)."""
        self._realize()
        nb = self.b_n
        m = self.b_alive[:nb]
        f = np.concatenate([self.f[: self.n], self.b_f[:nb][m]])
        f[:, QS] *= self.decay
        return f, np.concatenate([self.i[: self.n], self.b_i[:nb][m]]), np.concatenate([self.key[: self.n], self.b_key[:nb][m]])

    def open_base(self) -> float:
        return self.sum_q * self.decay

    def accounts(self) -> float:
        return self.sum_acc * self.decay

    # ----- per-minute closes and the periodic merge ----------------------------------------------
    def close_fraction(self, c: float) -> float:
        """Every open cohort closes the fraction c of its size. Returns the base closed."""
        closed = self.sum_q * self.decay * c
        self.decay *= 1.0 - c
        return closed

    def merge(self, prune_fraction: float) -> tuple[float, np.ndarray]:
        """Move the chunk's openings into the sorted arrays, fully close cohorts that shrank below
        prune_fraction of their opening size, and recompute the running sums exactly.
        Returns (base closed by pruning, ids pruned)."""
        self._realize()
        nb = self.b_n
        m = self.b_alive[:nb]
        key = np.concatenate([self.key[: self.n], self.b_key[:nb][m]])
        f = np.concatenate([self.f[: self.n], self.b_f[:nb][m]])
        i = np.concatenate([self.i[: self.n], self.b_i[:nb][m]])
        small = f[:, QS] * self.decay < prune_fraction * f[:, Q0]
        pruned_base = float(f[small, QS].sum()) * self.decay
        pruned_ids = i[small, 1]
        keep = np.flatnonzero(~small)
        # One gather per array: kept rows in key order (two sorted runs: timsort merges them in O(n)).
        idx = keep[np.argsort(key[keep], kind="stable")]
        self.key = key[idx]
        self.f = f[idx]
        self.i = i[idx]
        self.n = len(self.key)
        self.top = float(self.key[-1]) if self.n else NEG_INF
        if self.decay < 1e-30:  # rebase so scaled sizes never overflow in a long-running demo
            self.f[:, QS] *= self.decay
            self.f[:, ACC] *= self.decay
            self.decay = 1.0
        self.sum_q = float(self.f[:, QS].sum())
        self.sum_acc = float(self.f[:, ACC].sum())
        self._begin_chunk_state()
        return pruned_base, pruned_ids
