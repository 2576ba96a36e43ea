"""Snapshot files: one self-contained, atomically written SQLite file in the store's schema.

``save_snapshot`` writes one, ``load_snapshot_file`` checks one end to end and reads it whole,
``check_output_path`` refuses to save over anything that is not a Cascade file.
``market.snapshot_source.open_snapshot`` serves a loaded file as a ``MarketSource``.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from market.series import DEFAULT_SYMBOL, MINUTE_MS, SERIES_COLUMNS, MarketFrames
from market.sqlite_frames import (
    SQLITE_MAGIC,
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
from market.store_schema import APP_ID, SCHEMA_VERSION, describe_absurd

SNAPSHOT_SUFFIX = ".cascade"


class SnapshotError(StoreError):
    """A snapshot file that cannot be opened or written: not Cascade's, truncated, corrupted, too new, absurd."""


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
    check_no_secrets("model settings", meta["model_settings"])
    check_no_secrets("positions", meta.get("positions"))
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
        conn = connect(tmp, readonly=False)
        try:
            # No journal while building: the temp file is thrown away on any failure anyway, and the
            # final fsync + rename is what makes the result durable. Leaves a rollback-journal file,
            # so it opens read-only without -wal/-shm side files.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("BEGIN")
            migrate(conn, 0)
            set_meta_rows(conn, meta)
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
            raise SnapshotError(f"cannot save {path.name}: {plain_sqlite_message(exc)}") from None
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
            if fh.read(16) != SQLITE_MAGIC:
                raise refuse
        conn = connect(path, readonly=True)
        try:
            meta = read_meta(conn)
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        raise refuse from None
    if meta.get("app") != APP_ID:
        raise refuse


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
        conn = connect(path, readonly=True)
        # Whole-file reads: map the file instead of copying every page through read() into a small cache.
        conn.execute("PRAGMA mmap_size = 1073741824")
        conn.execute("PRAGMA cache_size = -65536")
        result = conn.execute("PRAGMA quick_check").fetchall()
        if not result or result[0][0] != "ok":
            detail = result[0][0] if result else "no answer"
            raise SnapshotError(f"{name}: corrupted file (SQLite integrity check: {str(detail).splitlines()[0]})")
        version = file_version(conn, name, SnapshotError)
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
        check_layout(conn, name, SnapshotError)
        meta = read_meta(conn)
        symbol, timeframe_ms = _snapshot_symbol_and_timeframe(conn, meta, name)
        frames = read_frames(conn, symbol, timeframe_ms=timeframe_ms)
    except sqlite3.DatabaseError as exc:
        msg = plain_sqlite_message(exc)
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
    "SNAPSHOT_SUFFIX",
    "SnapshotError",
    "check_output_path",
    "load_snapshot_file",
    "save_snapshot",
    "snapshot_meta",
]
