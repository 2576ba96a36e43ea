"""What the soak's memory timeline needs besides RSS: the bytes the session's data really occupies, and
where the rest comes from (tracemalloc and object counts, diffed between two points of a run).

``data_held_bytes`` walks the objects the window, its workers and the live source keep, and adds up the
frames' own sizes (``DataFrame.memory_usage(deep=True)``, numpy ``nbytes``), each object once. RSS minus
that is what the session costs beyond its data: it must stay flat after warm-up.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections import Counter
from typing import Iterable

import numpy as np
import pandas as pd

MAX_DEPTH = 14  # window → keeper → ensemble → models → venues → cohort buffers → arrays is 8 hops
_LEAVES = (str, bytes, int, float, bool, type(None))


def data_held_bytes(roots: Iterable[object]) -> int:
    """Bytes held by the DataFrames, Series and numpy arrays reachable from ``roots`` (each counted once).

    Follows attributes (``__dict__`` and ``__slots__``), dict values, lists, tuples and sets a few levels
    deep; does not enter Qt objects' C++ side, modules, classes or functions."""
    seen: set[int] = set()
    total = 0
    stack = [(r, 0) for r in roots]
    while stack:
        obj, depth = stack.pop()
        if obj is None or isinstance(obj, _LEAVES) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, pd.DataFrame):
            total += int(obj.memory_usage(deep=True, index=True).sum())
            continue
        if isinstance(obj, (pd.Series, pd.Index)):
            total += int(obj.memory_usage(deep=True))
            continue
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            if id(base) not in seen or base is obj:
                seen.add(id(base))
                total += int(base.nbytes)
            continue
        if depth >= MAX_DEPTH or isinstance(obj, (type, type(sys))) or callable(obj) and not hasattr(obj, "__dict__"):
            continue
        if isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in list(obj.values()))
            continue
        if isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend((v, depth + 1) for v in list(obj))
            continue
        attrs = getattr(obj, "__dict__", None)
        if isinstance(attrs, dict):
            stack.extend((v, depth + 1) for v in list(attrs.values()))
        for name in getattr(type(obj), "__slots__", ()) or ():
            if isinstance(name, str):
                stack.append((getattr(obj, name, None), depth + 1))
    return total


def session_roots(window, source) -> list[object]:
    """What the app keeps of the session's data: everything reachable from the window and the live source
    (so a buffer kept somewhere new, such as the positions feature's cache or a panel's grid, still counts),
    with the known holders named too, in case a hop there is not a Python attribute (a Qt-side parent)."""
    roots: list[object] = [window, source, window.frames, getattr(window, "state", None)]
    session = getattr(window, "session", None)
    worker = getattr(session, "worker", None)
    if worker is not None:
        roots.append(getattr(worker, "_frames", None))
        roots.append(getattr(worker, "_deltas", None))
    for name in ("view_worker", "_view_worker", "compute"):
        vw = getattr(window, name, None)
        if vw is not None:
            roots.append(getattr(getattr(vw, "worker", vw), "keeper", None))
    terminal = getattr(window, "terminal", None)
    roots.append(terminal)
    for name in ("result", "_result", "last_result"):
        roots.append(getattr(terminal, name, None))
    if source is not None:
        engine = getattr(source, "_engine", None)
        roots.append(getattr(engine, "gaps", None))
    return [r for r in roots if r is not None]


class _MallInfo2(__import__("ctypes").Structure):
    _fields_ = [(name, __import__("ctypes").c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_stats() -> dict[str, float]:
    """glibc's own account of the C heap, all arenas (MB): in use by live allocations, free but kept inside
    the heap (fragmentation), and mmapped blocks. Empty where mallinfo2 is missing (not glibc >= 2.33)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        fn = libc.mallinfo2
    except (OSError, AttributeError):
        return {}
    fn.restype = _MallInfo2
    m = fn()
    mb = 2.0 ** 20
    return {"malloc_in_use_mb": (m.uordblks + m.hblkhd) / mb, "malloc_free_kept_mb": m.fordblks / mb,
            "malloc_arena_mb": m.arena / mb, "python_blocks": sys.getallocatedblocks()}


def sqlite_memory_mb() -> dict[str, float]:
    """SQLite's own heap (page caches of every connection, statements), from the library Python's sqlite3
    module is linked to; empty when it cannot be reached."""
    import ctypes

    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        return {"sqlite_mb": lib.sqlite3_memory_used() / 2.0 ** 20}
    except (OSError, AttributeError):
        return {}


def trim_heap() -> dict[str, float]:
    """RSS before and after glibc's malloc_trim(0) (free heap pages handed back to the system)."""
    import ctypes

    def rss() -> float:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        return 0.0

    before = rss()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        return {}
    return {"rss_before_trim_mb": before, "rss_after_trim_mb": rss()}


def type_counts(top: int = 40) -> dict[str, int]:
    """Live objects the garbage collector tracks, by type name (objgraph's most_common_types)."""
    counts = Counter(type(o).__qualname__ for o in gc.get_objects())
    return dict(counts.most_common(top))


class Tracer:
    """tracemalloc snapshots at two points of a run, and the object counts there; ``diff`` says what grew."""

    def __init__(self, frames: int = 8) -> None:
        self.frames = frames
        self.first = None
        self.first_counts: dict[str, int] = {}

    def start(self) -> None:
        tracemalloc.start(self.frames)

    def mark(self) -> None:
        gc.collect()
        self.first = tracemalloc.take_snapshot()
        self.first_counts = dict(Counter(type(o).__qualname__ for o in gc.get_objects()))

    def diff(self, top: int = 30) -> dict:
        gc.collect()
        second = tracemalloc.take_snapshot()
        counts = Counter(type(o).__qualname__ for o in gc.get_objects())
        grew = sorted(((n, c - self.first_counts.get(n, 0)) for n, c in counts.items()), key=lambda x: -x[1])
        filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
        stats = second.filter_traces(filters).compare_to(self.first.filter_traces(filters), "traceback")
        out_stats = []
        for s in stats[:top]:
            out_stats.append({"size_diff_kb": round(s.size_diff / 1024, 1), "count_diff": s.count_diff,
                              "traceback": [f"{f.filename}:{f.lineno}" for f in s.traceback]})
        by_line = second.filter_traces(filters).compare_to(self.first.filter_traces(filters), "lineno")
        return {"top_tracebacks": out_stats,
                "top_lines": [{"size_diff_kb": round(s.size_diff / 1024, 1), "count_diff": s.count_diff,
                               "line": f"{s.traceback[0].filename}:{s.traceback[0].lineno}"} for s in by_line[:top]],
                "object_growth": [{"type": n, "growth": g} for n, g in grew[:top] if g > 0]}


def qt_object_count(root) -> int:
    """QObjects in ``root``'s tree, not descending into text documents.

    Every object handed to Python gets a wrapper its parent's wrapper keeps; a rich-text label rebuilds
    its frames and tables on each update, so wrapping them (``findChildren(QObject)`` does) leaves a
    wrapper per deleted frame behind: the sampling itself grew by thousands of objects an hour."""
    from PySide6 import QtGui

    n, stack = 0, [root]
    while stack:
        obj = stack.pop()
        n += 1
        if not isinstance(obj, QtGui.QTextDocument):
            stack.extend(obj.children())
    return n
