"""Valid input files in Binance's archive formats and a plain OHLCV CSV, for the archive fuzzer.

Klines and fundingRate files are made here in the archive's exact format (12 kline columns, header
rows as newer files carry them); metrics come from the real archive file in tests/fixtures.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
M = 60_000
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "binance_archive" / "BTCUSDT-metrics-2024-01-02.zip"
KLINE_HEADER = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
                "taker_buy_quote_volume,ignore")


def klines(n: int = 30, header: bool = True) -> str:
    rows = [KLINE_HEADER] if header else []
    for i in range(n):
        o = 42_000.0 + 3 * i
        rows.append(f"{T0 + i * M},{o:.1f},{o + 20:.1f},{o - 15:.1f},{o + 5:.1f},{12.5 + i:.3f},{T0 + i * M + M - 1},"
                    f"{(12.5 + i) * o:.2f},{100 + i},{6.25:.3f},{6.25 * o:.2f},0")
    return "\n".join(rows) + "\n"


def funding(n: int = 9, header: bool = True) -> str:
    rows = ["calc_time,funding_interval_hours,last_funding_rate"] if header else []
    rows += [f"{T0 + i * 8 * 60 * M + 7},8,{(-1) ** i * 0.0001 * (i + 1):.8f}" for i in range(n)]
    return "\n".join(rows) + "\n"


def ohlcv(n: int = 20) -> str:
    rows = ["timestamp,open,high,low,close,volume"]
    rows += [f"{T0 + i * 5 * M},{100 + i},{105 + i},{99 + i},{102 + i},{1.5 + i}" for i in range(n)]
    return "\n".join(rows) + "\n"


def metrics() -> str:
    with zipfile.ZipFile(FIXTURE) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        text = zf.read(name).decode()
    return "\n".join(text.splitlines()[:40]) + "\n"  # 39 rows: enough shape, fast to parse


def samples() -> dict[str, tuple[str, str]]:
    """kind -> (file name, valid content)."""
    return {
        "klines": ("BTCUSDT-1m-2026-01-01.csv", klines(header=True)),
        "klines_noheader": ("BTCUSDT-1m-2026-01-01.csv", klines(header=False)),
        "metrics": ("BTCUSDT-metrics-2024-01-02.csv", metrics()),
        "funding": ("BTCUSDT-fundingRate-2026-01.csv", funding(header=True)),
        "funding_noheader": ("BTCUSDT-fundingRate-2026-01.csv", funding(header=False)),
        "ohlcv": ("prices.csv", ohlcv()),
    }
