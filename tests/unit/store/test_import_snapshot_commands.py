"""The `import` and `snapshot` commands end to end: real processes, real files, exit codes and messages."""

from __future__ import annotations

import argparse
import threading
import time

import pytest
from tests.unit.store.store_testdata import assert_frames_equal
from tests.unit.store.test_archive_import import DAY1, KLINE_HEADER, M, kline_rows, write

from commands.errors import CommandError
from market.snapshot_source import open_snapshot
from market.venues import VENUE_NAMES
from tests.run_main import ROOT, run_main

FIXTURES = ROOT / "tests" / "fixtures" / "binance_archive"
cascade = run_main


def test_import_command_writes_a_snapshot_and_names_skipped_files(tmp_path):
    src = tmp_path / "archive"
    src.mkdir()
    write(src / "BTCUSDT-1m-2024-01-02.csv", [KLINE_HEADER] + kline_rows(DAY1, 5), zipped=True)
    (src / "broken.csv").write_text("what,is,this\n")
    out = tmp_path / "jan.cascade"
    res = cascade("import", str(src), str(FIXTURES / "BTCUSDT-metrics-2024-01-02.zip"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == (
        f"imported 2 files into {out}: candles 5 (1m), open_interest 288, long_short 288; "
        "2024-01-02 00:00 to 2024-01-03 00:00 UTC; binance; BTC/USDT:USDT"
    )
    assert res.stderr.strip().splitlines() == [f"cascade import: skipped {src / 'broken.csv'}: " + (
        "not a Binance archive file, nor an OHLCV CSV with a header naming a time column and open, high, low, close, volume")]
    snap = open_snapshot(out)
    assert snap.meta["source_kind"] == "import"
    frames = snap.history("BTC/USDT:USDT")
    assert frames.candles["ts"].tolist() == [DAY1 + i * M for i in range(5)]
    assert frames.open_interest["oi_base"].iloc[0] == 76608.798


def test_import_of_plain_csv_uses_exchange_and_symbol(tmp_path):
    f = write(tmp_path / "eth.csv", ["date,open,high,low,close,volume"] + [
        f"2024-01-02T0{h}:00:00Z,2300,2310,2290,2305,{h + 1}" for h in range(3)])
    out = tmp_path / "eth.cascade"
    res = cascade("import", str(f), "--out", str(out), "--exchange", "bybit", "--symbol", "ETH/USDT:USDT")
    assert res.returncode == 0, res.stderr
    frames = open_snapshot(out).history("ETH/USDT:USDT")
    assert frames.timeframe_ms == 3_600_000 and frames.candles["exchange"].tolist() == ["bybit"] * 3
    res = cascade("import", str(f), "--out", str(out), "--exchange", "kraken")
    assert res.returncode == 2 and res.stderr.strip() == f"cascade import: unknown exchange 'kraken': choose one of {', '.join(VENUE_NAMES)}"


def test_import_with_nothing_valid_exits_2_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "keep.cascade"
    ok = cascade("import", str(FIXTURES / "BTCUSDT-metrics-2024-01-02.zip"), "--out", str(out))
    assert ok.returncode == 0
    before = out.read_bytes()
    bad = tmp_path / "BTCUSDT-1m-2024-01-02.csv"
    bad.write_text("1,2,3\n")
    res = cascade("import", str(bad), str(tmp_path / "missing.zip"), "--out", str(out))
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [
        f"cascade import: skipped {bad}: 3 columns, expected 12",
        f"cascade import: skipped {tmp_path / 'missing.zip'}: no such file",
        "cascade import: nothing to import: no readable Binance archive, Coinalyze, OHLCV or open-interest file among the given paths",
    ]
    assert out.read_bytes() == before


def test_import_refuses_to_overwrite_a_file_that_is_not_a_snapshot(tmp_path):
    precious = tmp_path / "thesis.txt"
    precious.write_text("months of work\n")
    res = cascade("import", str(FIXTURES), "--out", str(precious))
    assert res.returncode == 2
    assert res.stderr.strip().endswith("thesis.txt: exists and is not a Cascade file; refusing to overwrite it")
    assert precious.read_text() == "months of work\n"


def test_snapshot_demo_command_writes_the_demo_history(tmp_path):
    pytest.importorskip("market.simulator")
    from market.simulator import DemoSource

    out = tmp_path / "demo.cascade"
    res = cascade("snapshot", "--demo", "--days", "1", "--seed", "11", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"wrote {out}: candles {1440 * len(VENUE_NAMES):,} (1m)")  # a day on every registered venue
    snap = open_snapshot(out)
    assert snap.meta["source_kind"] == "demo" and snap.info().kind == "snapshot"
    demo = DemoSource(seed=11, history_days=1)
    expected = demo.history("BTC/USDT:USDT")
    demo.close()
    assert_frames_equal(snap.history("BTC/USDT:USDT"), expected)


def test_snapshot_live_without_network_fails_in_one_line(tmp_path, monkeypatch):
    from commands import snapshot_cmd

    monkeypatch.setattr(snapshot_cmd, "LIVE_STALL_S", 3.0)
    monkeypatch.setenv("CASCADE_DATA_DIR", str(tmp_path / "data"))
    args = argparse.Namespace(command="snapshot", demo=False, live=True, days=1.0, out=str(tmp_path / "l.cascade"),
                              seed=7, symbol="BTC/USDT:USDT")
    t0 = time.monotonic()
    with pytest.raises(CommandError) as err:
        snapshot_cmd.run(args)
    assert time.monotonic() - t0 < 60
    assert "\n" not in str(err.value)
    assert not (tmp_path / "l.cascade").exists()
    if "not available" not in str(err.value):  # with market.live: the app's cache was used, in the data dir
        assert (tmp_path / "data" / "cascade-store.sqlite").exists()


def test_a_stalled_download_is_abandoned_and_errors_are_one_line():
    from commands.snapshot_cmd import run_with_stall_timeout

    release = threading.Event()

    def hangs(progress):
        progress(0.1, "binance candles")
        release.wait(30)
        raise AssertionError("should have been abandoned")

    t0 = time.monotonic()
    with pytest.raises(CommandError, match=r"no answer from the exchanges for 1 s \(offline\?\)"):
        run_with_stall_timeout(hangs, 1.0)
    assert time.monotonic() - t0 < 10
    release.set()

    def fails(progress):
        raise ConnectionError("Cannot connect to host fapi.binance.com:443\nmore detail")

    with pytest.raises(CommandError, match=r"^live download failed: Cannot connect to host fapi.binance.com:443$"):
        run_with_stall_timeout(fails, 5.0)


def test_import_accepts_binance_spelling_of_the_symbol(tmp_path):
    out = tmp_path / "m.cascade"
    res = cascade("import", str(FIXTURES / "BTCUSDT-metrics-2024-01-02.zip"), "--out", str(out), "--symbol", "BTCUSDT")
    assert res.returncode == 0, res.stderr
    assert open_snapshot(out).info().symbols == ("BTC/USDT:USDT",)
    res = cascade("import", str(FIXTURES / "BTCUSDT-metrics-2024-01-02.zip"), "--out", str(out), "--symbol", "BTCEUR")
    assert res.returncode == 2 and "unknown symbol 'BTCEUR'" in res.stderr


def test_import_command_reads_liquidations_and_notes_what_it_did(tmp_path):
    from tests.unit.store.test_archive_liquidations import HEADER

    row = f"{DAY1 + 5},SELL,LIMIT,IOC,5,42000.0,42000.0,FILLED,5,5"
    write(tmp_path / "BTCUSD_PERP-liquidationSnapshot-2024-01-02.csv", [HEADER, row, row], zipped=True)
    out = tmp_path / "liq.cascade"
    res = cascade("import", str(tmp_path), "--out", str(out))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0] == f"imported 1 file into {out}: liquidations 1; 2024-01-02 00:00 to 2024-01-02 00:00 UTC; binance; BTC/USD:BTC"
    assert lines[1:] == [f"  note: {tmp_path / 'BTCUSD_PERP-liquidationSnapshot-2024-01-02.zip'}!BTCUSD_PERP-liquidationSnapshot-"
                         "2024-01-02.csv: 1 row repeating another row in all ten columns counted once"]
    assert open_snapshot(out).history("BTC/USD:BTC").liquidations["notional_usd"].tolist() == [500.0]


def test_import_command_open_interest_options(tmp_path):
    f = write(tmp_path / "oi.csv", ["timestamp,open_interest", f"{DAY1},2500000", f"{DAY1 + 300_000},2500100"])
    out = tmp_path / "oi.cascade"
    res = cascade("import", str(f), "--out", str(out), "--exchange", "okx", "--symbol", "BTC/USDT:USDT",
                  "--oi-unit", "contracts", "--contract-size", "0.01")
    assert res.returncode == 0, res.stderr
    assert open_snapshot(out).history("BTC/USDT:USDT").open_interest["oi_base"].tolist() == [25000.0, 25001.0]
    res = cascade("import", str(f), "--out", str(tmp_path / "x.cascade"), "--oi-unit", "lots")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--oi-unit" in res.stderr
    res = cascade("import", str(f), "--out", str(tmp_path / "x.cascade"))
    assert res.returncode == 2
    assert res.stderr.splitlines()[0].endswith("pass --exchange, --symbol and --oi-unit base|contracts|usd")
