"""Binance's public data archive (https://data.binance.vision), USDⓈ-M (``futures/um``) and COIN-M
(``futures/cm``): klines, metrics, fundingRate and liquidationSnapshot files, zipped or not.

Units, file by file (the traps are where USDⓈ-M and COIN-M differ):

- klines ``BTCUSDT-1m-2026-01-30.csv``: 12 columns ``open_time, open, high, low, close, volume,
  close_time, quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore``, with or without
  the header row newer files carry. Times are taken per value by magnitude (s, ms, µs or ns): newer
  archive files write microseconds. USDⓈ-M: ``volume`` is base, ``quote_volume`` USD. COIN-M
  (``BTCUSD_PERP-1m-…``): ``volume`` counts contracts and the 8th column is the *base* volume, the 11th
  the taker-buy base volume; USD volume = contracts x contract size.
- metrics ``BTCUSDT-metrics-2026-01-30.csv``: ``create_time`` (text, UTC), ``sum_open_interest``,
  ``sum_open_interest_value``, ``count_long_short_ratio`` (the global long/short *account* ratio, what
  REST ``globalLongShortAccountRatio`` serves) -> ``long_short.ratio``. USDⓈ-M: ``sum_open_interest`` is
  base, ``sum_open_interest_value`` USD. COIN-M: ``sum_open_interest`` counts contracts and
  ``sum_open_interest_value`` is in the base asset (Binance's COIN-M ``openInterestHist``: "unit: cont",
  "unit: base asset"), so base = the value column and USD = contracts x contract size; a file whose
  value column reads like USD instead (value ~ contracts x size) is refused, not mixed up.
  **Alignment**: the archive labels each value one 5-minute bucket *earlier* than REST
  ``openInterestHist`` labels the same value. Cascade dates an OI row at the instant it was known, and
  the live source uses REST's timestamps, so ``METRICS_SHIFT_MS`` (5 min) is added: imported files then
  line up with a live cache, and replay/study never see a value before REST would have published it.
- fundingRate ``BTCUSDT-fundingRate-2026-01.csv``: ``calc_time, funding_interval_hours,
  last_funding_rate``. ``calc_time`` may sit a few ms after the funding instant; it is rounded to the
  nearest whole hour (every funding interval Binance uses is a whole number of hours), so the same
  funding event gets the same key whether it came from the archive or REST. Rates may be written in
  scientific notation and may be negative.
- liquidationSnapshot ``BTCUSDT-liquidationSnapshot-2024-01-02.csv`` / ``BTCUSD_PERP-…``: ``time, side,
  order_type, time_in_force, original_quantity, price, average_price, order_status,
  last_fill_quantity, accumulated_fill_quantity``; ``time`` in ms. ``side`` is the forced *order's*
  side: SELL closes (liquidates) a long, BUY a short. An event is what was filled:
  ``accumulated_fill_quantity`` at ``average_price`` (a row with nothing filled is left out, counted in
  a note). USDⓈ-M quantities are base; COIN-M quantities count contracts (``COIN_M_CONTRACT_USD``: 100 USD
  for BTC, 10 USD for every other coin), so notional = contracts x size and base = notional / price.
  **Duplicates**: COIN-M files list every row twice. A copy is a row equal to another in all ten
  columns, down to the millisecond; copies are counted once. Two real liquidations differ in at least
  one of time, quantity or price (a forced order's own fills accumulate, so even two fills of one order
  differ in ``accumulated_fill_quantity``), so they stay two. What cannot be told apart is two distinct
  forced orders identical in every column in the same millisecond: they are counted once (the store
  keys an event by time, side, price and quantity anyway).
"""

from __future__ import annotations

import io
import re
from typing import Optional

import numpy as np
import pandas as pd

from market.archive_common import (
    HOUR_MS,
    UNIT_MS,
    ArchiveError,
    Kind,
    ParsedFile,
    check_sane,
    datetimes_to_ms,
    first_error_line,
    first_line,
    infer_timeframe_ms,
    is_number,
    numbers,
    plural,
    read_numeric_csv,
    timeframe_label,
    timestamps_to_ms,
)
from market.series import normalize
from cascade_vocab.units import MINUTE_MS

