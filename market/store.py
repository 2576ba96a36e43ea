"""The local SQLite store (the live cache) and snapshot files: one schema, one read path, one write path.

``Store(path)`` is the cache the live source writes what it fetches into, so a restart does not download
again and history (liquidation events above all) accumulates beyond what exchanges serve.
``save_snapshot`` writes the same schema into one self-contained file, atomically; ``open_snapshot``
(``market.snapshot_source``) opens one, checks it, and serves it as a ``MarketSource``.

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

import json
import os
import sqlite3
import tempfile
import threading
import time
from itertools import repeat
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from market.series import DEFAULT_SYMBOL, MINUTE_MS, SERIES_COLUMNS, MarketFrames, empty_frame
from market.store_migrations import migrate
from market.store_schema import (
    APP_ID,
    READ_ORDER,
    SCHEMA_VERSION,
    SEQ_META_KEY,
    TABLE_KEYS,
    describe_absurd,
    table_columns,
)

BUSY_TIMEOUT_MS = 10_000
SNAPSHOT_SUFFIX = ".cascade"
STORE_FILE_NAME = "cascade-store.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Meta keys written by Cascade itself; set_meta may not overwrite them.
_RESERVED_META = frozenset({"app", "schema_version", SEQ_META_KEY})
# Keys that would hold credentials. Nothing in Cascade puts them in settings or positions; this guards
# against a future caller passing a whole config dict by mistake.
_SECRET_WORDS = ("secret", "api_key", "apikey", "password", "passphrase", "token", "private")


class StoreError(Exception):
    """A store or snapshot file that cannot be used. The message is one plain line, shown as is."""


class SnapshotError(StoreError):
    """A snapshot file that cannot be opened or written: not Cascade's, truncated, corrupted, too new, absurd."""


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


def app_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("cascade-liquidations")
    except metadata.PackageNotFoundError:
        return "0+unknown"


# ------------------------------------------------------------------------------------------ file checks

