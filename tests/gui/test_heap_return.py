"""Freed heap goes back to the system, at a bounded rate."""

from __future__ import annotations

import pytest

from gui.heap_return import HeapReturner


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS")


def test_freed_blocks_below_a_live_one_leave_rss():
    returner = HeapReturner(min_interval_s=0.0)
    if not returner.available:
        pytest.skip("malloc_trim is glibc's")
    blocks = [bytearray(4096) for _ in range(20_000)]  # 80 MB of small heap blocks
    pin = bytearray(4096)  # allocated last: the heap's top stays in use, so free() alone returns nothing
    before_free = _rss_mb()
    del blocks
    freed = _rss_mb()
    assert returner.maybe_return()
    after = _rss_mb()
    assert freed - after > 40, (before_free, freed, after)
    del pin


def test_at_most_once_per_interval():
    now = [100.0]
    returner = HeapReturner(min_interval_s=60.0, clock=lambda: now[0])
    if not returner.available:
        pytest.skip("malloc_trim is glibc's")
    assert returner.maybe_return()
    now[0] += 30
    assert not returner.maybe_return()
    now[0] += 31
    assert returner.maybe_return()
    assert returner.trims == 2
