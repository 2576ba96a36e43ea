"""The SQLite layer shared by the live cache (``market.store``) and snapshot files (``market.snapshot_file``).

One schema (``market.store_schema``), one read path and one write path for both: connecting, telling a
Cascade file from anything else, checking its version and layout, and moving ``MarketFrames`` in and out.
Nothing here knows whether the file is a cache or a snapshot; the callers pass the error class to raise.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import zlib
from itertools import repeat
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from market.series import MINUTE_MS, SERIES_COLUMNS, MarketFrames, empty_frame
from market.store_schema import (
    APP_ID,
    COLUMNS_STAMP_KEY,
    READ_ORDER,
    SCHEMA_VERSION,
    SEQ_META_KEY,
    TABLE_KEYS,
    table_columns,
)
from cascade_vocab.names import Series

BUSY_TIMEOUT_MS = 10_000
SQLITE_MAGIC = b"SQLite format 3\x00"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Meta keys written by Cascade itself; set_meta may not overwrite them.
RESERVED_META = frozenset({"app", "schema_version", SEQ_META_KEY, COLUMNS_STAMP_KEY})
# Keys that would hold credentials. Nothing in Cascade puts them in settings or positions; this guards
# against a future caller passing a whole config dict by mistake.
_SECRET_WORDS = ("secret", "api_key", "apikey", "password", "passphrase", "token", "private")


class StoreError(Exception):
    """A store or snapshot file that cannot be used. The message is one plain line, shown as is."""


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
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the open below forever, a device never end
        raise error(f"{name}: not a regular file (a FIFO, device or socket), not a Cascade file")
    size = st.st_size
    if size == 0:
        raise error(f"{name}: the file is empty")
    with open(path, "rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_MAGIC):
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


def plain_sqlite_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


def table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in conn.execute("SELECT key, value FROM meta"):
        try:
            out[str(key)] = json.loads(value)
        except (TypeError, ValueError, RecursionError):
            # Not ours, hand-edited, or nested deeper than the decoder goes: kept raw, judged by the caller.
            out[str(key)] = value
    return out


def file_version(conn: sqlite3.Connection, name: str, error: type[StoreError]) -> int:
    """0 for an empty database, else the Cascade schema version; raise if it is someone else's database."""
    tables = table_names(conn)
    if not tables:
        return 0
    if "meta" not in tables:
        raise error(f"{name}: not a Cascade file (an SQLite database of another application)")
    try:
        meta = read_meta(conn)
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


def check_layout(conn: sqlite3.Connection, name: str, error: type[StoreError]) -> None:
    """Every current table is there, with its columns and its key (so rows cannot be duplicated)."""
    tables = table_names(conn)
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
        lead: list[Any] = [repeat(frames.symbol)]
        if series == Series.CANDLES:
            lead.append(repeat(int(frames.timeframe_ms)))
        # tolist() turns numpy scalars into Python ints/floats; NaN binds as NULL ("unknown").
        data = [df[c].to_numpy().tolist() for c in SERIES_COLUMNS[series]]
        if series == Series.LIQUIDATIONS:
            # Arrival order within equal (ts, exchange): a per-file counter, advanced in this transaction.
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (SEQ_META_KEY,)).fetchone()
            base = int(json.loads(row[0])) if row else 0
            data.append(range(base, base + len(df)))
            set_meta_rows(conn, {SEQ_META_KEY: base + len(df)})
        rows = zip(*lead, *data)
        sql = f"INSERT OR REPLACE INTO {series} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, rows)
    return written


def frame_from_cursor(series: str, cursor: Iterable[tuple]) -> pd.DataFrame:
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
        if series == Series.CANDLES:
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
        frames[series] = frame_from_cursor(series, conn.execute(sql, params))
    return MarketFrames(symbol, int(timeframe_ms), **frames)


# ------------------------------------------------------------------------------------------ columns

class ColumnsUnusable(Exception):
    """The file's column arrays are missing or do not check out: read the rows instead."""


