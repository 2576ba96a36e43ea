"""Hostile snapshot files and output paths: refused with one plain line (exit 2 on the command line, a
plain-text dialog in the window, the data shown before kept), never a traceback or a hang.

Before the fixes: a 3,000-deep JSON value in meta raised RecursionError and ``timeframe_ms = 2^62``
ValueError (exit 1 with a traceback; in the window "No data" and no dialog); 8,640 made-up exchange names
were read whole; a file too big for the memory at hand ended in MemoryError; ``--out`` replaced a FIFO or
an empty file; an interrupted save's temp file stayed for good; a file name rendered as HTML in the dialog.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import market.snapshot_file as snapshot_file
from market.series import MarketFrames
from market.snapshot_file import SnapshotError, remove_stale_temp_files, save_snapshot
from market.snapshot_source import open_snapshot
from tests.run_main import ROOT, run_main

T0 = 1_769_806_800_000
M = 60_000


def _frames(minutes: int = 30) -> MarketFrames:
    ts = T0 + M * np.arange(minutes)
    candles = pd.DataFrame({"ts": ts, "exchange": "binance", "open": 100.0, "high": 101.0, "low": 99.0, "close": 100.5,
                            "volume": 1.0, "taker_buy_volume": 0.5, "quote_volume": 100.0})
    oi = pd.DataFrame({"ts": ts, "exchange": "binance", "oi_base": 1000.0, "oi_usd": 1e5})
    return MarketFrames.build("BTC/USDT:USDT", M, candles=candles, open_interest=oi)


def _edit(path: Path, *sql: tuple) -> Path:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(*statement)
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def snapshot(tmp_path) -> Path:
    return save_snapshot(_frames(), tmp_path / "hostile.cascade", source_kind="demo")


DEEP = "[" * 3000 + "]" * 3000


def test_deep_json_in_meta_opens_without_recursion_error(snapshot, fuzz_cases):
    _edit(snapshot, ("UPDATE meta SET value = ? WHERE key = 'model_settings'", (DEEP,)),
          ("INSERT OR REPLACE INTO meta (key, value) VALUES ('positions', ?)", (DEEP,)))
    src = open_snapshot(snapshot)
    assert src.model_settings is None and src.positions is None  # not a settings dict: ignored, not crashed on
    res = run_main("report", "--open", str(snapshot))
    assert res.returncode in (0, 2) and "Traceback" not in res.stderr
    fuzz_cases.add("deep_json")


@pytest.mark.parametrize("timeframe", [2**62, 10**15, 0, -60_000, "\"1m\""])
def test_absurd_timeframes_are_refused_in_one_line(snapshot, timeframe, fuzz_cases):
    _edit(snapshot, ("UPDATE meta SET value = ? WHERE key = 'timeframe_ms'", (str(timeframe),)))
    with pytest.raises(SnapshotError) as err:
        open_snapshot(snapshot)
    assert str(err.value).startswith("hostile.cascade: damaged Cascade file (bad timeframe") and "\n" not in str(err.value)
    if timeframe == 2**62:
        res = run_main("report", "--open", str(snapshot))
        assert res.returncode == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    fuzz_cases.add("absurd_timeframes")


def test_thousands_of_made_up_exchange_names_are_refused_before_reading(snapshot, fuzz_cases):
    rows = [("BTC/USDT:USDT", M, T0 + i * M, f"venue{i}", 1.0, 1.0, 1.0, 1.0, 1.0, None, None) for i in range(8640)]
    conn = sqlite3.connect(snapshot)
    conn.executemany("INSERT INTO candles VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    with pytest.raises(SnapshotError, match=r"table candles names 8,640 exchanges Cascade does not know \(e.g. 'venue0'\); "
                                            r"it shows binance, okx, bybit"):
        open_snapshot(snapshot)
    fuzz_cases.add("unknown_venues")


def test_a_file_too_big_for_the_memory_at_hand_is_refused_plainly(snapshot, monkeypatch, fuzz_cases):
    monkeypatch.setattr(snapshot_file, "available_memory_bytes", lambda: 4096)
    with pytest.raises(SnapshotError, match=r"hostile\.cascade: too big for the memory at hand \(60 rows need about 0\.0 GB"):
        open_snapshot(snapshot)
    fuzz_cases.add("memory_bound")


def test_the_memory_at_hand_counts_an_address_space_limit():
    script = ("import resource; from market.snapshot_file import available_memory_bytes as a\n"
              "vm = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize:'))\n"
              "resource.setrlimit(resource.RLIMIT_AS, (vm + 64 * 2**20, resource.RLIM_INFINITY))\n"
              "print(a())")
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert int(res.stdout) <= 64 * 2**20


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_out_refuses_a_fifo_and_an_empty_file(tmp_path, snapshot, fuzz_cases):
    fifo = tmp_path / "pipe.cascade"
    os.mkfifo(fifo)
    res = run_main("import", str(ROOT / "tests" / "fixtures" / "binance_archive"), "--out", str(fifo), timeout=60)
    assert res.returncode == 2
    assert res.stderr == "cascade import: pipe.cascade: not a regular file (a FIFO, device or socket); refusing to write to it\n"
    assert fifo.is_fifo()
    res = run_main("report", "--open", str(fifo), timeout=60)  # opening one never blocks either
    assert res.returncode == 2 and "not a regular file" in res.stderr
    empty = tmp_path / "empty.cascade"
    empty.write_bytes(b"")
    res = run_main("snapshot", "--demo", "--days", "1", "--out", str(empty), timeout=60)
    assert res.returncode == 2 and res.stderr == (
        "cascade snapshot: empty.cascade: exists and is empty, not a Cascade file; refusing to overwrite it\n")
    assert empty.read_bytes() == b""
    fuzz_cases.add("special_files", 3)


def test_stale_temp_files_of_an_interrupted_save_are_removed(tmp_path, snapshot, fuzz_cases):
    old = time.time() - 2 * 3600
    stale = tmp_path / ".hostile.cascade.k3j_9xQa.tmp"
    stale.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    other_stale = tmp_path / ".other.cascade.abcdefgh.tmp"
    other_stale.write_bytes(b"")
    fresh = tmp_path / ".hostile.cascade.freshone.tmp"  # a save running in another process right now
    fresh.write_bytes(b"SQLite format 3\x00")
    not_ours = tmp_path / ".hostile.cascade.notoursx.tmp"
    not_ours.write_bytes(b"someone else's data")
    unrelated = tmp_path / ".notes.txt.abcdefgh.tmp"
    unrelated.write_bytes(b"")
    for p in (stale, other_stale, not_ours, unrelated):
        os.utime(p, (old, old))
    save_snapshot(_frames(5), snapshot, source_kind="demo")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".hostile.cascade.freshone.tmp", ".hostile.cascade.notoursx.tmp", ".notes.txt.abcdefgh.tmp",
                           "hostile.cascade"])
    assert remove_stale_temp_files(tmp_path, "hostile.cascade") == []
    fuzz_cases.add("stale_temps")


# ----------------------------------------------------------------------------------------- the window

HOSTILE_HTML = "<h1><font color=red>SYSTEM ALERT: wallet compromised</font></h1>.cascade"


@pytest.fixture
def window(qtbot):
    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import SourceSpec

    make_app()
    win = MainWindow(SourceSpec("demo", seed=7, speed=1.0, history_days=1))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session is not None and win.session.info is not None and len(win.frames.candles) > 0,
                    timeout=30_000)
    yield win
    win.close()


def test_hostile_snapshots_in_the_window_get_a_plain_text_dialog_and_keep_the_data(window, qtbot, tmp_path, fuzz_cases):
    from PySide6 import QtCore

    deep = save_snapshot(_frames(), tmp_path / "deep.cascade", source_kind="demo")
    _edit(deep, ("UPDATE meta SET value = ? WHERE key = 'timeframe_ms'", (str(2**62),)))
    venues = save_snapshot(_frames(), tmp_path / HOSTILE_HTML, source_kind="demo")
    _edit(venues, ("UPDATE candles SET exchange = 'made-up' WHERE ts = ?", (T0,)))
    before = len(window.frames.candles)
    for path, needle in ((deep, "bad timeframe"), (venues, "Cascade does not know")):
        with qtbot.waitSignal(window.error_shown, timeout=15_000) as sig:
            window.open_snapshot_path(str(path))
        assert needle in sig.args[0]
        box = window.services.error_box
        assert box.isVisible() and box.textFormat() == QtCore.Qt.TextFormat.PlainText
        assert window.session.info.kind == "demo" and len(window.frames.candles) >= before  # nothing lost
        fuzz_cases.add("hostile_html" if path == venues else "absurd_timeframes")
    assert HOSTILE_HTML in box.text()  # shown as typed, tags and all