BINANCE = "binance"
METRICS_SHIFT_MS = 5 * MINUTE_MS

KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
    "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)
FUNDING_COLUMNS = ("calc_time", "funding_interval_hours", "last_funding_rate")
LIQUIDATION_SNAPSHOT_COLUMNS = (
    "time", "side", "order_type", "time_in_force", "original_quantity", "price", "average_price",
    "order_status", "last_fill_quantity", "accumulated_fill_quantity",
)
# Quote assets of Binance's USDⓈ-M contracts; each settles in its quote asset.
_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD")
# COIN-M contracts are quoted in USD and settle in the base coin; one contract is worth a fixed USD amount.
COIN_M_QUOTE = "USD"
COIN_M_CONTRACT_USD = {"BTC": 100.0}
COIN_M_DEFAULT_CONTRACT_USD = 10.0

_SYM = r"(?P<sym>[A-Z0-9]+(?:_(?:[0-9]{6}|PERP))?)"
KLINES_RE = re.compile(rf"^{_SYM}-(?P<tf>\d+[smhdw])-\d{{4}}-\d{{2}}(?:-\d{{2}})?\.csv$")
METRICS_RE = re.compile(rf"^{_SYM}-metrics-\d{{4}}-\d{{2}}-\d{{2}}\.csv$")
FUNDING_RE = re.compile(rf"^{_SYM}-fundingRate-\d{{4}}-\d{{2}}\.csv$")
LIQUIDATION_RE = re.compile(rf"^{_SYM}-liquidationSnapshot-\d{{4}}-\d{{2}}(?:-\d{{2}})?\.csv$")


# ----------------------------------------------------------------------------------------- contract names

def binance_symbol(name: str) -> str:
    """Binance's contract name -> ccxt's.

    USDⓈ-M: 'BTCUSDT' -> 'BTC/USDT:USDT', 'BTCUSDT_240628' -> 'BTC/USDT:USDT-240628'.
    COIN-M: 'BTCUSD_PERP' -> 'BTC/USD:BTC', 'BTCUSD_240628' -> 'BTC/USD:BTC-240628'.
    """
    base_name, _, expiry = name.upper().partition("_")
    for quote in _QUOTES:
        if base_name.endswith(quote) and len(base_name) > len(quote) and expiry != "PERP":
            sym = f"{base_name[: -len(quote)]}/{quote}:{quote}"
            return f"{sym}-{expiry}" if expiry else sym
    if expiry and base_name.endswith(COIN_M_QUOTE) and len(base_name) > len(COIN_M_QUOTE):
        coin = base_name[: -len(COIN_M_QUOTE)]
        sym = f"{coin}/{COIN_M_QUOTE}:{coin}"
        return sym if expiry == "PERP" else f"{sym}-{expiry}"
    raise ArchiveError(f"unknown Binance contract name {name!r}")


def coin_m_contract_usd(name: str) -> Optional[float]:
    """USD per contract of a COIN-M contract name ('BTCUSD_PERP' -> 100), None for a USDⓈ-M one."""
    symbol = binance_symbol(name)
    base, _, rest = symbol.partition("/")
    quote, _, settle = rest.partition(":")
    if quote != COIN_M_QUOTE or not settle.startswith(base):
        return None
    return COIN_M_CONTRACT_USD.get(base, COIN_M_DEFAULT_CONTRACT_USD)


def _header(data: bytes, first_column: str) -> bool:
    first = first_line(data)
    header = bool(first) and not is_number(first.split(",")[0])
    if header and first.split(",")[0].strip().lower() != first_column:
        raise ArchiveError(f"header does not start with {first_column}")
    return header


# ----------------------------------------------------------------------------------------- one file each

