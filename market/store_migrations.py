"""Schema migrations: ``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``.

Version 0 is an empty database, so creating a file is the same code path as upgrading one: every step
runs in turn. Each step runs inside the caller's transaction, and ``schema_version`` is bumped with it,
so a crash mid-migration leaves the file at the old version, intact.

The steps are written as literal SQL on purpose: they are history, and must not change when the current
layout in ``market.store_schema`` does (``check_layout`` in ``market.sqlite_frames`` checks the result).

History:
- v1: meta, candles without taker/quote volumes, open_interest, funding, and liquidations as a rowid
  table with a UNIQUE key (arrival order = rowid).
- v2: candles gain ``taker_buy_volume`` and ``quote_volume`` (NULL = unknown for older rows); the
  ``long_short`` account-ratio table is added; liquidations become WITHOUT ROWID with an explicit
  ``seq`` (arrival order), half the size of table + unique index.
- v3: the ``liquidation_minutes`` table (per-minute liquidation sums from aggregators, no price) is added.
- v4: the ``series_columns`` table: a snapshot's series also as typed column arrays (one BLOB per
  column), so opening one copies bytes instead of converting rows. The rows stay the record; the
  columns are read only while the file is byte for byte as Cascade wrote it (see ``market.snapshot_file``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Callable

from market.store_schema import APP_ID, SCHEMA_VERSION, SEQ_META_KEY

_V1 = """
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

_V2 = """
ALTER TABLE candles ADD COLUMN taker_buy_volume REAL;
ALTER TABLE candles ADD COLUMN quote_volume REAL;
CREATE TABLE long_short (symbol TEXT NOT NULL, ts INTEGER NOT NULL, exchange TEXT NOT NULL, ratio REAL,
    PRIMARY KEY (symbol, ts, exchange)) WITHOUT ROWID;
CREATE TABLE liquidations_v2 (symbol TEXT NOT NULL, ts INTEGER NOT NULL, exchange TEXT NOT NULL,
    side TEXT NOT NULL, price REAL NOT NULL, qty_base REAL NOT NULL, notional_usd REAL, seq INTEGER NOT NULL,
    PRIMARY KEY (symbol, ts, exchange, side, price, qty_base)) WITHOUT ROWID;
INSERT INTO liquidations_v2 SELECT symbol, ts, exchange, side, price, qty_base, notional_usd, rowid FROM liquidations;
DROP TABLE liquidations;
ALTER TABLE liquidations_v2 RENAME TO liquidations;
"""

_V3 = """
CREATE TABLE liquidation_minutes (symbol TEXT NOT NULL, ts INTEGER NOT NULL, exchange TEXT NOT NULL,
    long_usd REAL, short_usd REAL, long_base REAL, short_base REAL,
    PRIMARY KEY (symbol, ts, exchange)) WITHOUT ROWID;
"""


_V4 = """
CREATE TABLE series_columns (symbol TEXT NOT NULL, timeframe_ms INTEGER NOT NULL, series TEXT NOT NULL,
    name TEXT NOT NULL, dtype TEXT NOT NULL, n INTEGER NOT NULL, crc INTEGER NOT NULL, labels TEXT,
    data BLOB NOT NULL, PRIMARY KEY (symbol, timeframe_ms, series, name));
"""


def _script(conn: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT the caller's transaction first; run the statements one by one instead.
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _to_v1(conn: sqlite3.Connection) -> None:
    _script(conn, _V1)
    conn.execute("INSERT INTO meta (key, value) VALUES ('app', ?)", (json.dumps(APP_ID),))


def _to_v2(conn: sqlite3.Connection) -> None:
    _script(conn, _V2)
    (top,) = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM liquidations").fetchone()
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (SEQ_META_KEY, json.dumps(int(top))))


def _to_v3(conn: sqlite3.Connection) -> None:
    _script(conn, _V3)


def _to_v4(conn: sqlite3.Connection) -> None:
    _script(conn, _V4)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_to_v1, _to_v2, _to_v3, _to_v4)
assert len(MIGRATIONS) == SCHEMA_VERSION, "one migration step per schema version"


def migrate(conn: sqlite3.Connection, from_version: int) -> int:
    """Run every step from ``from_version`` up to ``SCHEMA_VERSION`` in the open transaction; return the new version."""
    for version in range(from_version, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (json.dumps(version + 1),)
        )
    return SCHEMA_VERSION
