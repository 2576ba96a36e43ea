"""Snapshot files: one self-contained, atomically written SQLite file in the store's schema.

``save_snapshot`` writes one, ``load_snapshot_file`` checks one end to end and reads it whole,
``check_output_path`` refuses to save over anything that is not a Cascade file.
``market.snapshot_source.open_snapshot`` serves a loaded file as a ``MarketSource``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from market.series import DEFAULT_SYMBOL, MINUTE_MS, SERIES_COLUMNS, MarketFrames
from market.sqlite_frames import (
    SQLITE_MAGIC,
    ColumnsUnusable,
    StoreError,
    UnknownExchanges,
    app_version,
    check_layout,
    check_no_secrets,
    check_sqlite_file,
    connect,
    file_version,
    plain_sqlite_message,
    file_change_counter,
    read_columns,
    read_frames,
    read_meta,
    set_meta_rows,
    table_names,
    write_columns,
    write_frames,
)
from market.store_migrations import migrate
from market.store_schema import APP_ID, COLUMNS_STAMP_KEY, SCHEMA_VERSION, describe_absurd
from market.venues import VENUE_NAMES
from cascade_vocab.units import DAY_MS

SNAPSHOT_SUFFIX = ".cascade"
# The longest candle Cascade could be asked to draw is a month; a larger timeframe is a damaged file.
MAX_TIMEFRAME_MS = 31 * DAY_MS
# Memory one stored row takes once read into frames (measured with tracemalloc on the read path:
# 170-270 bytes per row depending on the series; rounded up).
BYTES_PER_ROW = 300
# A save's temporary file older than this was left by a save that was interrupted (killed, power cut):
# a save takes seconds, a month of three venues well under a minute.
STALE_TEMP_S = 3600.0


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
    if path.exists() and not path.is_file():  # os.replace would swap a FIFO or device for the file
        raise SnapshotError(f"cannot save {path.name}: not a regular file (a folder, FIFO, device or socket)")
    remove_stale_temp_files(directory, path.name)
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
            try:
                write_columns(conn, frames)
                columns = True
            except ColumnsUnusable:  # cannot happen for normalized frames; the rows alone still do
                columns = False
            conn.execute("COMMIT")
            # The columns are read only while the file is as written here: its change counter, which
            # SQLite advances on every write, is recorded by the last write (so it names its own).
            counter = file_change_counter(tmp) if columns else None
            if counter is not None:
                conn.execute("BEGIN")
                set_meta_rows(conn, {COLUMNS_STAMP_KEY: counter + 1})
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
    """Refuse to save a snapshot over anything that is not a Cascade file: a folder, a FIFO or device, an
    empty file, a CSV, another app's database.

    A save replaces the target whole, so pointing ``--out`` at the wrong file must not destroy it, and a
    FIFO or device is never opened (the open would wait for a writer, or never end).
    """
    path = Path(path)
    if path.is_dir():
        raise SnapshotError(f"{path.name}: is a folder; give a file name to save to")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SnapshotError(f"{path.name}: cannot check it ({exc.strerror or exc}); refusing to overwrite it") from None
    if not stat.S_ISREG(st.st_mode):
        raise SnapshotError(f"{path.name}: not a regular file (a FIFO, device or socket); refusing to write to it")
    if st.st_size == 0:
        raise SnapshotError(f"{path.name}: exists and is empty, not a Cascade file; refusing to overwrite it")
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


def temp_name_pattern(target: str) -> re.Pattern[str]:
    """The hidden temporary files saves build: ``.<name>.<mkstemp's 8 characters>.tmp``, for ``target``
    and for any ``*.cascade`` file in the same folder."""
    names = rf"(?:{re.escape(target)}|[^/\\]+{re.escape(SNAPSHOT_SUFFIX)})"
    return re.compile(rf"^\.{names}\.[A-Za-z0-9_]{{8}}\.tmp$")


def remove_stale_temp_files(directory: Path, target: str, *, older_than_s: float = STALE_TEMP_S) -> list[Path]:
    """Delete what interrupted saves left in ``directory``: our own temp files only (name
    pattern, a regular file, empty or an SQLite file), and only once older than a save can take, so a
    save still running in another process keeps its file. Returns what was removed."""
    pattern = temp_name_pattern(target)
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < older_than_s:
                continue
            if st.st_size:
                with open(entry.path, "rb") as fh:
                    if fh.read(16) != SQLITE_MAGIC:
                        continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


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
    if not isinstance(timeframe_ms, int) or isinstance(timeframe_ms, bool) or not 0 < timeframe_ms <= MAX_TIMEFRAME_MS:
        raise SnapshotError(f"{name}: damaged Cascade file (bad timeframe {str(timeframe_ms)[:40]!r})")  # repr: one line, escapes shown
    return symbol, timeframe_ms


def _check_venues(conn: sqlite3.Connection, symbol: str, name: str) -> None:
    """Refuse exchange names Cascade does not know before reading a row: each name shown becomes a
    colour, a toggle and a line per panel, so thousands of made-up names would build thousands of them."""
    known = list(VENUE_NAMES)
    marks = ", ".join("?" * len(known))
    for series in SERIES_COLUMNS:
        row = conn.execute(
            f"SELECT exchange FROM {series} WHERE symbol = ? AND exchange NOT IN ({marks}) LIMIT 1", [symbol, *known]
        ).fetchone()
        if row is not None:
            (count,) = conn.execute(
                f"SELECT count(DISTINCT exchange) FROM {series} WHERE symbol = ? AND exchange NOT IN ({marks})", [symbol, *known]
            ).fetchone()
            example = str(row[0])[:40]
            raise SnapshotError(
                f"{name}: table {series} names {count:,} exchange{'s' if count != 1 else ''} Cascade does not know "
                f"(e.g. {example!r}); it shows {', '.join(known)}"
            )


def available_memory_bytes() -> Optional[int]:
    """What this process can still allocate, as far as the system tells (None where it does not):
    the smallest of the free memory, the address-space limit left, and the cgroup's limit left."""
    candidates: list[int] = []
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh.read(8192).decode("ascii", "replace").splitlines():
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft not in (resource.RLIM_INFINITY, -1):
            with open("/proc/self/status", "rb") as fh:
                vm = next((int(l.split()[1]) * 1024 for l in fh.read(8192).decode("ascii", "replace").splitlines()
                           if l.startswith("VmSize:")), 0)
            candidates.append(max(soft - vm, 0))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", "rb") as fh:
            limit = fh.read(64).decode("ascii", "replace").strip()
        if limit.isdigit():
            with open("/sys/fs/cgroup/memory.current", "rb") as fh:
                candidates.append(max(int(limit) - int(fh.read(64).strip() or 0), 0))
    except (OSError, ValueError):
        pass
    return min(candidates) if candidates else None


