"""Plain CSV files that do not say which market they are: OHLCV candles and open interest.

- OHLCV (ccxt/freqtrade style): a header naming a time column (``timestamp``, ``open_time``,
  ``open_time_ms``, ``date``, ``datetime``, ``time``, ``ts``: s, ms, µs or ISO 8601) and ``open, high,
  low, close, volume``; optional ``quote_volume`` and ``taker_buy_volume``. The caller passes
  ``--exchange`` (required) and ``--symbol``.
- open interest: a time column and ``open_interest`` (or ``oi``), optionally ``open_interest_value``
  (always USD). Nothing in such a file says its market or unit, so ``--exchange``, ``--symbol`` and
  ``--oi-unit`` are required, and ``--contract-size`` with ``contracts``:
  - ``base``: open interest in the base asset (BTC);
  - ``contracts``: counted in contracts; one contract is ``--contract-size`` of the base asset for a
    linear contract (OKX BTC-USDT-SWAP: 0.01 BTC) and that many USD for an inverse one (BTC/USD:BTC;
    OKX BTC-USD-SWAP: 100 USD);
  - ``usd``: open interest in USD.
  Cascade's model counts positions in the base asset. OI known only in USD (``usd``, inverse
  ``contracts``) is turned into base at the price of the same venue's candles in the same import (the
  close of the last candle closed by then: no look-ahead); without such candles the file is refused.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from market.archive_common import (
    OI_UNITS,
    ArchiveError,
    ImportOptions,
    Kind,
    ParsedFile,
    check_sane,
    datetimes_to_ms,
    first_line,
    infer_timeframe_ms,
    numbers,
    read_text_csv,
    timestamps_to_ms,
)
from market.series import normalize

TIME_COLUMNS = ("timestamp", "open_time", "open_time_ms", "date", "datetime", "time", "ts")
OHLCV_REQUIRED = ("open", "high", "low", "close", "volume")
OI_ALIASES = ("open_interest", "oi")
OI_VALUE_ALIASES = ("open_interest_value", "oi_value")


def header_of(data: bytes) -> tuple[str, list[str]]:
    """(separator, lower-cased column names) of a CSV's first line."""
    first = first_line(data)
    sep = "," if "," in first else (";" if ";" in first else ("\t" if "\t" in first else ","))
    return sep, [c.strip().strip('"').lower() for c in first.split(sep)]