def check_sqlite_file(path: Path, error: type[StoreError] = StoreError) -> None:
    """Fail with a plain message unless ``path`` looks like a whole SQLite file (cheap: reads 100 bytes)."""
    name = path.name
    if not path.exists():
        raise error(f"{name}: file not found")
    if path.is_dir():
        raise error(f"{name}: is a folder, not a Cascade file")
    size = path.stat().st_size
    if size == 0:
        raise error(f"{name}: the file is empty")
    with open(path, "rb") as fh:
        header = fh.read(100)
    if not header.startswith(_SQLITE_MAGIC):
        raise error(f"{name}: not a Cascade file (not an SQLite database)")
    if len(header) < 100:
        raise error(f"{name}: truncated file ({size} bytes, not even a database header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    # The header's page count is valid only while "version-valid-for" equals the change counter. With a
    # -wal file beside it, a checkpoint cut short by a crash can leave the file shorter than its header
    # says, and SQLite recovers it from the WAL: not truncation.
    has_wal = path.with_name(path.name + "-wal").exists()
    if header[24:28] == header[92:96] and page_count and page_size and not has_wal:
        expected = page_count * page_size
        if size < expected:
            raise error(f"{name}: truncated file ({size:,} of {expected:,} bytes)")


def _plain_sqlite_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in conn.execute("SELECT key, value FROM meta"):
        try:
            out[str(key)] = json.loads(value)
        except (TypeError, ValueError):
            out[str(key)] = value  # not ours, or hand-edited: kept raw, judged by the caller
    return out


def _file_version(conn: sqlite3.Connection, name: str, error: type[StoreError]) -> int:
    """0 for an empty database, else the Cascade schema version; raise if it is someone else's database."""
    tables = _tables(conn)
    if not tables:
        return 0
    if "meta" not in tables:
        raise error(f"{name}: not a Cascade file (an SQLite database of another application)")
    try:
        meta = _read_meta(conn)
    except sqlite3.DatabaseError:
        raise error(f"{name}: not a Cascade file (an SQLite database of another application)") from None
    if meta.get("app") != APP_ID:
        raise error(f"{name}: not a Cascade file (an SQLite database of another application)")
    version = meta.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise error(f"{name}: damaged Cascade file (no valid schema version)")
    if version > SCHEMA_VERSION:
        raise error(
            f"{name}: written by a newer Cascade (file schema version {version}, this version reads up to "
            f"{SCHEMA_VERSION}); please update Cascade"
        )
    return version


def _check_layout(conn: sqlite3.Connection, name: str, error: type[StoreError]) -> None:
    """Every current table is there, with its columns and its key (so rows cannot be duplicated)."""
    tables = _tables(conn)
    for series in SERIES_COLUMNS:
        if series not in tables:
            raise error(f"{name}: damaged Cascade file (table {series} is missing)")
        info = conn.execute(f"PRAGMA table_info({series})").fetchall()
        cols = {r[1] for r in info}
        missing = [c for c in table_columns(series) if c not in cols]
        if missing:
            raise error(f"{name}: damaged Cascade file (table {series} lacks columns {', '.join(missing)})")
        key = TABLE_KEYS[series]
        pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        keyed = pk == key
        if not keyed:
            raise error(f"{name}: damaged Cascade file (table {series} is not keyed by {', '.join(key)})")


# ------------------------------------------------------------------------------------------ read / write

def write_frames(conn: sqlite3.Connection, frames: MarketFrames) -> dict[str, int]:
    """Upsert every series of ``frames`` (later write wins) in the caller's transaction; rows per series."""
    written: dict[str, int] = {}
    for series in SERIES_COLUMNS:
        df = frames.series(series)
        written[series] = len(df)
        if not len(df):
            continue
        cols = table_columns(series)
        lead = [repeat(frames.symbol)]
        if series == "candles":
            lead.append(repeat(int(frames.timeframe_ms)))
        # tolist() turns numpy scalars into Python ints/floats; NaN binds as NULL ("unknown").
        data = [df[c].to_numpy().tolist() for c in SERIES_COLUMNS[series]]
        if series == "liquidations":
            # Arrival order within equal (ts, exchange): a per-file counter, advanced in this transaction.
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (SEQ_META_KEY,)).fetchone()
            base = int(json.loads(row[0])) if row else 0
            data.append(range(base, base + len(df)))
            _set_meta_rows(conn, {SEQ_META_KEY: base + len(df)})
        rows = zip(*lead, *data)
        sql = f"INSERT OR REPLACE INTO {series} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, rows)
    return written


def _frame_from_cursor(series: str, cursor: Iterable[tuple]) -> pd.DataFrame:
    columns = SERIES_COLUMNS[series]
    # One pass over the cursor straight into a typed record array: no list of row tuples, no object
    # matrix. Each field is converted like ``ndarray.astype`` would (None -> NaN in a float column: the
    # store's "unknown"; a damaged value raises ValueError/TypeError), ~30% faster than fetchall().
    record = np.dtype([(name, dtype) for name, dtype in columns.items()])
    arr = np.fromiter(cursor, dtype=record)
    if not len(arr):
        return empty_frame(series)
    out: dict[str, Any] = {}
    for name, dtype in columns.items():
        if dtype == "object":
            out[name] = pd.Series(arr[name], dtype=object, copy=False)
        else:
            out[name] = np.ascontiguousarray(arr[name])
    return pd.DataFrame(out, copy=False)