def _check_fits_in_memory(conn: sqlite3.Connection, name: str, *, copy_bytes: int = 0) -> None:
    """Refuse, in one plain line, a file whose rows would not fit in the memory at hand once read."""
    tables = table_names(conn)
    rows = sum(conn.execute(f"SELECT count(*) FROM {series}").fetchone()[0] for series in SERIES_COLUMNS if series in tables)
    need = rows * BYTES_PER_ROW + copy_bytes
    available = available_memory_bytes()
    if available is not None and need > available:
        raise SnapshotError(
            f"{name}: too big for the memory at hand ({rows:,} rows need about {need / 2**30:,.1f} GB to open; "
            f"{available / 2**30:,.1f} GB is free)"
        )




def _quick_check(conn: sqlite3.Connection, name: str) -> None:
    """SQLite's check of every page: run before the rows are read, which walk most of the file. The
    column path skips it: each BLOB it reads carries its own CRC-32 and the file's change counter is the
    one the save recorded, and a damaged page it does read fails in SQLite (the ``DatabaseError`` below)."""
    result = conn.execute("PRAGMA quick_check").fetchall()
    if not result or result[0][0] != "ok":
        detail = result[0][0] if result else "no answer"
        raise SnapshotError(f"{name}: corrupted file (SQLite integrity check: {str(detail).splitlines()[0]})")


def _columns_trusted(path: Path, meta: Mapping[str, Any]) -> bool:
    """The file is byte for byte as ``save_snapshot`` wrote it (rows and columns agree): its change
    counter is still the one the save recorded. Any later write (a hand edit in an SQL tool, another
    program) advances the counter, and the rows, the record, are read instead."""
    stamp = meta.get(COLUMNS_STAMP_KEY)
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return False
    return file_change_counter(path) == stamp