def parse_klines(name: str, data: bytes, interval: str, contract_usd: Optional[float] = None) -> ParsedFile:
    df = read_numeric_csv(data, KLINE_COLUMNS, header=_header(data, "open_time"))
    ts = timestamps_to_ms(df["open_time"].to_numpy())
    named_tf = int(interval[:-1]) * UNIT_MS[interval[-1]]
    spaced_tf = infer_timeframe_ms(ts)
    if spaced_tf is not None and spaced_tf != named_tf:
        raise ArchiveError(f"rows are {timeframe_label(spaced_tf)} apart but the name says {interval}")
    if contract_usd is None:
        volume, taker, quote = df["volume"], df["taker_buy_volume"], df["quote_volume"]
    else:  # COIN-M: volume in contracts, the "quote" columns hold base volumes
        volume, taker, quote = df["quote_volume"], df["taker_buy_quote_volume"], df["volume"] * contract_usd
    candles = pd.DataFrame(
        {
            "ts": ts, "exchange": BINANCE, "open": df["open"], "high": df["high"], "low": df["low"],
            "close": df["close"], "volume": volume, "taker_buy_volume": taker, "quote_volume": quote,
        }
    )
    series = {"candles": normalize("candles", candles)}
    check_sane(series)
    return ParsedFile(name, Kind.KLINES, None, named_tf, series)


def parse_metrics(name: str, data: bytes, contract_usd: Optional[float] = None) -> ParsedFile:
    try:
        df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"create_time": str, "symbol": str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"unreadable CSV ({first_error_line(exc)})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    need = ("create_time", "sum_open_interest", "sum_open_interest_value")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ArchiveError(f"missing metrics columns {', '.join(missing)}")
    if len(df) == 0:
        raise ArchiveError("no rows")
    try:
        try:
            when = pd.to_datetime(df["create_time"], format="%Y-%m-%d %H:%M:%S", utc=True)
        except ValueError:  # another spelling of the same UTC time (e.g. with a 'T' or fractions)
            when = pd.to_datetime(df["create_time"], format="ISO8601", utc=True)
        first = pd.to_numeric(df["sum_open_interest"]).astype("float64")
        value = pd.to_numeric(df["sum_open_interest_value"]).astype("float64")
        ratio = pd.to_numeric(df["count_long_short_ratio"]).astype("float64") if "count_long_short_ratio" in df else None
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"unreadable values ({first_error_line(exc)})") from None
    if contract_usd is None:
        oi_base, oi_usd = first, value
    else:
        oi_usd, oi_base = first * contract_usd, value
        with np.errstate(divide="ignore", invalid="ignore"):
            implied_price = np.nanmedian((oi_usd / oi_base).to_numpy()) if len(oi_base.dropna()) else np.nan
        if np.isfinite(implied_price) and implied_price < 2.0:
            raise ArchiveError("COIN-M sum_open_interest_value reads like USD, not the base asset Binance documents: not imported")
    ts = datetimes_to_ms(when) + METRICS_SHIFT_MS  # see module doc: alignment
    oi = pd.DataFrame({"ts": ts, "exchange": BINANCE, "oi_base": oi_base, "oi_usd": oi_usd})
    series = {"open_interest": normalize("open_interest", oi[oi["oi_base"].notna()])}
    if ratio is not None:
        ls = pd.DataFrame({"ts": ts, "exchange": BINANCE, "ratio": ratio})
        series["long_short"] = normalize("long_short", ls[ls["ratio"].notna()])
    if not any(len(df) for df in series.values()):
        raise ArchiveError("no row with a value")
    check_sane(series)
    return ParsedFile(name, Kind.METRICS, None, None, series)


