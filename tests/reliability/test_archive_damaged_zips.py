"""Zip damage the archive fuzzer found, made deterministic: each such file is skipped with a reason.

``zipfile`` raises more than BadZipFile on a damaged or unusual zip: NotImplementedError for an unknown
compression method or "zip version", RuntimeError for an encrypted member, UnicodeDecodeError for a
name flagged UTF-8 that is not. The import must name the file and go on, not crash.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from market.archive import import_files, read_path
from tests.reliability.archive_samples import klines

NAME = "BTCUSDT-1m-2026-01-02.csv"


def _zip_bytes() -> bytearray:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(NAME, klines())
    return bytearray(buf.getvalue())


def _patch_both_headers(blob: bytearray, local_at: int, central_at: int, value: int) -> bytearray:
    """Set a 2-byte little-endian field in the local file header and the central directory entry."""
    central = blob.index(b"PK\x01\x02")
    struct.pack_into("<H", blob, local_at, value)
    struct.pack_into("<H", blob, central + central_at, value)
    return blob


def _unknown_method() -> bytes:
    return bytes(_patch_both_headers(_zip_bytes(), 8, 10, 99))  # compression method 99


def _encrypted_flag() -> bytes:
    return bytes(_patch_both_headers(_zip_bytes(), 6, 8, 0x0001))  # general purpose flag: encrypted


def _utf8_flag_on_bad_name() -> bytes:
    blob = _zip_bytes()
    blob = _patch_both_headers(blob, 6, 8, 0x0800)  # "name is UTF-8"
    central = blob.index(b"PK\x01\x02")
    blob[central + 46] = 0xFF  # first byte of the name in the central directory: not UTF-8
    return bytes(blob)


@pytest.mark.parametrize("make", [_unknown_method, _encrypted_flag, _utf8_flag_on_bad_name],
                         ids=["unknown-compression", "encrypted", "bad-utf8-name"])
def test_unusual_or_damaged_zip_is_skipped_with_a_reason(tmp_path, make):
    bad = tmp_path / "BTCUSDT-1m-2026-01-02.zip"
    bad.write_bytes(make())
    (tmp_path / "BTCUSDT-1m-2026-01-01.csv").write_text(klines())
    got, skipped = read_path(bad)
    assert got == [] and len(skipped) == 1 and skipped[0].name == str(bad)
    assert "ZIP" in skipped[0].reason and "\n" not in skipped[0].reason
    result = import_files([tmp_path])  # the valid file beside it is imported
    assert len(result.frames.candles) == 30


@pytest.mark.parametrize("name", ["BTCUSDT-1m-2026-01-02.csv", "BTCUSDT-metrics-2024-01-02.csv",
                                  "BTCUSDT-fundingRate-2026-01.csv", "prices.csv"])
def test_a_file_holding_only_a_byte_order_mark_is_skipped(tmp_path, name):
    # What a spreadsheet writes for an empty sheet saved as "CSV UTF-8": three bytes, EF BB BF.
    bom = tmp_path / name
    bom.write_bytes(b"\xef\xbb\xbf")
    (tmp_path / "BTCUSDT-1m-2026-01-01.csv").write_text(klines())
    result = import_files([tmp_path], exchange="binance")
    assert [s.name for s in result.skipped] == [str(bom)]
    assert len(result.frames.candles) == 30