def write_columns(conn: sqlite3.Connection, frames: MarketFrames) -> None:
    """Every series of ``frames`` as typed column arrays (``series_columns``), in the caller's transaction.

    Numbers as their little-endian bytes; object columns (exchange, side) as uint8/uint16 codes into
    ``labels`` (JSON), so reading them back builds each string once, not once per row."""
    symbol, tf = frames.symbol, int(frames.timeframe_ms)
    conn.execute("DELETE FROM series_columns WHERE symbol = ? AND timeframe_ms = ?", (symbol, tf))
    rows = []
    for series, columns in SERIES_COLUMNS.items():
        df = frames.series(series)
        for name, dtype in columns.items():
            labels = None
            if dtype == "object":
                codes, uniques = pd.factorize(df[name].to_numpy(), use_na_sentinel=False)
                labels_list = [str(u) for u in uniques]
                if len(set(labels_list)) != len(labels_list) or any(not isinstance(u, str) for u in uniques):
                    raise ColumnsUnusable(f"{series}.{name}: values that are not distinct strings")
                arr = codes.astype(np.uint8 if len(uniques) <= 255 else np.uint16)
                labels = json.dumps(labels_list, separators=(",", ":"))
            else:
                arr = np.ascontiguousarray(df[name].to_numpy(dtype))
            data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            rows.append((symbol, tf, series, name, arr.dtype.str.replace(">", "<").replace("=", "<"), len(arr),
                         zlib.crc32(data), labels, data))
    conn.executemany(
        "INSERT INTO series_columns (symbol, timeframe_ms, series, name, dtype, n, crc, labels, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def read_columns(conn: sqlite3.Connection, symbol: str, timeframe_ms: int,
                 known_exchanges: Sequence[str],
                 exchange_codes: Optional[dict[str, tuple[np.ndarray, list[str]]]] = None) -> dict[str, pd.DataFrame]:
    """The series of ``symbol`` from ``series_columns``; ColumnsUnusable unless every column is there,
    of the expected type and length, with a matching CRC-32 and distinct, known exchange labels.
    Raises ``UnknownExchanges(names)`` for labels outside ``known_exchanges`` (the caller's message).
    ``exchange_codes``, when given, receives each series' exchange codes and labels, so the value checks
    need not hash every row's name again."""
    got: dict[tuple[str, str], tuple] = {}
    for series, name, dtype, n, crc, labels, data in conn.execute(
            "SELECT series, name, dtype, n, crc, labels, data FROM series_columns WHERE symbol = ? AND timeframe_ms = ?",
            (symbol, int(timeframe_ms))):
        got[(series, name)] = (dtype, n, crc, labels, data)
    frames: dict[str, pd.DataFrame] = {}
    known = set(known_exchanges)
    for series, columns in SERIES_COLUMNS.items():
        out: dict[str, Any] = {}
        length = None
        for name, dtype in columns.items():
            entry = got.get((series, name))
            if entry is None:
                raise ColumnsUnusable(f"{series}.{name} missing")
            kind, n, crc, labels, data = entry
            if not isinstance(data, bytes) or not isinstance(n, int) or zlib.crc32(data) != crc:
                raise ColumnsUnusable(f"{series}.{name}: damaged")
            if length is not None and n != length:
                raise ColumnsUnusable(f"{series}.{name}: length differs")
            length = n
            try:
                dt = np.dtype(kind)
            except TypeError:
                raise ColumnsUnusable(f"{series}.{name}: bad type") from None
            if dt.byteorder not in ("<", "|", "=") or dt.kind not in "iuf" or len(data) != n * dt.itemsize:
                raise ColumnsUnusable(f"{series}.{name}: bad type or size")
            arr = np.frombuffer(data, dt)
            if dtype == "object":
                try:
                    names = json.loads(labels) if labels is not None else None
                except (TypeError, ValueError, RecursionError):
                    names = None
                if (not isinstance(names, list) or not all(isinstance(x, str) for x in names) or dt.kind != "u"
                        or len(set(names)) != len(names)):
                    raise ColumnsUnusable(f"{series}.{name}: bad labels")
                if n and int(arr.max()) >= len(names):
                    raise ColumnsUnusable(f"{series}.{name}: codes beyond labels")
                if name == "exchange":
                    unknown = sorted(set(names) - known)
                    if unknown:
                        raise UnknownExchanges(series, unknown)
                    if exchange_codes is not None:
                        exchange_codes[series] = (arr, list(names))
                out[name] = pd.Series(np.array(names, dtype=object)[arr] if names else np.empty(n, object),
                                      dtype=object, copy=False)
            else:
                if dt != np.dtype(dtype):
                    raise ColumnsUnusable(f"{series}.{name}: type {dt} for {dtype}")
                out[name] = arr.copy()  # a writable array of its own, not a view of SQLite's bytes
        frames[series] = pd.DataFrame(out, copy=False) if length else empty_frame(series)
    return frames


class UnknownExchanges(Exception):
    def __init__(self, series: str, names: list[str]) -> None:
        super().__init__(series)
        self.series, self.names = series, names


def file_change_counter(path: Path) -> Optional[int]:
    """The SQLite header's file change counter, or None where it does not track every write (WAL mode,
    a -wal file beside it, a counter not valid for this version)."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError:
        return None
    if len(header) < 100 or header[18] != 1 or header[19] != 1 or header[24:28] != header[92:96]:
        return None
    if path.with_name(path.name + "-wal").exists():
        return None
    return int.from_bytes(header[24:28], "big")


def check_no_secrets(what: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if any(word in str(k).lower().replace("-", "_") for word in _SECRET_WORDS):
                raise ValueError(f"{what} must not hold credentials (key {k!r})")
            check_no_secrets(what, v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_no_secrets(what, v)


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def set_meta_rows(conn: sqlite3.Connection, values: Mapping[str, Any]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(str(k), _json(v)) for k, v in values.items()]
    )


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn
