"""Hostile input to ``import``: special files, oversized and lying zip members, wide and long CSV lines,
names made to fool a terminal. Each is refused with a reason (or printed harmlessly), in bounded time and
memory, and the valid file beside it is still imported.

Before the fixes: a FIFO in an imported folder hung the import forever, a symlink to /dev/zero read
forever, a 1 MB zip holding a 1 GB member peaked at 2.2 GB, a 200 MB single-line CSV ended in a
MemoryError after 4.7 GB, and names were echoed raw (escape sequences, forged lines).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from market.archive import import_files, read_path
from market.archive_read import MAX_FILE_BYTES
from tests.reliability.archive_samples import klines
from tests.run_main import ROOT, run_main

GOOD = "BTCUSDT-1m-2026-01-01.csv"


def _good(folder: Path) -> Path:
    path = folder / GOOD
    path.write_text(klines(5))
    return path


def _reason(tmp_path: Path, name: str) -> str:
    result = import_files([tmp_path])
    assert len(result.frames.candles) == 5, "the valid file beside it is still imported"
    reasons = {Path(s.name.split("!")[0]).name: s.reason for s in result.skipped}
    return reasons[name]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_an_archive_file_is_skipped_without_opening_it(tmp_path, fuzz_cases):
    _good(tmp_path)
    os.mkfifo(tmp_path / "BTCUSDT-1m-2026-01-02.csv")
    os.mkfifo(tmp_path / "BTCUSDT-1m-2026-01-03.zip")
    # In a child process: if it opened the FIFO it would block forever, and the timeout fails the test.
    res = run_main("import", str(tmp_path), "--out", str(tmp_path / "out.cascade"), timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("a FIFO (named pipe), not a regular file: only regular files are read") == 2
    fuzz_cases.add("special_files", 2)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("name", ["BTCUSDT-1m-2026-01-02.csv", "BTCUSDT-1m-2026-01-02.zip", "zero.json"])
def test_a_symlink_to_dev_zero_is_skipped(tmp_path, name, fuzz_cases):
    _good(tmp_path)
    (tmp_path / name).symlink_to("/dev/zero")
    assert _reason(tmp_path, name) == "a device, not a regular file: only regular files are read"
    fuzz_cases.add("special_files")


def test_a_file_larger_than_any_archive_file_is_refused_before_reading(tmp_path, fuzz_cases):
    _good(tmp_path)
    big = tmp_path / "BTCUSDT-1m-2026-01-02.csv"
    with open(big, "wb") as fh:  # sparse: no disk used, no time spent
        fh.truncate(MAX_FILE_BYTES + 1)
    assert _reason(tmp_path, big.name).startswith(f"{MAX_FILE_BYTES + 1:,} bytes: larger than 256 MB, more than any market-data file Cascade reads")
    fuzz_cases.add("oversized_members")


def _patch_sizes(zpath: Path, size: int) -> None:
    """Rewrite the uncompressed size a zip declares for its only member (local header and directory)."""
    data = bytearray(zpath.read_bytes())
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, size)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, size)
    zpath.write_bytes(bytes(data))


def test_a_member_declaring_an_absurd_size_is_refused_unread(tmp_path, fuzz_cases):
    _good(tmp_path)
    z = tmp_path / "BTCUSDT-1m-2026-01-02.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BTCUSDT-1m-2026-01-02.csv", klines(5))
    _patch_sizes(z, 2**31)
    assert _reason(tmp_path, z.name).startswith("declares 2,048 MB uncompressed: larger than 256 MB")
    fuzz_cases.add("oversized_members")


def test_a_member_holding_more_than_it_declares_stops_at_the_declared_size(tmp_path, fuzz_cases):
    _good(tmp_path)
    z = tmp_path / "BTCUSDT-1m-2026-01-02.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BTCUSDT-1m-2026-01-02.csv", klines(5) * 2000)  # ~1 MB
    _patch_sizes(z, 1000)
    got, skipped = read_path(z)
    assert got == [] and len(skipped) == 1 and skipped[0].reason.startswith("damaged ZIP file")
    fuzz_cases.add("oversized_members")


def test_a_compression_ratio_no_market_data_has_is_refused_as_a_zip_bomb(tmp_path, fuzz_cases):
    _good(tmp_path)
    z = tmp_path / "BTCUSDT-1m-2026-01-02.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BTCUSDT-1m-2026-01-02.csv", b"0" * (40 * 2**20))  # 40 MB of one byte: ~40 KB compressed
    assert "refused as a zip bomb" in _reason(tmp_path, z.name)
    fuzz_cases.add("oversized_members")


BOMB_SCRIPT = r"""
import resource, sys, zipfile
from market.archive import import_files
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = import_files([sys.argv[1]])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, "|", result.skipped[0].reason)
"""


def test_a_1_mb_zip_holding_1_gb_stays_within_100_mb_of_memory(tmp_path, fuzz_cases):
    z = tmp_path / "BTCUSDT-1m-2026-01-02.zip"
    chunk = b"1767225600000,1,1,1,1,1,1,1,1,1,1,0\n" * 29_000  # ~1 MB of rows
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("BTCUSDT-1m-2026-01-02.csv", "w", force_zip64=True) as fh:
            for _ in range(1024):
                fh.write(chunk)
    assert z.stat().st_size < 8 * 2**20
    res = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(z)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    grown_kb, reason = res.stdout.strip().split(" | ")
    assert int(grown_kb) < 100 * 1024, f"peak memory grew by {int(grown_kb) // 1024} MB"
    assert "larger than 256 MB" in reason or "zip bomb" in reason
    fuzz_cases.add("oversized_members")


def test_a_single_line_of_megabytes_is_refused_from_its_first_line(tmp_path, fuzz_cases):
    _good(tmp_path)
    (tmp_path / "BTCUSDT-1m-2026-01-02.csv").write_bytes(b"1" * (8 * 2**20))
    assert _reason(tmp_path, "BTCUSDT-1m-2026-01-02.csv") == "the first line is longer than 4,096 bytes: not a CSV of market data"
    fuzz_cases.add("wide_csv")


def test_a_row_of_a_million_columns_is_refused_from_its_first_line(tmp_path, fuzz_cases):
    _good(tmp_path)
    (tmp_path / "wide.csv").write_text(("," * 1_000_000 + "\n") * 3)
    reason = _reason(tmp_path, "wide.csv")
    assert reason.startswith("the first line is longer than") or "columns in the first line" in reason
    (tmp_path / "wide.csv").write_text("timestamp," + ",".join(f"c{i}" for i in range(200)) + "\n1,2\n")
    assert _reason(tmp_path, "wide.csv") == "201 columns in the first line (market data has at most 64): not a CSV of market data"
    fuzz_cases.add("wide_csv", 2)


@pytest.mark.parametrize("evil", [
    "evil\x1b]0;pwned\x07.csv",  # retitles the terminal
    "red\x1b[31mtext.csv",  # recolours it
    "x\ncascade import: imported 99 files into all.cascade.csv",  # forges a line
    "rtl\u202egpj.csv",  # bidi override: shows a different extension
])
def test_names_are_printed_escaped_one_line_each(tmp_path, evil, fuzz_cases):
    folder = tmp_path / "in"
    folder.mkdir()
    _good(folder)
    (folder / evil).write_text("not,market,data\n")
    res = run_main("import", str(folder), "--out", str(tmp_path / "out.cascade"))
    assert res.returncode == 0, res.stderr
    for stream in (res.stdout, res.stderr):
        assert "\x1b" not in stream and "\u202e" not in stream and "\x07" not in stream
    lines = res.stderr.split("\n")[:-1]
    assert len(lines) == 1 and lines[0].startswith("cascade import: skipped ")
    assert not any(line.startswith("cascade import: imported") for line in res.stdout.split("\n"))
    fuzz_cases.add("escaped_names")