def read_frames(
    conn: sqlite3.Connection,
    symbol: str,
    start_ms: Optional[int] = None,
    end_ms: Optional[int] = None,
    exchanges: Optional[Sequence[str]] = None,
    timeframe_ms: int = MINUTE_MS,
) -> MarketFrames:
    """Rows of ``symbol`` with ``start_ms <= ts < end_ms``, already in ``normalize``'s order and dtypes."""
    lo = _INT64_MIN if start_ms is None else int(start_ms)
    hi = _INT64_MAX if end_ms is None else int(end_ms)
    frames: dict[str, pd.DataFrame] = {}
    for series, columns in SERIES_COLUMNS.items():
        where = ["symbol = ?"]
        params: list[Any] = [symbol]
        if series == "candles":
            where.append("timeframe_ms = ?")
            params.append(int(timeframe_ms))
        where.append("ts >= ? AND ts < ?")
        params += [lo, hi]
        if exchanges is not None:
            ex = list(exchanges)
            if not ex:
                frames[series] = empty_frame(series)
                continue
            where.append(f"exchange IN ({', '.join('?' * len(ex))})")
            params += ex
        sql = f"SELECT {', '.join(columns)} FROM {series} WHERE {' AND '.join(where)} ORDER BY {READ_ORDER[series]}"
        frames[series] = _frame_from_cursor(series, conn.execute(sql, params))
    return MarketFrames(symbol, int(timeframe_ms), **frames)


def _check_no_secrets(what: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if any(word in str(k).lower().replace("-", "_") for word in _SECRET_WORDS):
                raise ValueError(f"{what} must not hold credentials (key {k!r})")
            _check_no_secrets(what, v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_no_secrets(what, v)


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def _set_meta_rows(conn: sqlite3.Connection, values: Mapping[str, Any]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(str(k), _json(v)) for k, v in values.items()]
    )


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


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
        name = self.path.name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > 0:
            check_sqlite_file(self.path, StoreError)
        conn = self._conn()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    version = _file_version(conn, name, StoreError)
                    if version < SCHEMA_VERSION:
                        migrate(conn, version)
                    if version == 0:
                        _set_meta_rows(
                            conn,
                            {"created_at_ms": int(time.time() * 1000), "source_kind": source_kind, "app_version": app_version()},
                        )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            _check_layout(conn, name, StoreError)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{name}: cannot use the store ({_plain_sqlite_message(exc)})") from None
        except BaseException:
            self.close()
            raise

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path.name}: the store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path, readonly=False)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA cache_size = -32000")  # 32 MB page cache per connection
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

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
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path.name}: write failed ({_plain_sqlite_message(exc)})") from None
        return written

    def set_meta(self, values: Optional[Mapping[str, Any]] = None, **more: Any) -> None:
        """Set metadata (JSON values), e.g. ``set_meta(model_settings={...})``. ``app``/``schema_version`` are fixed."""
        items = {**(values or {}), **more}
        reserved = _RESERVED_META & set(items)
        if reserved:
            raise ValueError(f"meta keys {sorted(reserved)} are managed by the store")
        for k, v in items.items():
            _check_no_secrets(f"meta {k}", {k: v})
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                _set_meta_rows(conn, items)
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
            raise StoreError(f"{self.path.name}: read failed ({_plain_sqlite_message(exc)})") from None

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
        if series not in SERIES_COLUMNS:
            raise ValueError(f"unknown series {series!r}")
        where, params = "symbol = ? AND exchange = ?", [symbol, exchange]
        if series == "candles":
            where += " AND timeframe_ms = ?"
            params.append(int(timeframe_ms))
        row = self._conn().execute(f"SELECT max(ts) FROM {series} WHERE {where}", params).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def meta(self) -> dict[str, Any]:
        return _read_meta(self._conn())

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


# ------------------------------------------------------------------------------------------ snapshots

