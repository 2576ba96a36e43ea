"""Fuzzing the Binance archive / OHLCV CSV import: mutated rows, headers, bytes, zips.

A mutated file is either read (the mutation kept it valid: a changed price, a dropped row) or reported
by name with a reason and skipped; valid files beside it are still imported. Never another exception.
"""

from __future__ import annotations

import io
import random
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.archive import ArchiveError, ParsedFile, import_files, parse_file, read_path
from tests.reliability.archive_samples import samples

SAMPLES = samples()
# Field values that break CSV readers and number parsers.
NASTY = ["", "nan", "NaN", "inf", "-inf", "-1", "0", "1e400", "1e308", "-0", "0x10", "é", "\x00", "9" * 40,
         "2026-01-01", "2026-13-45 25:61:00", "1.5.3", '"', "'", ",", ";", "\t", " ", "1767225600",
         "1767225600000000", "1767225600000000000", "-1767225600000", "True", "None", "[]", "\ufeff", "\r"]


def _apply(text: str, ops: list[tuple[int, int, int, str]]) -> bytes:
    """Line/field edits: (op, line, field, token). Ops: delete/duplicate/swap lines, replace/delete/insert
    a field, cut the text, insert a character."""
    lines = text.split("\n")
    for op, li, fi, tok in ops:
        if not lines:
            lines = [""]
        i = li % len(lines)
        fields = lines[i].split(",")
        j = fi % len(fields)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[fi % len(lines)])
        elif op == 2:
            fields[j] = tok
            lines[i] = ",".join(fields)
        elif op == 3 and len(fields) > 1:
            del fields[j]
            lines[i] = ",".join(fields)
        elif op == 4:
            fields.insert(j, tok)
            lines[i] = ",".join(fields)
        elif op == 5:
            lines[i], lines[0] = lines[0], lines[i]
        elif op == 6:
            joined = "\n".join(lines)
            lines = joined[: (li * 7919 + fi) % (len(joined) + 1)].split("\n")
        else:
            s = lines[i]
            lines[i] = s[: fi % (len(s) + 1)] + tok + s[fi % (len(s) + 1):]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def _parse(kind: str, data: bytes) -> str:
    name, _ = SAMPLES[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy casts of absurd values; judged after
            parsed = parse_file(name, data, exchange="okx" if kind == "ohlcv" else None)
    except ArchiveError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, f"not a one-line reason: {msg!r}"
        return "skipped"
    assert isinstance(parsed, ParsedFile) and parsed.rows() > 0
    return "read"


ops = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(NASTY)),
               min_size=1, max_size=6)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(SAMPLES)), ops=ops)
def test_mutated_archive_rows_and_headers_are_read_or_skipped(fuzz_cases, kind, ops):
    _parse(kind, _apply(SAMPLES[kind][1], ops))
    fuzz_cases.add("archive_csv")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(SAMPLES)), data=st.data())
def test_random_bytes_in_archive_files_are_read_or_skipped(fuzz_cases, kind, data):
    raw = bytearray(SAMPLES[kind][1].encode())
    for pos, value in data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), min_size=1, max_size=8)):
        raw[pos] = value
    _parse(kind, bytes(raw))
    fuzz_cases.add("archive_csv")


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def test_damaged_zips_beside_a_valid_file_skip_only_themselves(fuzz_cases, tmp_path):
    """The real path (files on disk, zips, import_files): every damaged zip is named in ``skipped`` or
    read; the valid klines file beside them is always imported."""
    rng = random.Random(5)
    good_name, good = SAMPLES["klines"]
    (tmp_path / good_name).write_text(good)
    outcomes = {"read": 0, "skipped": 0}
    for i in range(500):
        kind = rng.choice(sorted(SAMPLES))
        name, text = SAMPLES[kind]
        blob = bytearray(_zip(name.replace("2026-01-01", "2026-01-02") if kind.startswith("klines") else name, text.encode()))
        for _ in range(rng.choice((1, 2, 4))):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        if i % 5 == 0:
            blob = blob[: rng.randrange(len(blob))]
        target = tmp_path / f"damaged-{i}.zip"
        target.write_bytes(bytes(blob))
        got, skipped = read_path(target)
        assert len(got) + len(skipped) >= 1
        for s in skipped:
            assert s.reason and "\n" not in s.reason
        outcomes["read" if got else "skipped"] += 1
        fuzz_cases.add("archive_csv")
        target.unlink()
    assert outcomes["skipped"] > 0, outcomes
    bad = tmp_path / "BTCUSDT-1m-2026-01-03.csv"
    bad.write_bytes(_apply(good, [(2, 5, 1, "nan"), (2, 9, 2, "x")]))
    result = import_files([tmp_path])
    assert any(s.name == str(bad) for s in result.skipped)
    assert len(result.frames.candles) == 30  # the valid file, whole


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_unmutated_samples_are_read(kind):
    # The fuzzer's seeds must be valid, or "skipped" would prove nothing.
    assert _parse(kind, SAMPLES[kind][1].encode()) == "read"
