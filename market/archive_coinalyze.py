"""Coinalyze liquidation history: per-minute sums of a venue's liquidations (``liquidation_minutes``).

Two spellings of the same data:
- the JSON its API returns (``/v1/liquidation-history``): ``[{"symbol": "BTCUSDT_PERP.3", "history":
  [{"t": 1789419660, "l": 0.6074, "s": 0.0}, ...]}, ...]``;
- a CSV ``t,l,s`` saved from it, named after the symbol as Coinalyze exports it (``BTCUSDT_PERP.3_1min.csv``),
  or named anyhow with ``--exchange``, ``--symbol`` and ``--liq-unit`` saying what it is.

``t`` is the minute's start in **seconds**; only minutes with a liquidation are listed. ``l``/``s`` are
the longs/shorts liquidated in that minute, in the **base asset** for a linear contract (USDT or USDC
quoted) and in **USD** for an inverse one (USD quoted, coin-settled): Coinalyze's ``markets`` list says
so per market (``oi_lq_vol_denominated_in``: BASE_ASSET for the USDT pairs, QUOTE_ASSET for the USD ones).
The other unit is left unknown (NaN): no price is guessed. The symbol's suffix names the venue:
``.A`` Binance, ``.3`` OKX, ``.6`` Bybit; other venues are not ones Cascade shows. Only 1-minute
histories are read: a coarser interval would be stored as if it were one minute's sum.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

import numpy as np
import pandas as pd

from market.archive_common import (
    ArchiveError,
    ImportOptions,
    Kind,
    ParsedFile,
    check_sane,
    numbers,
    plural,
    read_text_csv,
    timestamps_to_ms,
)
from market.series import MINUTE_MS, normalize
from market.venues import VENUE_NAMES

EXCHANGE_CODES = {"A": "binance", "3": "okx", "6": "bybit"}
_SYMBOL_RE = re.compile(r"^(?P<market>[A-Z0-9]+?)(?P<perp>_PERP)?\.(?P<code>[0-9A-Z])$")
CSV_NAME_RE = re.compile(r"^(?P<sym>[A-Z0-9_]+\.[0-9A-Z])(?:_(?P<interval>[0-9]+[a-z]+))?\.csv$")
_LINEAR_QUOTES = ("USDT", "USDC")
_INVERSE_QUOTE = "USD"
UNIT_BASE, UNIT_USD = "base", "usd"
COARSER_CHECK_ROWS = 8
MAX_JSON_BYTES = 32 * 2**20  # with this many rows, all on 5-minute marks, the history is not 1-minute sums


def market_of(symbol: str) -> tuple[str, str, str]:
    """Coinalyze symbol -> (exchange, ccxt symbol, unit of l/s). 'BTCUSDT_PERP.3' -> ('okx', 'BTC/USDT:USDT', 'base')."""
    m = _SYMBOL_RE.match(symbol.strip().upper())
    if m is None:
        raise ArchiveError(f"{symbol!r} is not a Coinalyze perpetual symbol (such as BTCUSDT_PERP.3)")
    exchange = EXCHANGE_CODES.get(m.group("code"))
    if exchange is None or exchange not in VENUE_NAMES:
        known = ", ".join(f"{name} .{code}" for code, name in EXCHANGE_CODES.items())
        raise ArchiveError(f"Coinalyze venue code .{m.group('code')} is not a venue Cascade shows ({known})")
    market = m.group("market")
    for quote in _LINEAR_QUOTES:
        if market.endswith(quote) and len(market) > len(quote):
            return exchange, f"{market[: -len(quote)]}/{quote}:{quote}", UNIT_BASE
    if market.endswith(_INVERSE_QUOTE) and len(market) > len(_INVERSE_QUOTE):
        coin = market[: -len(_INVERSE_QUOTE)]
        return exchange, f"{coin}/{_INVERSE_QUOTE}:{coin}", UNIT_USD
    raise ArchiveError(f"cannot tell the unit of Coinalyze market {symbol!r} (neither USDT/USDC- nor USD-quoted)")


def _minutes(name: str, t: np.ndarray, longs: np.ndarray, shorts: np.ndarray, exchange: str, symbol: str,
             unit: str) -> ParsedFile:
    if len(t) == 0:
        raise ArchiveError("no rows")
    ts = timestamps_to_ms(t)  # seconds by magnitude; a file in ms reads the same
    if (ts % MINUTE_MS).any():
        raise ArchiveError("times are not minute starts: not a 1-minute history")
    if len(ts) >= COARSER_CHECK_ROWS and not (ts % (5 * MINUTE_MS)).any():
        raise ArchiveError("every time is on a 5-minute mark: a coarser interval than 1 minute (only 1-minute histories are read)")
    nan = np.full(len(ts), np.nan)
    base = unit == UNIT_BASE
    df = pd.DataFrame({
        "ts": ts, "exchange": exchange,
        "long_usd": nan if base else longs, "short_usd": nan if base else shorts,
        "long_base": longs if base else nan, "short_base": shorts if base else nan,
    })
    rows = normalize("liquidation_minutes", df)
    series = {"liquidation_minutes": rows}
    check_sane(series)
    notes = [f"per-minute sums in {'the base asset' if base else 'USD'} ({symbol} on {exchange})"]
    if len(rows) < len(df):
        notes.append(f"{plural(len(df) - len(rows), 'repeated minute')}: the last row of each kept")
    return ParsedFile(name, Kind.LIQUIDATION_MINUTES, symbol, None, series, notes=tuple(notes))


def looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"[", b"{")


def parse_json(name: str, data: bytes) -> list[ParsedFile]:
    if len(data) > MAX_JSON_BYTES:  # decoded JSON takes ~10x its text in Python objects
        raise ArchiveError(f"{len(data):,} bytes of JSON: larger than {MAX_JSON_BYTES // 2**20} MB, more than a Coinalyze history "
                           "(a year of 1-minute rows of one market is ~25 MB)")
    try:
        doc: Any = json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise ArchiveError("JSON nested too deeply: not a Coinalyze liquidation history") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(f"unreadable JSON ({str(exc).splitlines()[0][:80]})") from None
    shape = 'expected [{"symbol": ..., "history": [{"t": ..., "l": ..., "s": ...}]}]'
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list) or not doc:
        raise ArchiveError(f"not a Coinalyze liquidation history ({shape})")
    out = []
    for i, entry in enumerate(doc):
        if not isinstance(entry, dict) or not isinstance(entry.get("symbol"), str) or not isinstance(entry.get("history"), list):
            raise ArchiveError(f"not a Coinalyze liquidation history (item {i + 1}: {shape})")
        history = entry["history"]
        try:
            t, longs, shorts = (np.array([_number(h[k]) for h in history], dtype="float64") for k in ("t", "l", "s"))
        except (KeyError, TypeError):
            raise ArchiveError(f"not a Coinalyze liquidation history (item {i + 1}: each history row needs numbers t, l and s)") from None
        exchange, symbol, unit = market_of(entry["symbol"])
        label = name if len(doc) == 1 else f"{name}#{entry['symbol'][:40]}"
        out.append(_minutes(label, t, longs, shorts, exchange, symbol, unit))
    return out


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("not a number")
    return float(value)


def is_tls_header(columns: list[str]) -> bool:
    return [c.strip().strip('"').lower() for c in columns] == ["t", "l", "s"]


def parse_csv(name: str, base: str, data: bytes, options: ImportOptions) -> ParsedFile:
    """A ``t,l,s`` CSV: the market from a Coinalyze file name, else from the options (all three needed)."""
    m = CSV_NAME_RE.match(base)
    if m is not None and options.liq_unit is None:
        interval = m.group("interval")
        if interval is not None and interval != "1min":
            raise ArchiveError(f"a {interval} history: only 1-minute histories are read")
        exchange, symbol, unit = market_of(m.group("sym"))
    else:
        exchange, symbol, unit = _from_options(options)
    df = read_text_csv(data)
    t, longs, shorts = (numbers(df, c, "values") for c in ("t", "l", "s"))
    return _minutes(name, t, longs, shorts, exchange, symbol, unit)


def _from_options(options: ImportOptions) -> tuple[str, str, str]:
    if not (options.exchange and options.symbol and options.liq_unit):
        raise ArchiveError(
            "a t,l,s liquidation file whose name is not a Coinalyze symbol (BTCUSDT_PERP.3_1min.csv) does not say "
            "its market or unit: pass --exchange, --symbol and --liq-unit base|usd"
        )
    return options.exchange, options.symbol, options.liq_unit


def parse_coinalyze(name: str, base: str, data: bytes, options: ImportOptions) -> Optional[list[ParsedFile]]:
    """Parse a Coinalyze file; None when it is not one (the caller tries other formats)."""
    if base.lower().endswith(".json") or looks_like_json(data):
        return parse_json(name, data)
    return None