def _read_columns(conn: sqlite3.Connection, symbol: str, timeframe_ms: int, name: str,
                  exchange_codes: dict[str, tuple[Any, list[str]]]) -> Optional[MarketFrames]:
    """The frames from the column arrays, or None where they do not check out (then the rows are read)."""
    try:
        series = read_columns(conn, symbol, timeframe_ms, VENUE_NAMES, exchange_codes)
    except ColumnsUnusable:
        return None
    except UnknownExchanges as unknown:
        count, example = len(unknown.names), unknown.names[0][:40]
        raise SnapshotError(
            f"{name}: table {unknown.series} names {count:,} exchange{'s' if count != 1 else ''} Cascade does not know "
            f"(e.g. {example!r}); it shows {', '.join(VENUE_NAMES)}"
        ) from None
    return MarketFrames(symbol, int(timeframe_ms), **series)


def load_snapshot_file(path: Path) -> tuple[dict[str, Any], MarketFrames]:
    """Check a snapshot file end to end and read it whole: (meta, frames). Raises SnapshotError.

    Order of checks: header and size (not SQLite, truncated) -> Cascade's meta (another app's database,
    newer version) -> migration of older versions (on an
    in-memory copy: the user's file is never modified by opening it) -> tables, columns and keys -> values.
    SQLite's quick_check (corrupted pages) runs before any read of the rows; a file still as its save
    wrote it is read from its CRC-checked columns without it.
    """
    name = path.name
    check_sqlite_file(path, SnapshotError)
    conn: Optional[sqlite3.Connection] = None
    try:
        conn = connect(path, readonly=True)
        # Whole-file reads: map the file instead of copying every page through read() into a small cache.
        conn.execute("PRAGMA mmap_size = 1073741824")
        conn.execute("PRAGMA cache_size = -65536")
        version = file_version(conn, name, SnapshotError)
        if version == 0:
            raise SnapshotError(f"{name}: not a Cascade file (an empty database)")
        # An older file is migrated on an in-memory copy of the whole file: that copy counts too.
        _check_fits_in_memory(conn, name, copy_bytes=path.stat().st_size if version < SCHEMA_VERSION else 0)
        trusted = version == SCHEMA_VERSION and _columns_trusted(path, read_meta(conn))
        if not trusted:
            _quick_check(conn, name)
        if version < SCHEMA_VERSION:
            mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.backup(mem)
            conn.close()
            conn = mem
            conn.execute("BEGIN")
            migrate(conn, version)
            conn.execute("COMMIT")
        check_layout(conn, name, SnapshotError)
        conn.execute("BEGIN")  # one read transaction: no writer can change the file between the checks and the read
        meta = read_meta(conn)
        symbol, timeframe_ms = _snapshot_symbol_and_timeframe(conn, meta, name)
        frames = None
        codes: dict[str, tuple[Any, list[str]]] = {}
        if trusted:  # a current-version file is not migrated: its meta is the one the stamp was read from
            frames = _read_columns(conn, symbol, timeframe_ms, name, codes)
        if frames is None:
            codes.clear()
            if trusted:  # the columns did not check out: the rows are read, so every page is checked first
                _quick_check(conn, name)
            _check_venues(conn, symbol, name)
            frames = read_frames(conn, symbol, timeframe_ms=timeframe_ms)
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        msg = plain_sqlite_message(exc)
        if "not a database" in msg or "file is encrypted" in msg:
            raise SnapshotError(f"{name}: not a Cascade file (not an SQLite database)") from None
        raise SnapshotError(f"{name}: corrupted file (SQLite: {msg})") from None
    except (ValueError, TypeError, OverflowError):  # a damaged record: a BLOB for a price, text that is not UTF-8
        raise SnapshotError(f"{name}: corrupted file (unreadable values)") from None
    except MemoryError:  # the estimate above was not enough (other processes took the memory meanwhile)
        raise SnapshotError(f"{name}: too big for the memory at hand") from None
    finally:
        if conn is not None:
            conn.close()
    problem = describe_absurd({n: frames.series(n) for n in SERIES_COLUMNS}, codes)
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