def parse_funding(name: str, data: bytes) -> ParsedFile:
    df = read_numeric_csv(data, FUNDING_COLUMNS, header=_header(data, "calc_time"))
    calc = timestamps_to_ms(df["calc_time"].to_numpy())
    ts = (calc + HOUR_MS // 2) // HOUR_MS * HOUR_MS  # a few ms late (or early) -> the funding instant
    funding = pd.DataFrame({"ts": ts, "exchange": BINANCE, "rate": df["last_funding_rate"]})
    series = {"funding": normalize("funding", funding)}
    check_sane(series)
    return ParsedFile(name, Kind.FUNDING, None, None, series)


def parse_liquidation_snapshot(name: str, data: bytes, contract_usd: Optional[float] = None) -> ParsedFile:
    """Single forced orders; ``contract_usd`` set for COIN-M (quantities in contracts). See the module doc."""
    header = _header(data, "time")
    try:
        raw = pd.read_csv(io.BytesIO(data), header=None, skiprows=1 if header else 0, encoding="utf-8-sig",
                          dtype=str, engine="c", skip_blank_lines=True)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"unreadable CSV ({first_error_line(exc)})") from None
    if raw.shape[1] != len(LIQUIDATION_SNAPSHOT_COLUMNS):
        raise ArchiveError(f"{raw.shape[1]} columns, expected {len(LIQUIDATION_SNAPSHOT_COLUMNS)}")
    if len(raw) == 0:
        raise ArchiveError("no rows")
    raw.columns = list(LIQUIDATION_SNAPSHOT_COLUMNS)
    raw = raw.apply(lambda col: col.str.strip())
    copies = int(raw.duplicated(keep="first").sum())
    rows = raw.drop_duplicates(keep="first").reset_index(drop=True)
    side_text = rows["side"].str.upper()
    if not side_text.isin(["BUY", "SELL"]).all():
        raise ArchiveError("side other than BUY or SELL")
    ts = timestamps_to_ms(numbers(rows, "time", "times"))
    filled = numbers(rows, "accumulated_fill_quantity", "quantities")
    price = numbers(rows, "average_price", "prices")
    nothing_filled = np.isfinite(filled) & (filled == 0)  # left out; anything else is judged by check_sane
    keep = ~nothing_filled
    if contract_usd is None:
        qty_base = filled
        notional = filled * price
    else:
        notional = filled * contract_usd
        with np.errstate(divide="ignore", invalid="ignore"):
            qty_base = notional / price
    events = pd.DataFrame({
        "ts": ts[keep], "exchange": BINANCE,
        # SELL is the forced order closing a long: the long was liquidated.
        "side": np.where(side_text.to_numpy()[keep] == "SELL", "long", "short"),
        "price": price[keep], "qty_base": qty_base[keep], "notional_usd": notional[keep],
    })
    liq = normalize("liquidations", events)
    series = {"liquidations": liq}
    check_sane(series)
    notes = []
    if copies:
        notes.append(f"{plural(copies, 'row')} repeating another row in all ten columns counted once")
    collapsed = int(keep.sum()) - len(liq)
    if collapsed:
        notes.append(f"{plural(collapsed, 'row')} with the time, side, price and quantity of another kept once")
    if nothing_filled.any():
        notes.append(f"{plural(int(nothing_filled.sum()), 'row')} with nothing filled left out")
    return ParsedFile(name, Kind.LIQUIDATIONS, None, None, series, notes=tuple(notes))


def parse_binance(base: str, name: str, data: bytes) -> Optional[ParsedFile]:
    """Parse a file whose name is a Binance archive name; None when it is not one."""
    for pattern, kind in ((KLINES_RE, Kind.KLINES), (METRICS_RE, Kind.METRICS), (FUNDING_RE, Kind.FUNDING),
                          (LIQUIDATION_RE, Kind.LIQUIDATIONS)):
        m = pattern.match(base)
        if m is None:
            continue
        sym = m.group("sym")
        contract_usd = coin_m_contract_usd(sym)  # raises for a name Binance does not use
        if kind == Kind.KLINES:
            parsed = parse_klines(name, data, m.group("tf"), contract_usd)
        elif kind == Kind.METRICS:
            parsed = parse_metrics(name, data, contract_usd)
        elif kind == Kind.FUNDING:
            parsed = parse_funding(name, data)
        else:
            parsed = parse_liquidation_snapshot(name, data, contract_usd)
        return ParsedFile(parsed.name, parsed.kind, binance_symbol(sym), parsed.timeframe_ms, parsed.series, parsed.notes)
    return None
