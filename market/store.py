"""The local SQLite store: the live cache.

``Store(path)`` is the cache the live source writes what it fetches into, so a restart does not download
again and history (liquidation events above all) accumulates beyond what exchanges serve. Snapshot files
share its schema and are written and read by ``market.snapshot_file``.

Threads: a ``Store`` hands each thread its own SQLite connection (the live worker writes while the GUI
worker reads). The file is in WAL mode, so readers never wait for the writer and see only committed
transactions. Writes from several threads of one process are serialized by a lock; other processes
wait up to ``BUSY_TIMEOUT_MS``. ``close()`` may be called from any thread, once the others stopped using
the store.

Durability: ``synchronous=FULL``. In WAL mode NORMAL already keeps the file consistent and survives an
application crash, but can lose the last commits on power loss; FULL syncs the WAL at every commit. The
cache holds liquidation events that no exchange serves again, writes are small batches every few
seconds, and the cost is one fsync per batch, so FULL it is.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from market.series import MINUTE_MS, SERIES_COLUMNS, MarketFrames
from market.sqlite_frames import (
    BUSY_TIMEOUT_MS,
    RESERVED_META,
    StoreError,
    app_version,
    check_layout,
    check_no_secrets,
    check_sqlite_file,
    connect,
    file_version,
    plain_sqlite_message,
    read_frames,
    read_meta,
    set_meta_rows,
    write_frames,
)
from market.store_migrations import migrate
from market.store_schema import SCHEMA_VERSION
from cascade_vocab.names import Series

STORE_FILE_NAME = "cascade-store.sqlite"
CACHE_KIB = 2000  # page cache per connection
SHRINK_EVERY_S = 60.0  # a connection gives its page cache back after a write at most this often


# ------------------------------------------------------------------------------------------ locations

def default_store_path() -> Path:
    """Where the live cache lives: ``$CASCADE_DATA_DIR`` if set, else the user's data dir (platformdirs).

    Under tests (``CASCADE_TEST`` set by tests/conftest.py) without ``CASCADE_DATA_DIR``, a per-process
    directory in the system temp dir is used instead, so no test ever touches the user's real data.
    """
    env = os.environ.get("CASCADE_DATA_DIR")
    if env:
        return Path(env).expanduser() / STORE_FILE_NAME
    if os.environ.get("CASCADE_TEST"):
        return Path(tempfile.gettempdir()) / f"cascade-test-data-{os.getpid()}" / STORE_FILE_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir("Cascade", appauthor=False)) / STORE_FILE_NAME


# ------------------------------------------------------------------------------------------ the store

class Store:
    """The local SQLite cache. See the module doc for threads and durability."""

    def __init__(self, path: str | os.PathLike[str], *, source_kind: str = "live") -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self.shrink_every_s = SHRINK_EVERY_S
        name = self.path.name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > 0:
            check_sqlite_file(self.path, StoreError)
        conn = self._conn()
        try:
            self._set_up(conn, name, source_kind)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{name}: cannot use the store ({plain_sqlite_message(exc)})") from None
        except BaseException:
            self.close()
            raise

    def _set_up(self, conn: sqlite3.Connection, name: str, source_kind: str) -> None:
        """Switch to WAL and create or migrate the schema, waiting out other processes doing the same.

        The busy timeout does not cover every step here: when several processes create the same new
        file at once, the switch to WAL (and the first write after it) can fail at once with "database is
        locked" instead of waiting. Those steps are retried, with a short random pause, up to the same
        ``BUSY_TIMEOUT_MS``; each attempt is one transaction, so a retry never sees half a schema.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                with self._write_lock:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        version = file_version(conn, name, StoreError)
                        if version < SCHEMA_VERSION:
                            migrate(conn, version)
                        if version == 0:
                            set_meta_rows(
                                conn,
                                {"created_at_ms": int(time.time() * 1000), "source_kind": source_kind, "app_version": app_version()},
                            )
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                        raise
                check_layout(conn, name, StoreError)
                return
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if not ("locked" in text or "busy" in text) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path.name}: the store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=False)
            conn.execute("PRAGMA synchronous = FULL")
            # SQLite's default page cache (2 MB a connection): a bigger one followed the file's size through
            # a long session. The OS caches the file anyway; a write touches a few pages per table.
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._local.conn = conn
            self._local.shrunk_at = time.monotonic()
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _give_back_cache(self, conn: sqlite3.Connection) -> None:
        """Free this thread's connection's page cache, at most every ``shrink_every_s``: a session left open
        keeps steady memory instead of a cache that fills over hours (its pages are re-read from the OS's)."""
        now = time.monotonic()
        if now - self._local.shrunk_at >= self.shrink_every_s and not conn.in_transaction:
            conn.execute("PRAGMA shrink_memory")
            self._local.shrunk_at = now

    # -- writing
    def write(self, frames: MarketFrames) -> dict[str, int]:
        """Upsert all series of ``frames`` in one transaction; later writes win. Returns rows per series."""
        conn = self._conn()
        with self._write_lock:
            if self._closed:
                raise StoreError(f"{self.path.name}: the store is closed")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    written = write_frames(conn, frames)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                self._give_back_cache(conn)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path.name}: write failed ({plain_sqlite_message(exc)})") from None
        return written

    def set_meta(self, values: Optional[Mapping[str, Any]] = None, **more: Any) -> None:
        """Set metadata (JSON values), e.g. ``set_meta(model_settings={...})``. ``app``/``schema_version`` are fixed."""
        items = {**(values or {}), **more}
        reserved = RESERVED_META & set(items)
        if reserved:
            raise ValueError(f"meta keys {sorted(reserved)} are managed by the store")
        for k, v in items.items():
            check_no_secrets(f"meta {k}", {k: v})
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                set_meta_rows(conn, items)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- reading
    def read(
        self,
        symbol: str,
        start_ms: Optional[int] = None,
        end_ms: Optional[int] = None,
        exchanges: Optional[Sequence[str]] = None,
        *,
        timeframe_ms: int = MINUTE_MS,
    ) -> MarketFrames:
        """All series of ``symbol`` with ``start_ms <= ts < end_ms`` (candles of ``timeframe_ms``)."""
        try:
            return read_frames(self._conn(), symbol, start_ms, end_ms, exchanges, timeframe_ms)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path.name}: read failed ({plain_sqlite_message(exc)})") from None

    def symbols(self) -> tuple[str, ...]:
        """Every symbol with rows in any series, sorted."""
        conn = self._conn()
        found: set[str] = set()
        for series in SERIES_COLUMNS:
            # Walk the key's leading column with min() seeks: O(symbols · log rows), no full scan.
            row = conn.execute(f"SELECT min(symbol) FROM {series}").fetchone()
            while row and row[0] is not None:
                found.add(row[0])
                row = conn.execute(f"SELECT min(symbol) FROM {series} WHERE symbol > ?", (row[0],)).fetchone()
        return tuple(sorted(found))

    def last_ts(self, symbol: str, exchange: str, series: str, *, timeframe_ms: int = MINUTE_MS) -> Optional[int]:
        """The newest ``ts`` stored for one feed (where a backfill resumes), or None if there is none."""
        return self._edge_ts("max", symbol, exchange, series, timeframe_ms)

    def first_ts(self, symbol: str, exchange: str, series: str, *, timeframe_ms: int = MINUTE_MS) -> Optional[int]:
        """The oldest ``ts`` stored for one feed (how deep its history goes here), or None if there is none."""
        return self._edge_ts("min", symbol, exchange, series, timeframe_ms)

    def _edge_ts(self, edge: str, symbol: str, exchange: str, series: str, timeframe_ms: int) -> Optional[int]:
        if series not in SERIES_COLUMNS:
            raise ValueError(f"unknown series {series!r}")
        where = "symbol = ? AND exchange = ?"
        params: list[Any] = [symbol, exchange]
        if series == Series.CANDLES:
            where += " AND timeframe_ms = ?"
            params.append(int(timeframe_ms))
        row = self._conn().execute(f"SELECT {edge}(ts) FROM {series} WHERE {where}", params).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def meta(self) -> dict[str, Any]:
        return read_meta(self._conn())

    def schema_version(self) -> int:
        return int(self.meta()["schema_version"])

    def close(self) -> None:
        """Close every thread's connection. Idempotent."""
        # Under the write lock: closing a connection while another thread is inside write() crashes sqlite.
        with self._write_lock:
            self._closed = True
            with self._conns_lock:
                conns, self._conns = self._conns, []
            for conn in conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "BUSY_TIMEOUT_MS",
    "SCHEMA_VERSION",
    "STORE_FILE_NAME",
    "Store",
    "StoreError",
    "default_store_path",
]

# Snapshot names that used to live here, for callers not yet moved to market.snapshot_file. Imported on
# first use, so the live cache does not load the snapshot format; neither snapshot module imports this one.
_SNAPSHOT_NAMES = frozenset({"SNAPSHOT_SUFFIX", "SnapshotError", "check_output_path", "load_snapshot_file", "save_snapshot"})


def __getattr__(name: str) -> Any:
    if name in _SNAPSHOT_NAMES:
        from market import snapshot_file

        return getattr(snapshot_file, name)
    if name == "open_snapshot":
        from market.snapshot_source import open_snapshot

        return open_snapshot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
