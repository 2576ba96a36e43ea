"""Fuzzing snapshot files: random byte mutations and truncations of a valid file.

Each mutant either opens (a flipped bit in a price is still a file) and then serves frames in the
normalized shape, or is refused with ``SnapshotError`` and a one-line message. Any other exception, or a
hang (see conftest's guard), is a bug.
"""

from __future__ import annotations

import functools
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.series import SERIES_COLUMNS
from market.snapshot_file import SnapshotError, save_snapshot
from market.snapshot_source import open_snapshot
from tests.unit.store.store_testdata import make_frames

HEADER = 100


@functools.lru_cache(maxsize=1)
def valid_bytes() -> bytes:
    """A 24-page snapshot with every series filled (built once; a plain function so hypothesis does not
    print its 90 kB in a failure report)."""
    d = Path(tempfile.mkdtemp(prefix="fuzz-snap-"))
    try:
        path = save_snapshot(make_frames(minutes=240), d / "valid.cascade", source_kind="demo",
                             model_settings={"leverage_mix": [10, 25, 50]}, created_at_ms=1_769_806_800_000)
        return path.read_bytes()
    finally:
        shutil.rmtree(d)


def _open_mutant(data: bytes, workdir: Path) -> str:
    """'opened' or 'refused'; raises on anything that is not SnapshotError."""
    path = workdir / "mutant.cascade"
    for side in workdir.iterdir():
        side.unlink()
    path.write_bytes(data)
    try:
        src = open_snapshot(path)
    except SnapshotError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, f"not a one-line message: {msg!r}"
        assert msg.startswith("mutant.cascade"), f"the message does not name the file: {msg!r}"
        return "refused"
    try:
        frames = src.history(src.info().symbols[0])
        for name, cols in SERIES_COLUMNS.items():
            assert list(frames.series(name).columns) == list(cols)
    finally:
        src.close()
    return "opened"


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    b = bytearray(data)
    for pos, value in edits:
        b[pos % len(b)] = value
    if cut is not None:
        b = b[: cut % (len(b) + 1)]
    return bytes(b)


edits = st.lists(st.tuples(st.integers(0, 2**31), st.integers(0, 255)), min_size=1, max_size=12)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=edits, cut=st.none() | st.integers(0, 2**31))
def test_mutated_snapshot_opens_or_is_refused_cleanly(fuzz_cases, edits, cut):
    with tempfile.TemporaryDirectory() as d:
        _open_mutant(_mutate(valid_bytes(), edits, cut), Path(d))
    fuzz_cases.add("snapshot")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, HEADER - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_database_header_opens_or_is_refused_cleanly(fuzz_cases, edits):
    # The 100-byte header (page size, page count, format numbers, WAL flags) is what SQLite trusts first.
    with tempfile.TemporaryDirectory() as d:
        _open_mutant(_mutate(valid_bytes(), edits, None), Path(d))
    fuzz_cases.add("snapshot")


def test_random_page_damage_and_truncations(fuzz_cases, tmp_path):
    """Mutation without hypothesis, for volume: runs of bytes overwritten inside one page, or the file cut
    anywhere. Every mutant must be refused or opened; both outcomes must actually occur."""
    data0 = valid_bytes()
    rng = random.Random(11)
    outcomes = {"opened": 0, "refused": 0}
    page = 4096
    pages = max(1, len(data0) // page)
    for i in range(1500):
        if i % 4 == 0:
            data = data0[: rng.randrange(len(data0))]
        else:
            b = bytearray(data0)
            start = rng.randrange(pages) * page + rng.randrange(page)
            for k in range(rng.choice((1, 2, 8, 64))):
                if start + k < len(b):
                    b[start + k] = rng.choice((0, 0xFF, rng.randrange(256)))
            data = bytes(b)
        outcomes[_open_mutant(data, tmp_path)] += 1
        fuzz_cases.add("snapshot")
    assert outcomes["opened"] and outcomes["refused"], outcomes
