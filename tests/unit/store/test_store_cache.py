"""The local SQLite store: exact round trips, upserts, ranges, resume points, transactions, threads, migrations."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.store.store_testdata import T0, M, assert_frames_equal, make_frames

from market.series import MarketFrames
from market.store import SCHEMA_VERSION, Store, StoreError, default_store_path

ROOT = Path(__file__).resolve().parents[3]
SYMBOL = "BTC/USDT:USDT"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "cache.sqlite")
    yield s
    s.close()


def test_write_then_read_gives_back_exactly_the_frames(store):
    frames = make_frames()
    written = store.write(frames)
    assert written == {"candles": 18, "open_interest": 6, "funding": 2, "liquidations": 4, "long_short": 2,
                       "liquidation_minutes": 2}
    back = store.read(SYMBOL)
    assert_frames_equal(back, frames)
    # NaN ("the venue does not tell") survives as NaN, not 0
    assert back.candles.loc[back.candles["exchange"] == "okx", "taker_buy_volume"].isna().all()
    # liquidations sharing (ts, exchange) keep their arrival order
    same = back.liquidations[back.liquidations["ts"] == T0 + M]
    assert same["side"].tolist() == ["short", "long", "long"]
    assert same["price"].tolist() == [84_100.0, 84_000.0, 83_990.0]


def test_later_write_wins_and_nothing_is_duplicated(store):
    frames = make_frames()
    store.write(frames)
    fresh = frames.candles.iloc[[0]].copy()
    fresh["close"] = 99_999.0
    fresh["high"] = 100_000.0
    store.write(MarketFrames.build(SYMBOL, M, candles=fresh))
    store.write(frames.only(["okx"]))  # re-sending identical rows changes nothing
    back = store.read(SYMBOL)
    assert len(back.candles) == len(frames.candles)
    row = back.candles[(back.candles["ts"] == T0) & (back.candles["exchange"] == "binance")]
    assert row["close"].tolist() == [99_999.0] and row["high"].tolist() == [100_000.0]
    assert len(back.liquidations) == 4


def test_read_is_half_open_and_filters_exchanges(store):
    store.write(make_frames())
    part = store.read(SYMBOL, start_ms=T0 + 2 * M, end_ms=T0 + 4 * M, exchanges=["okx", "bybit"])
    assert sorted(set(part.candles["ts"])) == [T0 + 2 * M, T0 + 3 * M]
    assert set(part.candles["exchange"]) == {"okx", "bybit"}
    assert part.candles["exchange"].tolist() == ["bybit", "okx"] * 2  # (ts, exchange) order
    assert part.liquidations["price"].tolist() == [83_900.0]
    assert store.read(SYMBOL, exchanges=[]).is_empty()


def test_symbols_last_ts_and_timeframes_are_kept_apart(store):
    store.write(make_frames())
    store.write(make_frames("ETH/USDT:USDT", minutes=3))
    hourly = make_frames(minutes=2)
    store.write(MarketFrames.build(SYMBOL, 60 * M, candles=hourly.candles.assign(ts=T0 + (hourly.candles["ts"] - T0) * 60)))
    assert store.symbols() == ("BTC/USDT:USDT", "ETH/USDT:USDT")
    assert store.last_ts(SYMBOL, "okx", "candles") == T0 + 5 * M
    assert store.last_ts("ETH/USDT:USDT", "okx", "candles") == T0 + 2 * M
    assert store.last_ts(SYMBOL, "okx", "candles", timeframe_ms=60 * M) == T0 + 60 * M
    assert store.last_ts(SYMBOL, "bybit", "funding") is None
    assert store.last_ts(SYMBOL, "binance", "long_short") == T0 + 5 * M
    assert len(store.read(SYMBOL).candles) == 18  # the 1h candles do not leak into 1m reads
    assert len(store.read(SYMBOL, timeframe_ms=60 * M).candles) == 6
    with pytest.raises(ValueError):
        store.last_ts(SYMBOL, "okx", "trades")


def test_a_failed_write_leaves_nothing_behind(store):
    frames = make_frames()
    bad_liq = frames.liquidations.copy()
    bad_liq.loc[0, "price"] = np.nan  # part of the key: NOT NULL, so SQLite refuses the row
    bad = MarketFrames(SYMBOL, M, frames.candles, frames.open_interest, frames.funding, bad_liq, frames.long_short)
    with pytest.raises(StoreError, match="write failed"):
        store.write(bad)
    assert store.read(SYMBOL).is_empty()  # the candles written before the failing row were rolled back


def test_committed_rows_survive_a_killed_process(tmp_path):
    path = tmp_path / "crash.sqlite"
    code = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.unit.store.store_testdata import make_frames\n"
        "from market.store import Store\n"
        f"s = Store({str(path)!r})\n"
        "s.write(make_frames())\n"
        "os._exit(9)  # no close, no checkpoint: as if the app crashed\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 9, out.stderr
    with Store(path) as s:
        assert_frames_equal(s.read(SYMBOL), make_frames())


def test_wal_mode_and_a_reader_thread_beside_the_writer(store, tmp_path):
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    batches = [make_frames(minutes=2, t0=T0 + i * 2 * M) for i in range(20)]
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader():
        try:
            while not done.is_set():
                seen.append(len(store.read(SYMBOL).candles))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    for b in batches:
        store.write(b)
    done.set()
    t.join(timeout=30)
    assert not errors
    # a reader only ever sees whole transactions: multiples of one batch's 6 candles
    assert seen and all(n % 6 == 0 for n in seen)
    assert len(store.read(SYMBOL).candles) == 120


def test_meta_is_versioned_and_editable(store):
    meta = store.meta()
    assert meta["app"] == "cascade" and meta["schema_version"] == SCHEMA_VERSION
    assert meta["source_kind"] == "live" and isinstance(meta["created_at_ms"], int)
    store.set_meta(model_settings={"leverage_mix": [10, 25, 50, 100]}, symbol=SYMBOL)
    assert store.meta()["model_settings"] == {"leverage_mix": [10, 25, 50, 100]}
    with pytest.raises(ValueError):
        store.set_meta(schema_version=99)
    with pytest.raises(ValueError, match="credentials"):
        store.set_meta(model_settings={"binance": {"api_key": "abc"}})
    assert store.meta()["schema_version"] == SCHEMA_VERSION


def _make_v1_file(path: Path) -> None:
    """A schema-version-1 file written by hand, the way version 1 laid it out (no taker/quote volume,
    no long/short table) -- independent of the migration code under test."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE candles (symbol TEXT NOT NULL, timeframe_ms INTEGER NOT NULL, ts INTEGER NOT NULL,
            exchange TEXT NOT NULL, open REAL, high REAL, low REAL, close REAL, volume REAL,
            PRIMARY KEY (symbol, timeframe_ms, ts, exchange)) WITHOUT ROWID;
        CREATE TABLE open_interest (symbol TEXT NOT NULL, ts INTEGER NOT NULL, exchange TEXT NOT NULL,
            oi_base REAL, oi_usd REAL, PRIMARY KEY (symbol, ts, exchange)) WITHOUT ROWID;
        CREATE TABLE funding (symbol TEXT NOT NULL, ts INTEGER NOT NULL, exchange TEXT NOT NULL, rate REAL,
            PRIMARY KEY (symbol, ts, exchange)) WITHOUT ROWID;
        CREATE TABLE liquidations (symbol TEXT NOT NULL, ts INTEGER NOT NULL, exchange TEXT NOT NULL,
            side TEXT NOT NULL, price REAL NOT NULL, qty_base REAL NOT NULL, notional_usd REAL,
            UNIQUE (symbol, ts, exchange, side, price, qty_base));
        """
    )
    meta = {"app": "cascade", "schema_version": 1, "created_at_ms": T0, "source_kind": "demo",
            "symbol": SYMBOL, "timeframe_ms": M}
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    conn.executemany(
        "INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(SYMBOL, M, T0, "binance", 100.0, 110.0, 90.0, 105.0, 2.0), (SYMBOL, M, T0 + M, "binance", 105.0, 106.0, 101.0, 102.0, 3.0)],
    )
    conn.execute("INSERT INTO liquidations VALUES (?, ?, ?, ?, ?, ?, ?)", (SYMBOL, T0, "binance", "long", 95.0, 1.0, 95.0))
    conn.commit()
    conn.close()


def test_store_migrates_a_version_1_file_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    _make_v1_file(path)
    with Store(path) as s:
        assert s.schema_version() == SCHEMA_VERSION
        back = s.read(SYMBOL)
        assert back.candles["close"].tolist() == [105.0, 102.0]
        assert back.candles["taker_buy_volume"].isna().all() and back.candles["quote_volume"].isna().all()
        assert back.liquidations["price"].tolist() == [95.0]
        s.write(make_frames())  # the new table is usable
        assert len(s.read(SYMBOL).long_short) == 2
    with Store(path) as s:  # reopening a migrated file is a no-op
        assert s.schema_version() == SCHEMA_VERSION


def test_store_refuses_newer_versions_and_other_apps(tmp_path):
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"newer Cascade \(file schema version 7"):
        Store(newer)
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a Cascade file"):
        Store(other)
    assert sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall() == [("contacts",)]  # untouched
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 50)
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store(text)


def test_default_store_path_honours_env_and_never_the_user_dir_under_tests(monkeypatch, tmp_path):
    monkeypatch.setenv("CASCADE_DATA_DIR", str(tmp_path / "data"))
    assert default_store_path().parent == tmp_path / "data"
    with Store(default_store_path()) as s:  # the directory is created on first use
        s.write(make_frames(minutes=1))
    assert (tmp_path / "data").is_dir()
    monkeypatch.delenv("CASCADE_DATA_DIR")
    monkeypatch.setenv("CASCADE_TEST", "1")
    p = default_store_path()
    assert not str(p).startswith(str(Path.home())) or str(p).startswith("/tmp")
    import platformdirs

    assert not str(p).startswith(platformdirs.user_data_dir("Cascade", appauthor=False))


def test_closed_store_says_so(tmp_path):
    s = Store(tmp_path / "c.sqlite")
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.read(SYMBOL)


def test_v1_liquidations_keep_their_arrival_order_through_the_migration(tmp_path):
    path = tmp_path / "old.sqlite"
    _make_v1_file(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO liquidations VALUES (?, ?, ?, ?, ?, ?, ?)", (SYMBOL, T0, "binance", "long", 94.0, 2.0, 188.0))
    conn.execute("INSERT INTO liquidations VALUES (?, ?, ?, ?, ?, ?, ?)", (SYMBOL, T0, "binance", "long", 93.0, 1.0, 93.0))
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.read(SYMBOL).liquidations["price"].tolist() == [95.0, 94.0, 93.0]  # rowid order, not price order
        later = make_frames().liquidations.iloc[:0]
        extra = pd.DataFrame([dict(ts=T0, exchange="binance", side="long", price=96.0, qty_base=1.0, notional_usd=96.0)])
        s.write(MarketFrames.build(SYMBOL, M, liquidations=pd.concat([later, extra])))
        assert s.read(SYMBOL).liquidations["price"].tolist() == [95.0, 94.0, 93.0, 96.0]


_liq_rows = st.lists(
    st.tuples(
        st.integers(0, 3),  # minute
        st.sampled_from(["binance", "okx", "bybit"]),
        st.sampled_from(["long", "short"]),
        st.sampled_from([84_000.0, 84_000.5, 83_999.25]),
        st.sampled_from([0.5, 1.0]),
        st.floats(1, 1e6),
    ),
    max_size=25,
)


def _liq_frames(rows) -> MarketFrames:
    df = pd.DataFrame(
        [dict(ts=T0 + m * M, exchange=e, side=s, price=p, qty_base=q, notional_usd=n) for m, e, s, p, q, n in rows],
        columns=["ts", "exchange", "side", "price", "qty_base", "notional_usd"],
    )
    return MarketFrames.build(SYMBOL, M, liquidations=df)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_liq_rows, second=_liq_rows)
def test_writes_in_batches_equal_merging_the_batches(tmp_path_factory, first, second):
    """Oracle: the store after two writes == MarketFrames.merge of the two (later wins, at the later position)."""
    path = tmp_path_factory.mktemp("prop") / "p.sqlite"
    a, b = _liq_frames(first), _liq_frames(second)
    with Store(path) as s:
        s.write(a)
        s.write(b)
        got = s.read(SYMBOL)
    pd.testing.assert_frame_equal(got.liquidations, a.merge(b).liquidations, check_exact=True)


def test_an_empty_version_0_database_becomes_a_store(tmp_path):
    path = tmp_path / "blank.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 3")  # a real, non-empty SQLite file with no tables at all
    conn.commit()
    conn.close()
    assert path.stat().st_size > 0
    with Store(path) as s:
        assert s.schema_version() == SCHEMA_VERSION and s.meta()["app"] == "cascade"
        s.write(make_frames())
        assert_frames_equal(s.read(SYMBOL), make_frames())


_CACHE_PROBE = r"""
import ctypes, json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.unit.store.store_testdata import T0, M, make_frames
from market.store import Store
lib = ctypes.CDLL("libsqlite3.so.0")
lib.sqlite3_memory_used.restype = ctypes.c_int64
store = Store(Path(tempfile.mkdtemp()) / "cache.sqlite")
store.shrink_every_s = float(sys.argv[2])
used = []
for day in range(80):  # a long session's writes: the file grows past any page cache
    store.write(make_frames(minutes=720, t0=T0 + day * 720 * M))
    used.append(lib.sqlite3_memory_used() / 2**20)
store.read("BTC/USDT:USDT")  # and a whole-history read, as on resume
used.append(lib.sqlite3_memory_used() / 2**20)
print(json.dumps({"file_mb": store.path.stat().st_size / 2**20, "used_mb": used}))
store.close()
"""


def _sqlite_memory(shrink_every_s: float) -> dict:
    out = subprocess.run([sys.executable, "-c", _CACHE_PROBE, str(ROOT), str(shrink_every_s)],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads libsqlite3.so.0's own counter")
def test_sqlite_memory_stays_bounded_as_the_store_grows():
    """A session left open for days keeps writing: SQLite's memory must not follow the file's size.
    Each connection's page cache is capped, and given back after a write once a minute."""
    kept = _sqlite_memory(shrink_every_s=1e9)  # never given back: the cap alone
    given_back = _sqlite_memory(shrink_every_s=0.0)  # given back after every write
    assert kept["file_mb"] > 8  # the file outgrew the cap
    assert max(kept["used_mb"]) < 3.5  # 2 MB of pages, plus statements and schema
    assert max(given_back["used_mb"][:-1]) < 1.0
    assert given_back["used_mb"][-2] < kept["used_mb"][-2] - 0.5