def snapshot_meta(
    frames: MarketFrames,
    *,
    source_kind: str,
    model_settings: Optional[Mapping[str, Any]],
    positions: Optional[Iterable[Mapping[str, Any]]],
    created_at_ms: int,
) -> dict[str, Any]:
    rng = frames.time_range()
    meta: dict[str, Any] = {
        "created_at_ms": int(created_at_ms),
        "source_kind": str(source_kind),
        "symbol": frames.symbol,
        "timeframe_ms": int(frames.timeframe_ms),
        "exchanges": list(frames.exchanges()),
        "start_ms": None if rng is None else rng[0],
        "end_ms": None if rng is None else rng[1],
        "app_version": app_version(),
        "model_settings": dict(model_settings) if model_settings is not None else None,
    }
    if positions is not None:  # only when the user ticked "include my positions"
        meta["positions"] = [dict(p) for p in positions]
    _check_no_secrets("model settings", meta["model_settings"])
    _check_no_secrets("positions", meta.get("positions"))
    return meta


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows); the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_snapshot(
    frames: MarketFrames,
    path: str | os.PathLike[str],
    *,
    source_kind: str,
    model_settings: Optional[Mapping[str, Any]] = None,
    positions: Optional[Iterable[Mapping[str, Any]]] = None,
    created_at_ms: Optional[int] = None,
) -> Path:
    """Write ``frames`` as one self-contained snapshot file, atomically; return its path.

    The file is built under a temporary name in the same directory, fsynced, then renamed over ``path``:
    a failure at any point leaves an existing file at ``path`` untouched and removes the temporary one.
    Frames with absurd values are refused (SnapshotError), since the file could not be opened again.
    No credentials: there is no field for them, and settings/positions holding key-like names are refused.
    """
    path = Path(path)
    problem = describe_absurd({n: frames.series(n) for n in SERIES_COLUMNS})
    if problem:
        raise SnapshotError(f"cannot save {path.name}: {problem}")
    meta = snapshot_meta(
        frames,
        source_kind=source_kind,
        model_settings=model_settings,
        positions=positions,
        created_at_ms=int(time.time() * 1000) if created_at_ms is None else created_at_ms,
    )
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SnapshotError(f"cannot save {path.name}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = _connect(tmp, readonly=False)
        try:
            # No journal while building: the temp file is thrown away on any failure anyway, and the
            # final fsync + rename is what makes the result durable. Leaves a rollback-journal file,
            # so it opens read-only without -wal/-shm side files.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("BEGIN")
            migrate(conn, 0)
            _set_meta_rows(conn, meta)
            write_frames(conn, frames)
            conn.execute("COMMIT")
        finally:
            conn.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); a snapshot is a document: keep an existing file's mode,
        # else the usual rw-r--r--.
        os.chmod(tmp, (path.stat().st_mode & 0o777) if path.exists() else 0o644)
        os.replace(tmp, path)
        _fsync_dir(directory)
    except BaseException as exc:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        if isinstance(exc, sqlite3.Error):
            raise SnapshotError(f"cannot save {path.name}: {_plain_sqlite_message(exc)}") from None
        if isinstance(exc, OSError):
            raise SnapshotError(f"cannot save {path.name}: {exc.strerror or exc}") from None
        raise
    return path


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Refuse to save a snapshot over something that is not a Cascade file (a folder, a CSV, another app's database).

    A save replaces the target whole, so pointing ``--out`` at the wrong file must not destroy it.
    """
    path = Path(path)
    if path.is_dir():
        raise SnapshotError(f"{path.name}: is a folder; give a file name to save to")
    if not path.exists() or path.stat().st_size == 0:
        return
    refuse = SnapshotError(f"{path.name}: exists and is not a Cascade file; refusing to overwrite it")
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != _SQLITE_MAGIC:
                raise refuse
        conn = _connect(path, readonly=True)
        try:
            meta = _read_meta(conn)
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        raise refuse from None
    if meta.get("app") != APP_ID:
        raise refuse


def open_snapshot(path: str | os.PathLike[str]):  # -> market.snapshot_source.SnapshotSource
    """Open and check a snapshot file; see ``market.snapshot_source.open_snapshot``."""
    from market.snapshot_source import open_snapshot as _open

    return _open(path)


def _snapshot_symbol_and_timeframe(conn: sqlite3.Connection, meta: Mapping[str, Any], name: str) -> tuple[str, int]:
    """What to show: the snapshot's recorded symbol and timeframe. A live cache opened as a snapshot
    records neither and may hold several: then the default symbol if present (else the first), 1m if
    present (else the shortest timeframe)."""
    symbol, timeframe_ms = meta.get("symbol"), meta.get("timeframe_ms")
    if not isinstance(symbol, str) or not symbol:
        found = sorted({r[0] for s in SERIES_COLUMNS for r in conn.execute(f"SELECT DISTINCT symbol FROM {s}")})
        if not found:
            raise SnapshotError(f"{name}: the file holds no market data")
        symbol = DEFAULT_SYMBOL if DEFAULT_SYMBOL in found else found[0]
    if timeframe_ms is None:
        tfs = sorted(r[0] for r in conn.execute("SELECT DISTINCT timeframe_ms FROM candles WHERE symbol = ?", (symbol,)))
        timeframe_ms = MINUTE_MS if (MINUTE_MS in tfs or not tfs) else tfs[0]
    if not isinstance(timeframe_ms, int) or isinstance(timeframe_ms, bool) or timeframe_ms <= 0:
        raise SnapshotError(f"{name}: damaged Cascade file (bad timeframe {timeframe_ms!r})")
    return symbol, timeframe_ms


def load_snapshot_file(path: Path) -> tuple[dict[str, Any], MarketFrames]:
    """Check a snapshot file end to end and read it whole: (meta, frames). Raises SnapshotError.

    Order of checks: header and size (not SQLite, truncated) -> SQLite's quick_check (corrupted pages)
    -> Cascade's meta (another app's database, newer version) -> migration of older versions (on an
    in-memory copy: the user's file is never modified by opening it) -> tables, columns and keys -> values.
    """
    name = path.name
    check_sqlite_file(path, SnapshotError)
    conn: Optional[sqlite3.Connection] = None
    try:
        conn = _connect(path, readonly=True)
        # Whole-file reads: map the file instead of copying every page through read() into a small cache.
        conn.execute("PRAGMA mmap_size = 1073741824")
        conn.execute("PRAGMA cache_size = -65536")
        result = conn.execute("PRAGMA quick_check").fetchall()
        if not result or result[0][0] != "ok":
            detail = result[0][0] if result else "no answer"
            raise SnapshotError(f"{name}: corrupted file (SQLite integrity check: {str(detail).splitlines()[0]})")
        version = _file_version(conn, name, SnapshotError)
        if version == 0:
            raise SnapshotError(f"{name}: not a Cascade file (an empty database)")
        if version < SCHEMA_VERSION:
            mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.backup(mem)
            conn.close()
            conn = mem
            conn.execute("BEGIN")
            migrate(conn, version)
            conn.execute("COMMIT")
        _check_layout(conn, name, SnapshotError)
        meta = _read_meta(conn)
        symbol, timeframe_ms = _snapshot_symbol_and_timeframe(conn, meta, name)
        frames = read_frames(conn, symbol, timeframe_ms=timeframe_ms)
    except sqlite3.DatabaseError as exc:
        msg = _plain_sqlite_message(exc)
        if "not a database" in msg or "file is encrypted" in msg:
            raise SnapshotError(f"{name}: not a Cascade file (not an SQLite database)") from None
        raise SnapshotError(f"{name}: corrupted file (SQLite: {msg})") from None
    except (ValueError, TypeError, OverflowError):  # a damaged record: a BLOB for a price, text that is not UTF-8
        raise SnapshotError(f"{name}: corrupted file (unreadable values)") from None
    finally:
        if conn is not None:
            conn.close()
    problem = describe_absurd({n: frames.series(n) for n in SERIES_COLUMNS})
    if problem:
        raise SnapshotError(f"{name}: {problem}")
    return meta, frames


__all__ = [
    "BUSY_TIMEOUT_MS",
    "check_output_path",
    "SNAPSHOT_SUFFIX",
    "SnapshotError",
    "Store",
    "StoreError",
    "default_store_path",
    "load_snapshot_file",
    "open_snapshot",
    "read_frames",
    "save_snapshot",
    "write_frames",
]
