"""Snapshot files: round trip, metadata, atomic saves, the snapshot source, and every kind of bad file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.store.store_testdata import T0, M, assert_frames_equal, make_frames
from tests.unit.store.test_store_cache import _make_v1_file

import market.snapshot_file as snapshot_file_mod
from market.series import MarketFrames
from market.snapshot_source import SnapshotSource, open_and_read
from market.source import FEED_OK, MarketSource
from market.snapshot_file import SnapshotError, save_snapshot
from market.snapshot_source import open_snapshot
from market.store_schema import SCHEMA_VERSION

SYMBOL = "BTC/USDT:USDT"


@pytest.fixture
def saved(tmp_path) -> Path:
    return save_snapshot(make_frames(), tmp_path / "crash.cascade", source_kind="demo", created_at_ms=T0 + 3_600_000)


# ----------------------------------------------------------------------------------------- good files

def test_save_then_open_gives_back_the_same_frames(saved):
    src = open_snapshot(saved)
    assert_frames_equal(src.history(SYMBOL), make_frames())
    assert_frames_equal(open_and_read(saved), make_frames())


def test_snapshot_metadata(saved, tmp_path):
    meta = open_snapshot(saved).meta
    assert meta["app"] == "cascade" and meta["schema_version"] == SCHEMA_VERSION
    assert meta["source_kind"] == "demo" and meta["created_at_ms"] == T0 + 3_600_000
    assert meta["symbol"] == SYMBOL and meta["timeframe_ms"] == M
    assert meta["exchanges"] == ["binance", "okx", "bybit"]
    assert meta["start_ms"] == T0 and meta["end_ms"] == T0 + 6 * M
    assert meta["model_settings"] is None and "positions" not in meta  # positions only when asked
    p = save_snapshot(
        make_frames(), tmp_path / "with.cascade", source_kind="live",
        model_settings={"leverage_mix": {"25": 0.4, "100": 0.6}}, positions=[{"side": "long", "qty": 0.5, "entry": 84_000.0}],
    )
    src = open_snapshot(p)
    assert src.model_settings == {"leverage_mix": {"25": 0.4, "100": 0.6}}
    assert src.positions == [{"side": "long", "qty": 0.5, "entry": 84_000.0}]


def test_no_credentials_can_reach_a_snapshot(tmp_path):
    with pytest.raises(ValueError, match="credentials"):
        save_snapshot(make_frames(), tmp_path / "s.cascade", source_kind="live", model_settings={"okx": {"passphrase": "hunter2"}})
    with pytest.raises(ValueError, match="credentials"):
        save_snapshot(make_frames(), tmp_path / "s.cascade", source_kind="live", positions=[{"api_secret": "x"}])
    assert not (tmp_path / "s.cascade").exists()
    assert list(tmp_path.iterdir()) == []


def test_snapshot_source_implements_the_source_interface(saved):
    src = open_snapshot(saved)
    assert isinstance(src, MarketSource) and isinstance(src, SnapshotSource)
    info = src.info()
    assert info.kind == "snapshot"
    assert info.label == "Snapshot of 2026-01-30 21:06 UTC — crash.cascade"
    assert info.created_at_ms == T0 + 3_600_000 and info.symbols == (SYMBOL,)
    assert info.exchanges == ("binance", "okx", "bybit") and info.has_real_liquidations
    assert src.now_ms() == T0 + 6 * M  # the close of the last candle
    part = src.history(SYMBOL, start_ms=T0 + M, end_ms=T0 + 3 * M, exchanges=["binance"])
    assert part.candles["ts"].tolist() == [T0 + M, T0 + 2 * M]
    assert len(part.liquidations) == 3 and set(part.liquidations["exchange"]) == {"binance"}
    assert src.poll(SYMBOL).is_empty()
    assert src.history("ETH/USDT:USDT").is_empty()
    (state,) = src.feed_states()
    assert state.feed == "snapshot" and state.status == FEED_OK and "crash.cascade" in state.detail
    src.close()
    src.close()


def test_saving_over_an_existing_file_replaces_it_whole(saved):
    save_snapshot(make_frames(minutes=2), saved, source_kind="demo")
    assert len(open_snapshot(saved).history(SYMBOL).candles) == 6
    assert [p.name for p in saved.parent.iterdir()] == ["crash.cascade"]  # no temp files, no -journal/-wal


# ----------------------------------------------------------------------------------------- atomic saves

@pytest.mark.parametrize("where", ["write_frames", "replace"])
def test_a_failed_save_leaves_the_old_file_intact(saved, monkeypatch, where):
    before = saved.read_bytes()

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    if where == "write_frames":
        monkeypatch.setattr(snapshot_file_mod, "write_frames", boom)
    else:
        monkeypatch.setattr(snapshot_file_mod.os, "replace", boom)
    with pytest.raises(SnapshotError, match="cannot save crash.cascade: No space left on device"):
        save_snapshot(make_frames(minutes=2), saved, source_kind="demo")
    assert saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == ["crash.cascade"]
    assert_frames_equal(open_snapshot(saved).history(SYMBOL), make_frames())


def test_save_refuses_absurd_frames(tmp_path):
    f = make_frames()
    c = f.candles.copy()
    c.loc[3, "low"] = -1.0
    with pytest.raises(SnapshotError, match="table candles has absurd values: 1 row with zero, negative or missing prices"):
        save_snapshot(MarketFrames.build(SYMBOL, M, candles=c), tmp_path / "x.cascade", source_kind="demo")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------- bad files

def _one_line_error(path: Path) -> str:
    with pytest.raises(SnapshotError) as err:
        open_snapshot(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(path.name + ":"), msg
    return msg


def _png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_text_png_empty_and_missing_files(tmp_path):
    txt = tmp_path / "notes.cascade"
    txt.write_text("open,high,low,close\n1,2,3,4\n")
    assert "not a Cascade file (not an SQLite database)" in _one_line_error(txt)
    png = tmp_path / "chart.png"
    png.write_bytes(_png_bytes())
    assert "not a Cascade file" in _one_line_error(png)
    empty = tmp_path / "empty.cascade"
    empty.write_bytes(b"")
    assert "empty" in _one_line_error(empty)
    assert "file not found" in _one_line_error(tmp_path / "nowhere.cascade")
    assert "folder" in _one_line_error(tmp_path)


def test_another_apps_database_and_an_empty_database(tmp_path):
    other = tmp_path / "firefox.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE moz_places (url TEXT)")
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('app', 'places')")
    conn.commit()
    conn.close()
    assert "not a Cascade file (an SQLite database of another application)" in _one_line_error(other)
    blank = tmp_path / "blank.sqlite"
    conn = sqlite3.connect(blank)
    conn.execute("PRAGMA user_version = 1")  # forces a page to be written
    conn.commit()
    conn.close()
    assert "not a Cascade file" in _one_line_error(blank)


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    assert "truncated file" in _one_line_error(saved)
    saved.write_bytes(data[:60])
    assert "truncated" in _one_line_error(saved)


def test_corrupted_pages(tmp_path):
    # Enough rows to spread the tables over many pages, then garbage over pages in the middle.
    path = save_snapshot(make_frames(minutes=600), tmp_path / "big.cascade", source_kind="demo")
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    rng = np.random.default_rng(1)
    for p in (2, 4, 6):
        data[p * page : (p + 1) * page] = rng.integers(0, 256, page, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    assert "corrupted file" in _one_line_error(path)


def _edit(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for s in sql:
        conn.execute(s)
    conn.commit()
    conn.close()


def test_newer_schema_version(saved):
    newer = SCHEMA_VERSION + 1
    _edit(saved, f"UPDATE meta SET value = '{newer}' WHERE key = 'schema_version'")
    msg = _one_line_error(saved)
    assert f"newer Cascade (file schema version {newer}, this version reads up to {SCHEMA_VERSION})" in msg


def test_missing_table_and_missing_key(saved, tmp_path):
    other = tmp_path / "nokey.cascade"
    shutil.copy(saved, other)
    _edit(saved, "DROP TABLE funding")
    assert "table funding is missing" in _one_line_error(saved)
    # A hand-made table without its key could hold duplicates and any order: refused.
    _edit(
        other,
        "CREATE TABLE ls2 AS SELECT * FROM long_short",
        "INSERT INTO ls2 SELECT * FROM long_short",
        "DROP TABLE long_short",
        "ALTER TABLE ls2 RENAME TO long_short",
    )
    assert "table long_short is not keyed by symbol, ts, exchange" in _one_line_error(other)


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("UPDATE candles SET close = -5 WHERE ts = {t1}", "table candles has absurd values: 3 rows with zero, negative or missing prices"),
        ("UPDATE candles SET open = 0 WHERE ts = {t1} AND exchange = 'okx'", "1 row with zero, negative or missing prices"),
        ("UPDATE candles SET close = NULL WHERE ts = {t1} AND exchange = 'okx'", "1 row with zero, negative or missing prices"),
        ("UPDATE candles SET high = low - 1 WHERE ts >= {t1}", "table candles has absurd values: 15 rows with high below low, open or close"),
        ("UPDATE candles SET ts = ts / 1000", "18 rows with timestamps outside 2009-2100"),
        ("UPDATE funding SET rate = 3.5", "table funding has absurd values: 2 rows with missing or absurd funding rates"),
        ("UPDATE open_interest SET oi_base = -1 WHERE exchange = 'okx'", "table open_interest has absurd values: 2 rows with negative or missing open interest"),
        ("UPDATE liquidations SET side = 'sideways' WHERE exchange = 'okx'", "table liquidations has absurd values: 1 row with sides other than long/short"),
        ("UPDATE long_short SET ratio = -0.5", "table long_short has absurd values: 2 rows with negative or missing ratios"),
    ],
)
def test_absurd_values_are_refused_with_table_and_row_count(saved, sql, expected):
    _edit(saved, sql.format(t1=T0 + M))
    assert expected in _one_line_error(saved)


def test_an_older_version_is_migrated_on_open_without_touching_the_file(tmp_path):
    path = tmp_path / "v1.cascade"
    _make_v1_file(path)
    before = path.read_bytes()
    src = open_snapshot(path)
    assert src.meta["schema_version"] == SCHEMA_VERSION
    frames = src.history(SYMBOL)
    assert frames.candles["close"].tolist() == [105.0, 102.0]
    assert frames.candles["quote_volume"].isna().all() and frames.long_short.empty
    assert src.info().label == "Snapshot of 2026-01-30 21:02 UTC — v1.cascade"
    assert path.read_bytes() == before


def test_snapshot_is_a_single_self_contained_file(saved, tmp_path):
    moved = tmp_path / "elsewhere" / "copy.cascade"
    moved.parent.mkdir()
    os.replace(saved, moved)
    assert_frames_equal(open_snapshot(moved).history(SYMBOL), make_frames())
    raw = sqlite3.connect(moved)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert json.loads(raw.execute("SELECT value FROM meta WHERE key='app'").fetchone()[0]) == "cascade"
    raw.close()


def test_the_live_cache_opens_as_a_snapshot_while_the_app_holds_it(tmp_path):
    from market.store import Store

    cache = Store(tmp_path / "cache.sqlite")
    cache.write(make_frames("ETH/USDT:USDT", minutes=2))
    cache.write(make_frames())
    src = open_snapshot(cache.path)  # no symbol in a cache's meta: the default symbol is chosen
    assert src.info().symbols == (SYMBOL,)
    assert_frames_equal(src.history(SYMBOL), make_frames())
    cache.write(make_frames(minutes=8))  # the writer is not blocked by the reader
    cache.close()
    assert len(open_snapshot(tmp_path / "cache.sqlite").history(SYMBOL).candles) == 24


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_saving_into_a_read_only_folder_is_a_plain_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(SnapshotError, match="cannot save x.cascade: Permission denied"):
            save_snapshot(make_frames(), ro / "x.cascade", source_kind="demo")
    finally:
        ro.chmod(0o700)


def test_saving_where_a_folder_cannot_be_made_is_a_plain_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SnapshotError, match="cannot save x.cascade"):
        save_snapshot(make_frames(), blocker / "sub" / "x.cascade", source_kind="demo")


_price = st.floats(1e-8, 1e7, allow_nan=False, allow_infinity=False)


@st.composite
def _candle_frames(draw):
    n = draw(st.integers(0, 12))
    rows = []
    for i in range(n):
        o, c = draw(_price), draw(_price)
        hi = max(o, c) * draw(st.floats(1.0, 1.5))
        lo = min(o, c) * draw(st.floats(0.5, 1.0))
        tb = draw(st.one_of(st.just(float("nan")), st.floats(0, 1e6)))
        rows.append(dict(ts=T0 + draw(st.integers(0, 50)) * M, exchange=draw(st.sampled_from(["binance", "okx", "bybit"])),
                         open=o, high=hi, low=lo, close=c, volume=draw(st.floats(0, 1e9)), taker_buy_volume=tb,
                         quote_volume=draw(st.one_of(st.just(float("nan")), st.floats(0, 1e12)))))
    df = pd.DataFrame(rows, columns=["ts", "exchange", "open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"])
    funding = pd.DataFrame([dict(ts=T0 + k * 8 * 3_600_000, exchange="okx", rate=draw(st.floats(-0.03, 0.03))) for k in range(draw(st.integers(0, 3)))])
    return MarketFrames.build(SYMBOL, M, candles=df, funding=funding)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frames=_candle_frames())
def test_any_sane_frames_survive_save_and_open_bit_for_bit(tmp_path_factory, frames):
    path = save_snapshot(frames, tmp_path_factory.mktemp("rt") / "rt.cascade", source_kind="demo")
    assert_frames_equal(open_snapshot(path).history(SYMBOL), frames)
