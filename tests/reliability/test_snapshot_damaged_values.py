"""Two kinds of damage the snapshot fuzzer found, made deterministic.

SQLite columns are not strictly typed and ``quick_check`` does not look at values, so a damaged record
can hand back a BLOB where a price (REAL) should be, or text that is not UTF-8. Opening such a file must
be a clean SnapshotError ("corrupted file"), not a ValueError or UnicodeDecodeError from deep inside.
"""

from __future__ import annotations

import sqlite3

import pytest

from market.snapshot_file import SnapshotError, save_snapshot
from market.snapshot_source import open_snapshot
from tests.unit.store.store_testdata import make_frames


def _damaged(tmp_path, sql: str):
    path = save_snapshot(make_frames(), tmp_path / "damaged.cascade", source_kind="demo")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(sql)
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("sql", [
    "UPDATE candles SET close = x'40f4b00800000000' WHERE exchange = 'okx'",  # a REAL turned BLOB
    "UPDATE open_interest SET oi_base = 'twelve'",  # a REAL turned TEXT
], ids=["blob-price", "text-amount"])
def test_wrong_storage_class_is_a_clean_snapshot_error(tmp_path, sql):
    with pytest.raises(SnapshotError, match=r"damaged\.cascade: corrupted file"):
        open_snapshot(_damaged(tmp_path, sql))


@pytest.mark.parametrize("sql", [
    # a value that is not UTF-8: sqlite3 reports it as an OperationalError (already handled)
    "UPDATE candles SET exchange = CAST(x'62696eff6e6365' AS TEXT) WHERE exchange = 'binance'",
    # A damaged schema page can also make SQLite's own error message hold bytes that are not UTF-8, and
    # Python then raises UnicodeDecodeError instead of sqlite3.DatabaseError; the byte fuzzer
    # (test_fuzz_snapshot.py) finds such files within a few hundred mutants.
], ids=["value"])
def test_text_that_is_not_utf8_is_a_clean_snapshot_error(tmp_path, sql):
    with pytest.raises(SnapshotError, match=r"damaged\.cascade: (corrupted|not a Cascade) file"):
        open_snapshot(_damaged(tmp_path, sql))
