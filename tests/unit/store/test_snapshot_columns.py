"""Snapshot files keep their series twice: rows (the record) and typed columns (read fast while the file
is exactly as Cascade wrote it). Any later write, a damaged column or an older file: the rows are read."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import market.snapshot_file as snapshot_file_mod
from market.snapshot_file import SnapshotError, load_snapshot_file, save_snapshot
from market.sqlite_frames import file_change_counter, write_frames
from market.store_migrations import MIGRATIONS
from market.store_schema import SCHEMA_VERSION
from tests.unit.store.store_testdata import T0, M, assert_frames_equal, make_frames


def _no_rows(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("read the rows")

    monkeypatch.setattr(snapshot_file_mod, "read_frames", refuse)


def test_an_untouched_snapshot_is_read_from_its_columns(tmp_path, monkeypatch):
    path = save_snapshot(make_frames(minutes=30), tmp_path / "a.cascade", source_kind="demo")
    _no_rows(monkeypatch)
    _meta, frames = load_snapshot_file(path)
    assert_frames_equal(frames, make_frames(minutes=30))


def test_an_edited_file_is_read_from_its_rows(tmp_path):
    path = save_snapshot(make_frames(), tmp_path / "a.cascade", source_kind="demo")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE candles SET close = close + 1 WHERE ts = ? AND exchange = 'okx'", (T0 + M,))
    conn.commit()
    conn.close()
    _meta, frames = load_snapshot_file(path)
    c = frames.candles
    want = make_frames().candles
    okx = (c["ts"] == T0 + M) & (c["exchange"] == "okx")
    assert float(c.loc[okx, "close"].iloc[0]) == float(want.loc[okx, "close"].iloc[0]) + 1
    # ... and an edit that makes a value absurd is refused as for any file.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE candles SET close = -5 WHERE ts = ?", (T0 + M,))
    conn.commit()
    conn.close()
    with pytest.raises(SnapshotError, match="3 rows with zero, negative or missing prices"):
        load_snapshot_file(path)


def _damaged_column_forged_stamp(tmp_path):
    """A snapshot whose close column is zeroed, with the stamp forged so the file claims to be as written
    (only the CRC can tell)."""
    path = save_snapshot(make_frames(), tmp_path / "a.cascade", source_kind="demo")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE series_columns SET data = zeroblob(length(data)) WHERE series = 'candles' AND name = 'close'")
    conn.commit()
    stamp = file_change_counter(path) + 1
    conn.execute("UPDATE meta SET value = ? WHERE key = 'columns_stamp'", (json.dumps(stamp),))
    conn.commit()
    conn.close()
    return path, stamp


def test_a_damaged_column_with_a_valid_stamp_falls_back_to_the_rows(tmp_path):
    path, stamp = _damaged_column_forged_stamp(tmp_path)
    assert file_change_counter(path) == stamp
    _meta, frames = load_snapshot_file(path)
    assert_frames_equal(frames, make_frames())


def test_made_up_exchange_labels_in_the_columns_are_refused_plainly(tmp_path):
    path = save_snapshot(make_frames(), tmp_path / "a.cascade", source_kind="demo")
    conn = sqlite3.connect(path)
    labels = json.loads(conn.execute("SELECT labels FROM series_columns WHERE series = 'candles' AND name = 'exchange'").fetchone()[0])
    labels[0] = "made-up"
    conn.execute("UPDATE series_columns SET labels = ? WHERE series = 'candles' AND name = 'exchange'", (json.dumps(labels),))
    conn.commit()
    stamp = file_change_counter(path) + 1
    conn.execute("UPDATE meta SET value = ? WHERE key = 'columns_stamp'", (json.dumps(stamp),))
    conn.commit()
    conn.close()
    with pytest.raises(SnapshotError, match="table candles names 1 exchange Cascade does not know"):
        load_snapshot_file(path)


def _make_v3_file(path: Path, frames) -> None:
    """A snapshot as version 3 wrote it: rows only, no column table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in MIGRATIONS[:3]:
        step(conn)
    meta = {"schema_version": 3, "created_at_ms": T0, "source_kind": "demo", "symbol": frames.symbol,
            "timeframe_ms": frames.timeframe_ms}
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    write_frames(conn, frames)
    conn.execute("COMMIT")
    conn.close()


def test_a_version_3_snapshot_still_opens_and_is_left_untouched(tmp_path):
    path = tmp_path / "v3.cascade"
    _make_v3_file(path, make_frames(minutes=12))
    before = path.read_bytes()
    meta, frames = load_snapshot_file(path)
    assert meta["schema_version"] == SCHEMA_VERSION
    assert_frames_equal(frames, make_frames(minutes=12))
    assert path.read_bytes() == before


def _count_quick_checks(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = snapshot_file_mod._quick_check

    def counting(conn, name):
        seen.append(name)
        real(conn, name)

    monkeypatch.setattr(snapshot_file_mod, "_quick_check", counting)
    return seen


def test_an_untouched_snapshot_skips_the_whole_file_check(tmp_path, monkeypatch):
    # Every BLOB read carries its CRC and the change counter is the save's: walking every page of a
    # large file adds nothing the column path relies on.
    path = save_snapshot(make_frames(minutes=30), tmp_path / "a.cascade", source_kind="demo")
    seen = _count_quick_checks(monkeypatch)
    load_snapshot_file(path)
    assert seen == []


def test_reading_the_rows_checks_every_page_first(tmp_path, monkeypatch):
    path, _stamp = _damaged_column_forged_stamp(tmp_path)
    seen = _count_quick_checks(monkeypatch)
    load_snapshot_file(path)  # damaged column, forged stamp: the rows, checked
    assert seen == ["a.cascade"]
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = value WHERE key = 'app'")  # any write: the stamp no longer matches
    conn.commit()
    conn.close()
    seen.clear()
    load_snapshot_file(path)
    assert seen == ["a.cascade"]


def test_repeated_exchange_labels_in_the_columns_fall_back_to_the_rows(tmp_path):
    # Two codes naming one venue would hide duplicate rows from the ordered-key test of the value checks.
    frames = make_frames()
    path = save_snapshot(frames, tmp_path / "a.cascade", source_kind="demo")
    conn = sqlite3.connect(path)
    labels = json.loads(conn.execute("SELECT labels FROM series_columns WHERE series = 'candles' AND name = 'exchange'").fetchone()[0])
    assert len(labels) >= 2
    conn.execute("UPDATE series_columns SET labels = ? WHERE series = 'candles' AND name = 'exchange'",
                 (json.dumps([labels[0]] * len(labels)),))
    conn.commit()
    stamp = file_change_counter(path) + 1
    conn.execute("UPDATE meta SET value = ? WHERE key = 'columns_stamp'", (json.dumps(stamp),))
    conn.commit()
    conn.close()
    _meta, got = load_snapshot_file(path)
    assert_frames_equal(got, frames)
