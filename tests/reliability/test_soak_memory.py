"""The soak's 'data held' figure: every frame and array reachable from the roots, each counted once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reliability.soak_memory import data_held_bytes, malloc_stats, trim_heap


class _Slots:
    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = buf


class _Node:
    def __init__(self, child) -> None:
        self.child = child


def test_counts_frames_and_arrays_once_however_they_are_reached():
    arr = np.zeros(1000)  # 8,000 bytes
    df = pd.DataFrame({"a": np.arange(500, dtype=np.int64)})  # 4,000 bytes + a 132-byte RangeIndex
    view = arr[10:20]
    shared = {"x": arr, "y": [arr, view], "z": (df, df)}
    total = data_held_bytes([shared, _Slots(arr), df])
    assert total == arr.nbytes + int(df.memory_usage(deep=True, index=True).sum())


def test_reaches_arrays_eight_hops_down():
    """The model keeper holds its cohort buffers that deep (keeper, ensemble, models, venues, buffers)."""
    leaf = np.ones(2048, dtype=np.float32)
    root = leaf
    for i in range(4):  # node, container, node... eight hops
        root = _Node([root]) if i % 2 else _Node({"k": root})
    assert data_held_bytes([root]) == leaf.nbytes


def test_malloc_figures_are_read_from_glibc():
    before = malloc_stats()
    block = np.ones(4 * 2**20 // 8)  # 4 MB through malloc (numpy), not pymalloc
    after = malloc_stats()
    assert after["malloc_in_use_mb"] - before["malloc_in_use_mb"] > 3.5
    del block
    trimmed = trim_heap()
    assert trimmed["rss_after_trim_mb"] <= trimmed["rss_before_trim_mb"]


def test_the_soak_can_be_told_which_faults_to_inject():
    """Bisecting a growth by fault kind needs the chaos limited to those kinds, or switched off."""
    import random

    import pytest

    from tests.reliability.soak import Chaos, parse_args

    assert parse_args(["--faults", "none"]).faults == ()
    assert parse_args(["--faults", "ws_drop,429"]).faults == ("ws_drop", "429")
    assert parse_args([]).faults is None
    with pytest.raises(SystemExit):
        parse_args(["--faults", "ws_drop,nonsense"])

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def __getattr__(self, name):
            return lambda *a, **kw: self.calls.append(name)

    fake = Recorder()
    chaos = Chaos(fake, random.Random(3), 1.0, 2.0, True, ("ws_drop",))
    for _ in range(20):
        chaos.inject_one()
    assert set(fake.calls) == {"drop_ws"} and chaos.injected == {"ws_drop": 20}
    assert Chaos(fake, random.Random(3), 1.0, 2.0, True, ()).kinds == []


def test_the_census_counts_arrays_kept_anywhere_under_the_window_and_the_source():
    """A cache the named holders do not lead to (a feature's kept frames, a panel's grid) is still data."""
    from types import SimpleNamespace

    from tests.reliability.soak_memory import session_roots

    kept = pd.DataFrame({"qty": np.ones(1000)})
    grid = np.zeros((50, 40), dtype=np.float32)
    seen = np.arange(300, dtype=np.int64)
    window = SimpleNamespace(frames=None, services=SimpleNamespace(_kept={"positions": kept}),
                             terminal=SimpleNamespace(panels={"liqmap": SimpleNamespace(grid=grid)}, result=None))
    source = SimpleNamespace(_engine=SimpleNamespace(gaps=[], venue_cache=seen))
    expected = int(kept.memory_usage(deep=True, index=True).sum()) + grid.nbytes + seen.nbytes
    assert data_held_bytes(session_roots(window, source)) == expected
