"""Fuzzing the hostile-input classes: oversized and lying zip members, special files, deep JSON, absurd
timeframes, escape sequences in names, hostile HTML. Each case ends clean: read, or refused with a
one-line reason; never an exception, a hang, or text a terminal or Qt would interpret.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sqlite3
import struct
import tempfile
import zipfile
from argparse import Namespace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import import_cmd
from commands.errors import printable, run_command
from market.archive import import_files, read_path
from market.snapshot_file import SnapshotError, save_snapshot
from market.snapshot_source import open_snapshot
from tests.reliability.archive_samples import klines
from tests.reliability.test_hostile_snapshots import _frames

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _one_line(reason: str) -> None:
    assert reason and "\n" not in reason and "\r" not in reason, repr(reason)


# ----------------------------------------------------------------------------------------- names

hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\ncascade import: imported 99 files", "\r\x1b[K", "\u202e", "\u2028", "\x9b31m", "\x00"])


@FAST
@given(hostile_text)
def test_printable_leaves_nothing_a_terminal_acts_on(fuzz_cases, text):
    out = printable(text)
    assert all(ch.isprintable() for ch in out)
    assert out == text if text.isprintable() else out != text
    fuzz_cases.add("escaped_names")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# A leading dot makes a hidden file, which the walk leaves out like the rest of a folder's dotfiles.
@given(name=hostile_text.map(lambda s: "x" + (s.replace("/", "_").replace("\x00", "_"))))
def test_import_prints_any_file_name_as_one_harmless_line(fuzz_cases, name):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / "BTCUSDT-1m-2026-01-01.csv").write_text(klines(3))
        try:
            (folder / (name[:100] + ".csv")).write_text("not,market\n")
        except (OSError, ValueError):
            return  # a name this file system refuses
        args = Namespace(command="import", paths=[str(folder)], out=str(Path(tmp) / "o.cascade"), exchange=None, symbol=None,
                         oi_unit=None, contract_size=None, liq_unit=None)
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = run_command(import_cmd.run, args)
    assert code == 0
    for stream in (err.getvalue(), out.getvalue()):
        assert all(ch.isprintable() or ch == "\n" for ch in stream), repr(stream)
    lines = err.getvalue().split("\n")[:-1]
    assert len(lines) == 1 and lines[0].startswith("cascade import: skipped ")
    fuzz_cases.add("escaped_names")


# ----------------------------------------------------------------------------------------- zip members

def _patch(zpath: Path, size: int, packed: int | None) -> None:
    data = bytearray(zpath.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, size)
    struct.pack_into("<I", data, central + 24, size)
    if packed is not None:
        struct.pack_into("<I", data, local + 18, packed)
        struct.pack_into("<I", data, central + 20, packed)
    zpath.write_bytes(bytes(data))


@FAST
@given(size=st.integers(0, 2**32 - 1), packed=st.none() | st.integers(0, 2**32 - 1), rows=st.integers(1, 400),
       method=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
def test_zip_members_declaring_any_size_are_read_or_refused(fuzz_cases, size, packed, rows, method):
    with tempfile.TemporaryDirectory() as tmp:
        z = Path(tmp) / "BTCUSDT-1m-2026-01-02.zip"
        with zipfile.ZipFile(z, "w", method) as zf:
            zf.writestr("BTCUSDT-1m-2026-01-02.csv", klines(rows))
        _patch(z, size, packed)
        got, skipped = read_path(z)
    assert len(got) + len(skipped) >= 1
    for s in skipped:
        _one_line(s.reason)
    fuzz_cases.add("oversized_members")


# ----------------------------------------------------------------------------------------- special files

def _make_special(folder: Path, kind: str, name: str) -> None:
    target = folder / name
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev_zero":
        target.symlink_to("/dev/zero")
    elif kind == "dev_null":
        target.symlink_to("/dev/null")
    elif kind == "folder":
        target.mkdir()
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(str(target))
        finally:
            s.close()
    elif kind == "dangling":
        target.symlink_to(folder / "nowhere")


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX special files")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(["fifo", "dev_zero", "dev_null", "folder", "socket", "dangling"]), min_size=1, max_size=4),
       names=st.lists(st.sampled_from(["BTCUSDT-1m-2026-01-0{}.csv", "BTCUSDT-metrics-2026-01-0{}.zip", "x{}.json",
                                       "BTCUSDT_PERP.3_1min{}.csv", "a{}.zip.CHECKSUM"]), min_size=4, max_size=4))
def test_special_files_in_an_imported_folder_are_skipped_never_read(fuzz_cases, kinds, names):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "BTCUSDT-1m-2026-01-09.csv").write_text(klines(3))
        for i, kind in enumerate(kinds):
            _make_special(folder, kind, names[i].format(i))
        result = import_files([folder])  # a FIFO opened for reading would hang here (hang guard fails the run)
    assert len(result.frames.candles) == 3
    for s in result.skipped:
        _one_line(s.reason)
    fuzz_cases.add("special_files", len(kinds))


# ----------------------------------------------------------------------------------------- snapshots

@pytest.fixture(scope="module")
def base_snapshot(tmp_path_factory) -> bytes:
    path = save_snapshot(_frames(), tmp_path_factory.mktemp("fz") / "base.cascade", source_kind="demo")
    return path.read_bytes()


def _open_clean(data: bytes, edits: list[tuple[str, tuple]]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.cascade"
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        for sql, params in edits:
            conn.execute(sql, params)
        conn.commit()
        conn.close()
        try:
            src = open_snapshot(path)
            src.info()
            src.feed_states()
            return "opened"
        except SnapshotError as exc:
            _one_line(str(exc))
            return "refused"


def _nested(depth: int, opener: str) -> str:
    close = {"[": "]", "{\"a\":": "}"}[opener]
    return opener * depth + "1" + close * depth


@FAST
@given(depth=st.integers(1, 6000), opener=st.sampled_from(["[", "{\"a\":"]),
       key=st.sampled_from(["model_settings", "positions", "symbol", "exchanges", "source_kind", "created_at_ms"]))
def test_deep_json_anywhere_in_meta_opens_or_is_refused(fuzz_cases, base_snapshot, depth, opener, key):
    _open_clean(base_snapshot, [("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _nested(depth, opener)))])
    fuzz_cases.add("deep_json")


@FAST
@given(depth=st.integers(1, 6000), opener=st.sampled_from(["[", "{\"a\":"]))
def test_deep_json_as_a_coinalyze_file_is_refused(fuzz_cases, depth, opener):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "liq.json"
        p.write_text(_nested(depth, opener))
        got, skipped = read_path(p)
    assert not got and len(skipped) == 1
    _one_line(skipped[0].reason)
    fuzz_cases.add("deep_json")


int64 = st.integers(-(2**63), 2**63 - 1)
absurd = int64 | st.sampled_from([2**62, 2**63 - 1, -(2**63), 0, -1, 1]) | st.floats(allow_nan=False) | st.text(max_size=5)


@FAST
@given(key=st.sampled_from(["timeframe_ms", "created_at_ms", "start_ms", "end_ms"]), value=absurd)
def test_absurd_times_in_meta_open_or_are_refused(fuzz_cases, base_snapshot, key, value):
    text = json.dumps(value, allow_nan=True)
    _open_clean(base_snapshot, [("UPDATE meta SET value = ? WHERE key = ?", (text, key))])
    fuzz_cases.add("absurd_timeframes")


@FAST
@given(ts=int64)
def test_absurd_row_times_open_or_are_refused(fuzz_cases, base_snapshot, ts):
    _open_clean(base_snapshot, [("UPDATE candles SET ts = ? WHERE ts = (SELECT max(ts) FROM candles)", (ts,))])
    fuzz_cases.add("absurd_timeframes")


# ----------------------------------------------------------------------------------------- the window

html = st.sampled_from(["<h1>", "<font color=red>", "<b>", "<a href='file:///etc/passwd'>", "<img src=x>", "&lt;", "<br>",
                        "<table><tr><td>", "<!--", "<script>", "SYSTEM ALERT", "</html>", "\n"]) | st.text(max_size=8)


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    import time

    from PySide6 import QtCore, QtWidgets

    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import SourceSpec
    from market.simulator import DemoSource
    from market.store import save_snapshot

    # A saved day, not the running demo: once drawn, the window has no more background work, so the
    # dangling-task check after each case sees only what the case itself started.
    path = tmp_path_factory.mktemp("hostile") / "day.cascade"
    src = DemoSource(seed=7, history_days=1)
    save_snapshot(src.history(src.symbol), path, source_kind="demo")
    make_app()
    win = MainWindow(SourceSpec("snapshot", path=str(path)))
    pool = QtCore.QThreadPool.globalInstance()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (win.terminal.result is None or pool.activeThreadCount()):
        QtWidgets.QApplication.processEvents()
        time.sleep(0.02)
    yield win
    win.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(html, min_size=1, max_size=8))
def test_hostile_html_in_a_dialog_is_shown_as_typed(fuzz_cases, window, parts):
    from PySide6 import QtCore

    text = "Could not open " + "".join(parts) + ".cascade"
    window.show_error("Could not open", text)
    box = window.services.error_box
    assert box.textFormat() == QtCore.Qt.TextFormat.PlainText and box.text() == text
    box.close()
    fuzz_cases.add("hostile_html")
