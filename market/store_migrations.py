"""Schema migrations: ``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``.

Version 0 is an empty database, so creating a file is the same code path as upgrading one: every step
runs in turn. Each step runs inside the caller's transaction, and ``schema_version`` is bumped with it,
so a crash mid-migration leaves the file at the old version, intact.

History:
- v1: meta, candles without taker/quote volumes, open_interest, funding, liquidations.
- v2: candles gain ``taker_buy_volume`` and ``quote_volume`` (NULL = unknown for older rows);
  the ``long_short`` account-ratio table is added.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Callable

from market.series import CANDLE_COLUMNS, SERIES_COLUMNS
from market.store_schema import APP_ID, META_SQL, SCHEMA_VERSION, create_table_sql

V1_CANDLE_COLUMNS = {k: v for k, v in CANDLE_COLUMNS.items() if k not in ("taker_buy_volume", "quote_volume")}


def _to_v1(conn: sqlite3.Connection) -> None:
    conn.execute(META_SQL)
    conn.execute("INSERT INTO meta (key, value) VALUES ('app', ?)", (json.dumps(APP_ID),))
    conn.execute(create_table_sql("candles", V1_CANDLE_COLUMNS))
    for name in ("open_interest", "funding", "liquidations"):
        conn.execute(create_table_sql(name, SERIES_COLUMNS[name]))


def _to_v2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE candles ADD COLUMN taker_buy_volume REAL")
    conn.execute("ALTER TABLE candles ADD COLUMN quote_volume REAL")
    conn.execute(create_table_sql("long_short"))


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_to_v1, _to_v2)
assert len(MIGRATIONS) == SCHEMA_VERSION, "one migration step per schema version"


def migrate(conn: sqlite3.Connection, from_version: int) -> int:
    """Run every step from ``from_version`` up to ``SCHEMA_VERSION`` in the open transaction; return the new version."""
    for version in range(from_version, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (json.dumps(version + 1),)
        )
    return SCHEMA_VERSION
