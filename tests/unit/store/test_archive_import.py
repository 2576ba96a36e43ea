"""Import of Binance USDⓈ-M archive files (klines, metrics, fundingRate) and plain OHLCV CSVs.

Klines and fundingRate files are written here in the archive's exact format (12-column klines with and
without the header newer files carry; zipped and not); metrics come from a real archive file.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from market.archive import (
    METRICS_SHIFT_MS,
    ImportProblem,
    binance_symbol,
    import_files,
    infer_timeframe_ms,
    timestamps_to_ms,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "binance_archive"
KLINE_HEADER = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
DAY1 = 1_704_153_600_000  # 2024-01-02 00:00 UTC
M = 60_000


def kline_rows(t0: int, n: int, *, unit: str = "ms", step: int = M) -> list[str]:
    """Rows as Binance writes them: open_time .. ignore, close_time = open_time + step - 1."""
    rows = []
    for i in range(n):
        t = t0 + i * step
        o = 42_283.6 + i
        mult = {"ms": 1, "us": 1000}[unit]
        rows.append(
            f"{t * mult},{o:.1f},{o + 46.4:.1f},{o - 17.8:.1f},{o + 29.2:.1f},{312.456 + i:.3f},{(t + step - 1) * mult},"
            f"{13216453.2345 + i:.4f},{3012 + i},{180.123 + i:.3f},{7619221.1234 + i:.4f},0"
        )
    return rows


def write(path: Path, lines: list[str], *, zipped: bool = False) -> Path:
    text = "\n".join(lines) + "\n"
    if zipped:
        zpath = path.with_suffix(".zip")
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(path.name, text)
        return zpath
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------------------- pieces

def test_binance_symbol_names_map_to_ccxt():
    assert binance_symbol("BTCUSDT") == "BTC/USDT:USDT"
    assert binance_symbol("ETHUSDC") == "ETH/USDC:USDC"
    assert binance_symbol("1000PEPEUSDT") == "1000PEPE/USDT:USDT"
    assert binance_symbol("BTCUSDT_240628") == "BTC/USDT:USDT-240628"
    with pytest.raises(ValueError):
        binance_symbol("BTCEUR")


def test_time_units_are_told_apart_by_magnitude():
    ms = np.array([DAY1, DAY1 + M])
    assert timestamps_to_ms(ms // 1000).tolist() == ms.tolist()
    assert timestamps_to_ms(ms).tolist() == ms.tolist()
    assert timestamps_to_ms(ms * 1000).tolist() == ms.tolist()
    assert timestamps_to_ms(ms * 1_000_000).tolist() == ms.tolist()
    assert timestamps_to_ms(np.array([DAY1 * 1000, DAY1 + M])).tolist() == ms.tolist()  # mixed files
    with pytest.raises(ValueError, match="neither seconds"):
        timestamps_to_ms(np.array([12345]))


def test_timeframe_is_the_most_common_step_not_fooled_by_gaps():
    t = DAY1 + M * np.array([0, 1, 2, 3, 10, 11, 12, 40])
    assert infer_timeframe_ms(t) == M
    assert infer_timeframe_ms(np.array([DAY1, DAY1 + 3_600_000])) == 3_600_000
    assert infer_timeframe_ms(np.array([DAY1])) is None


# ----------------------------------------------------------------------------------------- klines

def test_klines_with_and_without_header_zipped_and_not(tmp_path):
    write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", [KLINE_HEADER] + kline_rows(DAY1, 3))
    write(tmp_path / "BTCUSDT-1m-2024-01-03.csv", kline_rows(DAY1 + 86_400_000, 2), zipped=True)
    (tmp_path / "sub").mkdir()  # directories are walked
    write(tmp_path / "sub" / "BTCUSDT-1m-2024-01-04.csv", [KLINE_HEADER] + kline_rows(DAY1 + 2 * 86_400_000, 2), zipped=True)
    write(tmp_path / "BTCUSDT-1m-2024-01-05.csv", kline_rows(DAY1 + 3 * 86_400_000, 2))
    result = import_files([tmp_path])
    assert result.skipped == ()
    f = result.frames
    assert f.symbol == "BTC/USDT:USDT" and f.timeframe_ms == M
    c = f.candles
    assert len(c) == 9 and set(c["exchange"]) == {"binance"}
    first = c.iloc[0]
    assert first["ts"] == DAY1
    assert (first["open"], first["high"], first["low"], first["close"]) == (42283.6, 42330.0, 42265.8, 42312.8)
    assert first["volume"] == 312.456 and first["taker_buy_volume"] == 180.123 and first["quote_volume"] == 13216453.2345
    day4 = c[c["ts"] >= DAY1 + 2 * 86_400_000]["ts"].tolist()
    assert day4[:2] == [DAY1 + 2 * 86_400_000, DAY1 + 2 * 86_400_000 + M]


def test_klines_written_in_microseconds(tmp_path):
    write(tmp_path / "BTCUSDT-1m-2025-01-02.csv", [KLINE_HEADER] + kline_rows(DAY1, 3, unit="us"))
    c = import_files([tmp_path]).frames.candles
    assert c["ts"].tolist() == [DAY1, DAY1 + M, DAY1 + 2 * M]


def test_klines_whose_spacing_contradicts_the_name_are_skipped(tmp_path):
    write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", kline_rows(DAY1, 3, step=5 * M))
    result = import_files([tmp_path])
    assert result.frames.is_empty()
    (s,) = result.skipped
    assert s.name.endswith("BTCUSDT-1m-2024-01-02.csv") and s.reason == "rows are 5m apart but the name says 1m"


# ----------------------------------------------------------------------------------------- metrics, funding

def test_real_metrics_archive_file():
    result = import_files([FIXTURES / "BTCUSDT-metrics-2024-01-02.zip"])
    assert result.skipped == ()
    oi, ls = result.frames.open_interest, result.frames.long_short
    assert len(oi) == 288 and len(ls) == 288
    # create_time 2024-01-02 00:00:00 is REST's 00:05 bucket: shifted by one 5-minute step
    assert METRICS_SHIFT_MS == 300_000
    assert oi["ts"].iloc[0] == DAY1 + 300_000 and oi["ts"].iloc[-1] == DAY1 + 86_400_000
    assert oi["oi_base"].iloc[0] == 76608.798 and oi["oi_usd"].iloc[0] == 3388422457.2996
    assert oi["oi_base"].iloc[-1] == 79762.793
    assert ls["ratio"].iloc[0] == 1.08284578  # count_long_short_ratio: the global account ratio
    assert np.all(np.diff(oi["ts"].to_numpy()) == 300_000)


def test_funding_times_rounded_to_the_funding_instant(tmp_path):
    write(
        tmp_path / "BTCUSDT-fundingRate-2024-01.csv",
        [
            "calc_time,funding_interval_hours,last_funding_rate",
            f"{DAY1},8,0.00037409",
            f"{DAY1 + 8 * 3_600_000 + 3},8,8.4E-7",  # a few ms late, scientific notation
            f"{DAY1 + 16 * 3_600_000 - 2},8,-0.00001234",  # a few ms early, negative
        ],
    )
    write(tmp_path / "ETHUSDT-fundingRate-2024-01.csv", [f"{DAY1},8,0.0001"], zipped=True)  # no header
    fr = import_files([tmp_path], symbol="BTC/USDT:USDT").frames.funding
    assert fr["ts"].tolist() == [DAY1, DAY1 + 8 * 3_600_000, DAY1 + 16 * 3_600_000]
    assert fr["rate"].tolist() == [0.00037409, 8.4e-7, -0.00001234]
    eth = import_files([tmp_path / "ETHUSDT-fundingRate-2024-01.zip"]).frames
    assert eth.symbol == "ETH/USDT:USDT" and eth.funding["rate"].tolist() == [0.0001]


# ----------------------------------------------------------------------------------------- plain OHLCV

@pytest.mark.parametrize(
    "column, times",
    [
        ("timestamp", [str(DAY1 + h * 3_600_000) for h in (0, 1, 2, 4)]),
        ("open_time_ms", [str(DAY1 + h * 3_600_000) for h in (0, 1, 2, 4)]),
        ("date", [str((DAY1 + h * 3_600_000) // 1000) for h in (0, 1, 2, 4)]),
        ("datetime", ["2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z", "2024-01-02T02:00:00Z", "2024-01-02T04:00:00Z"]),
        ("date", ["2024-01-02 00:00:00+00:00", "2024-01-02 01:00:00+00:00", "2024-01-02 02:00:00+00:00", "2024-01-02 04:00:00+00:00"]),
        ("date", ["2024-01-02 01:00:00+01:00", "2024-01-02 02:00:00+01:00", "2024-01-02 03:00:00+01:00", "2024-01-02 05:00:00+01:00"]),
    ],
)
def test_plain_ohlcv_csv_in_ms_s_and_iso(tmp_path, column, times):
    lines = [f"{column},open,high,low,close,volume"]
    for i, t in enumerate(times):
        lines.append(f"{t},{100 + i},{110 + i},{90 + i},{105 + i},{2.5 * (i + 1)}")
    write(tmp_path / "BTC_USDT-1h.csv", lines)
    f = import_files([tmp_path], exchange="okx", symbol="BTC/USDT:USDT").frames
    assert f.timeframe_ms == 3_600_000  # the 2h gap does not change it
    c = f.candles
    assert c["ts"].tolist() == [DAY1, DAY1 + 3_600_000, DAY1 + 7_200_000, DAY1 + 4 * 3_600_000]
    assert c["exchange"].tolist() == ["okx"] * 4
    assert c["close"].tolist() == [105.0, 106.0, 107.0, 108.0] and c["volume"].tolist() == [2.5, 5.0, 7.5, 10.0]
    assert c["taker_buy_volume"].isna().all()


def test_plain_ohlcv_needs_an_exchange(tmp_path):
    write(tmp_path / "candles.csv", ["timestamp,open,high,low,close,volume", f"{DAY1},1,2,0.5,1.5,3", f"{DAY1 + M},1,2,0.5,1.5,3"])
    result = import_files([tmp_path])
    assert result.frames.is_empty()
    assert "pass --exchange" in result.skipped[0].reason


# ----------------------------------------------------------------------------------------- bad input

def test_malformed_and_unknown_files_are_named_and_skipped(tmp_path):
    good = write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", kline_rows(DAY1, 2))
    write(tmp_path / "BTCUSDT-1m-2024-01-03.csv", [r.rsplit(",", 1)[0] for r in kline_rows(DAY1 + 86_400_000, 2)])  # 11 columns
    write(tmp_path / "BTCUSDT-1m-2024-01-04.csv", [kline_rows(DAY1, 1)[0].replace("42283.6", "abc", 1)])
    neg = kline_rows(DAY1 + 4 * 86_400_000, 2)
    neg[1] = neg[1].replace(",42284.6,", ",-42284.6,", 1)
    write(tmp_path / "BTCUSDT-1m-2024-01-05.csv", neg)
    (tmp_path / "BTCUSDT-1m-2024-01-06.csv").write_text("")
    zipped = write(tmp_path / "BTCUSDT-1m-2024-01-07.csv", kline_rows(DAY1 + 6 * 86_400_000, 2), zipped=True)
    zipped.write_bytes(zipped.read_bytes()[:40])  # truncated download
    (tmp_path / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (tmp_path / "notes.csv").write_text("hello,world\n1,2\n")
    result = import_files([tmp_path])
    reasons = {Path(s.name.split("!")[0]).name: s.reason for s in result.skipped}
    assert reasons == {
        "BTCUSDT-1m-2024-01-03.csv": "11 columns, expected 12",
        "BTCUSDT-1m-2024-01-04.csv": reasons["BTCUSDT-1m-2024-01-04.csv"],
        "BTCUSDT-1m-2024-01-05.csv": "1 row with zero, negative or missing prices",
        "BTCUSDT-1m-2024-01-06.csv": "empty file",
        "BTCUSDT-1m-2024-01-07.zip": reasons["BTCUSDT-1m-2024-01-07.zip"],
        "chart.png": "not a CSV, JSON or ZIP file",
        "notes.csv": "not a Binance archive file, nor an OHLCV CSV with a header naming a time column and open, high, low, close, volume",
    }
    assert reasons["BTCUSDT-1m-2024-01-04.csv"].startswith("not the expected numeric columns")
    assert reasons["BTCUSDT-1m-2024-01-07.zip"].startswith("damaged ZIP file")
    assert [f.name for f in result.files] == [str(good)]
    assert result.frames.candles["ts"].tolist() == [DAY1, DAY1 + M]


def test_a_zip_that_fails_its_checksum_is_skipped(tmp_path):
    z = write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", kline_rows(DAY1, 2), zipped=True)
    good = hashlib.sha256(z.read_bytes()).hexdigest()
    sidecar = tmp_path / (z.name + ".CHECKSUM")
    sidecar.write_text(f"{good}  {z.name}\n")
    assert len(import_files([tmp_path]).frames.candles) == 2 and import_files([tmp_path]).skipped == ()
    sidecar.write_text(f"{'0' * 64}  {z.name}\n")
    result = import_files([tmp_path])
    assert result.frames.is_empty() and "CHECKSUM" in result.skipped[0].reason


def test_one_symbol_and_one_timeframe_per_snapshot(tmp_path):
    write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", kline_rows(DAY1, 3))
    write(tmp_path / "ETHUSDT-1m-2024-01-02.csv", kline_rows(DAY1, 3))
    with pytest.raises(ImportProblem, match=r"several symbols \(BTC/USDT:USDT, ETH/USDT:USDT\): choose one with --symbol"):
        import_files([tmp_path])
    result = import_files([tmp_path], symbol="ETH/USDT:USDT")
    assert result.frames.symbol == "ETH/USDT:USDT" and len(result.frames.candles) == 3
    assert [s.reason for s in result.skipped] == ["is BTC/USDT:USDT, not ETH/USDT:USDT"]
    (tmp_path / "ETHUSDT-1m-2024-01-02.csv").unlink()
    write(tmp_path / "BTCUSDT-1h-2024-01-02.csv", kline_rows(DAY1, 2, step=3_600_000))
    result = import_files([tmp_path])
    assert result.frames.timeframe_ms == M and len(result.frames.candles) == 3
    assert [s.reason for s in result.skipped] == ["1h candles, but most candles are 1m (one timeframe per snapshot)"]
