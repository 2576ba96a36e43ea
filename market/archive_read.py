"""Bounded reading of the files an import is given: regular files only, sizes capped, zips streamed.

An import walks folders the user points at, which may hold anything: a FIFO named like an archive file
(opening it for reading would wait forever for a writer), a symlink to ``/dev/zero`` (endless), a device,
a 1 MB zip that inflates to 1 GB. Each is refused with a reason before it can block or fill memory:

- a path is ``os.stat``-ed first and only a regular file is opened, without blocking (``O_NONBLOCK``),
  and checked again on the open descriptor (it may have been swapped in between);
- a file, and a zip member, is read only up to ``MAX_FILE_BYTES``: the largest file Cascade reads is a
  plain OHLCV CSV of years of 1-minute candles (five years of 1m candles are ~2.6 M rows, ~200 MB); a
  Binance archive file is far smaller (a month of 1m klines is ~45,000 rows, ~5 MB);
- a zip member is refused when it declares more than that, or a compression ratio above ``MAX_RATIO``
  (CSV text of market data deflates 3-15x; 100x is a zip bomb), and is decompressed in a stream that
  stops at its declared size, so a member lying about its size cannot grow past what it declared.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from pathlib import Path
from typing import IO, BinaryIO, Iterable, Iterator, Optional

from market.archive_common import ArchiveError

MIB = 2**20
MAX_FILE_BYTES = 256 * MIB
MAX_RATIO = 100
RATIO_FROM_BYTES = 1 * MIB  # small members may compress better than data does: a ratio counts from here
MAX_ZIP_MEMBERS = 1000
CHUNK = 1 * MIB
CAP_TEXT = (f"{MAX_FILE_BYTES // MIB} MB, more than any market-data file Cascade reads "
            "(years of 1-minute candles are ~200 MB)")


def _special_kind(mode: int) -> Optional[str]:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def check_regular(path: Path) -> os.stat_result:
    """The file's stat if it is a regular file (symlinks followed) within the size cap; else ArchiveError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ArchiveError("no such file") from None
    except OSError as exc:
        raise ArchiveError(f"cannot read ({exc.strerror or exc})") from None
    kind = _special_kind(st.st_mode)
    if kind is not None:
        raise ArchiveError(f"{kind}, not a regular file: only regular files are read")
    if st.st_size > MAX_FILE_BYTES:
        raise ArchiveError(f"{st.st_size:,} bytes: larger than {CAP_TEXT}")
    return st


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading without ever blocking on a FIFO or device."""
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ArchiveError(f"cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        kind = _special_kind(st.st_mode)
        if kind is not None:  # swapped for something else between the stat and the open
            raise ArchiveError(f"{kind}, not a regular file: only regular files are read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_capped(fh: IO[bytes], cap: int, what: str) -> bytes:
    buf = bytearray()
    while True:
        chunk = fh.read(min(CHUNK, cap + 1 - len(buf)))
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > cap:
            raise ArchiveError(what)


def read_regular_file(path: Path) -> bytes:
    """A regular file's bytes, at most ``MAX_FILE_BYTES`` (it may grow while read: checked again)."""
    with open_regular(path) as fh:
        return _read_capped(fh, MAX_FILE_BYTES, f"larger than {CAP_TEXT}")


def checksum_problem(path: Path) -> Optional[str]:
    """Binance publishes ``X.zip.CHECKSUM`` ("<sha256>  X.zip") beside each zip: verify it when present."""
    sidecar = path.with_name(path.name + ".CHECKSUM")
    try:
        if not stat.S_ISREG(os.stat(sidecar).st_mode):
            return None
        with open_regular(sidecar) as fh:
            expected = fh.read(4096).decode("utf-8", errors="replace").split()[0].lower()
    except (OSError, ArchiveError, IndexError):
        return None
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return None if digest.hexdigest() == expected else "does not match its .CHECKSUM file (damaged download?)"


def csv_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = [i for i in zf.infolist() if not i.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ArchiveError(f"the ZIP holds {len(members):,} files; an archive download holds one CSV (at most {MAX_ZIP_MEMBERS:,} are read)")
    return [i for i in members if i.filename.lower().endswith((".csv", ".json"))]


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One zip member, decompressed in a stream that never goes past its declared size or the cap."""
    size, packed = int(info.file_size), int(info.compress_size)
    if size > MAX_FILE_BYTES:
        raise ArchiveError(f"declares {size / MIB:,.0f} MB uncompressed: larger than {CAP_TEXT}")
    if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(packed, 1):
        raise ArchiveError(
            f"declares {size / MIB:,.0f} MB from {packed:,} compressed bytes ({size / max(packed, 1):,.0f}x): "
            f"market data compresses at most ~15x, so this is refused as a zip bomb"
        )
    with zf.open(info) as fh:
        # zipfile stops at the declared size by itself and then checks the CRC; the cap is the second guard.
        return _read_capped(fh, size, "holds more than it declares (damaged or hostile ZIP)")


def iter_input_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The given files, and every file under the given directories (sorted, hidden files left out).

    Symlinked folders are not followed (no loops); what each entry is, is decided when it is read.
    """
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        yield Path(root) / f
        else:
            yield p