def _times(df: pd.DataFrame, time_col: str) -> np.ndarray:
    raw_time = df[time_col].str.strip()
    numeric_time = pd.to_numeric(raw_time, errors="coerce")
    if numeric_time.notna().all():
        return timestamps_to_ms(numeric_time.to_numpy())
    try:
        when = pd.to_datetime(raw_time, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        raise ArchiveError(f"column {time_col} holds neither epoch numbers nor ISO 8601 times") from None
    if when.isna().any():
        raise ArchiveError(f"column {time_col} has empty times")
    return datetimes_to_ms(when)


def is_ohlcv(names: list[str]) -> bool:
    return any(c in names for c in TIME_COLUMNS) and all(c in names for c in OHLCV_REQUIRED)


def is_open_interest(names: list[str]) -> bool:
    return any(c in names for c in TIME_COLUMNS) and any(c in names for c in OI_ALIASES) and not is_ohlcv(names)


def parse_ohlcv(name: str, data: bytes, exchange: Optional[str]) -> ParsedFile:
    sep, names = header_of(data)
    time_col = next((c for c in TIME_COLUMNS if c in names), None)
    if time_col is None or not is_ohlcv(names):
        raise ArchiveError(
            "not a Binance archive file, nor an OHLCV CSV with a header naming a time column and open, high, low, close, volume"
        )
    if not exchange:
        raise ArchiveError("a plain OHLCV file does not say its exchange: pass --exchange (and --symbol)")
    df = read_text_csv(data, sep=sep)
    ts = _times(df, time_col)
    values = {c: numbers(df, c, "prices or volumes") for c in OHLCV_REQUIRED}
    for opt, aliases in (("quote_volume", ("quote_volume", "quote_asset_volume")), ("taker_buy_volume", ("taker_buy_volume", "taker_buy_base_volume"))):
        col = next((a for a in aliases if a in df.columns), None)
        values[opt] = numbers(df, col, "prices or volumes") if col else np.full(len(df), np.nan)
    timeframe = infer_timeframe_ms(ts)
    if timeframe is None:
        raise ArchiveError("a single candle: cannot infer the timeframe from the spacing")
    candles = pd.DataFrame({"ts": ts, "exchange": exchange, **values})
    series = {"candles": normalize("candles", candles)}
    check_sane(series)
    return ParsedFile(name, Kind.OHLCV, None, timeframe, series)


def is_inverse(symbol: str) -> bool:
    """'BTC/USD:BTC' (settled in the base coin) is inverse; 'BTC/USDT:USDT' is linear."""
    base, _, rest = symbol.partition("/")
    settle = rest.partition(":")[2].partition("-")[0]
    return bool(settle) and settle == base


def parse_open_interest(name: str, data: bytes, options: ImportOptions) -> ParsedFile:
    sep, names = header_of(data)
    if not (options.exchange and options.symbol and options.oi_unit):
        raise ArchiveError(
            "a plain open-interest CSV does not say its market or unit: pass --exchange, --symbol and "
            f"--oi-unit {'|'.join(OI_UNITS)}"
        )
    unit, size = options.oi_unit, options.contract_size
    if unit not in OI_UNITS:
        raise ArchiveError(f"--oi-unit must be one of {', '.join(OI_UNITS)}")
    if unit == "contracts" and not (size and size > 0):
        raise ArchiveError("open interest in contracts needs --contract-size (base per contract if linear, USD if inverse)")
    time_col = next(c for c in TIME_COLUMNS if c in names)
    oi_col = next(c for c in OI_ALIASES if c in names)
    value_col = next((c for c in OI_VALUE_ALIASES if c in names), None)
    df = read_text_csv(data, sep=sep)
    ts = _times(df, time_col)
    amount = numbers(df, oi_col, "open interest")
    value = numbers(df, value_col, "open interest values") if value_col else np.full(len(df), np.nan)
    inverse = is_inverse(options.symbol)
    needs_price = unit == "usd" or (unit == "contracts" and inverse)
    if unit == "base":
        oi_base, oi_usd = amount, value
    elif unit == "contracts" and not inverse:
        oi_base, oi_usd = amount * size, value
    else:
        oi_base, oi_usd = np.full(len(df), np.nan), (amount if unit == "usd" else amount * size)
    frame = pd.DataFrame({"ts": ts, "exchange": options.exchange, "oi_base": oi_base, "oi_usd": oi_usd})
    series = {"open_interest": normalize("open_interest", frame)}
    if not needs_price:
        check_sane(series)
    return ParsedFile(name, Kind.OPEN_INTEREST, None, None, series, needs_price=needs_price)


def base_from_candles(oi: pd.DataFrame, candles: pd.DataFrame, timeframe_ms: int) -> tuple[pd.DataFrame, int]:
    """OI known in USD -> base at the close of the same venue's last candle closed by each OI instant.

    Returns the converted rows and how many had no candle closed within two timeframes before them
    (left out: a stale price would be a guess).
    """
    exchange = str(oi["exchange"].iloc[0]) if len(oi) else ""
    c = candles[candles["exchange"] == exchange]
    if len(c) == 0:
        raise ArchiveError(
            f"open interest in USD needs {exchange} candles in the same import to count it in the base asset "
            "(Cascade's model counts positions in base): add them, or give the OI in base"
        )
    close_at = c["ts"].to_numpy() + timeframe_ms
    closes = c["close"].to_numpy("float64")
    at = oi["ts"].to_numpy()
    idx = np.searchsorted(close_at, at, side="right") - 1
    fresh = (idx >= 0) & (at - close_at[np.maximum(idx, 0)] <= 2 * timeframe_ms)
    out = oi[fresh].copy()
    out["oi_base"] = out["oi_usd"].to_numpy("float64") / closes[idx[fresh]]
    return out.reset_index(drop=True), int(np.count_nonzero(~fresh))
