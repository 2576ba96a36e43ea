"""The demo's simulated history, kept between launches so the window draws it at once.

The simulation is deterministic: the same configuration, simulator code and numpy give the same month
of data. Simulating it takes seconds; reading it back from a snapshot file takes a few hundred
milliseconds. Each file is named by a fingerprint of all that went into it, so a changed setting or
simulator never reads an old file. A file that does not open (damaged, cut short, another version) is
removed and the history simulated again: the cache can only ever cost the time it takes to notice.

Files are ordinary snapshot files (checked on open like any other) in the user's cache folder. Only the
newest ``KEEP`` are kept: a month of 1-minute data on four venues is about 55 MB.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Optional

from market.series import MarketFrames

log = logging.getLogger(__name__)

KEEP = 2
_PREFIX = "demo-history-"
_SUFFIX = ".cascade"


def default_cache_dir() -> Optional[Path]:
    """``$CASCADE_CACHE_DIR``, else the platform's user cache folder. Under tests (``CASCADE_TEST``) only
    ``$CASCADE_CACHE_DIR``: no test fills the user's cache, and none leaves a month of data behind."""
    env = os.environ.get("CASCADE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if os.environ.get("CASCADE_TEST"):
        return None
    import platformdirs

    return Path(platformdirs.user_cache_dir("Cascade", appauthor=False)) / "demo"


def _code_fingerprint() -> str:
    """The simulator's own source (and the numpy whose random streams it draws); the app version where
    the sources are not files (a frozen bundle, whose simulator changes only with its version)."""
    import numpy as np

    from market.sqlite_frames import app_version
    from market.store_schema import SCHEMA_VERSION

    h = hashlib.sha256(f"{np.__version__}|schema {SCHEMA_VERSION}".encode())
    root = Path(__file__).resolve().parent
    sources = sorted((root / "simulator").glob("*.py")) + [root / "series.py", root.parent / "analytics" / "liqprice.py"]
    try:
        for path in sources:
            h.update(path.read_bytes())
    except OSError:
        h.update(f"app {app_version()}".encode())
    return h.hexdigest()


class DemoHistoryCache:
    """Snapshot files of simulated histories in one folder, by fingerprint."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._code = _code_fingerprint()

    @classmethod
    def default(cls) -> Optional["DemoHistoryCache"]:
        """The cache in ``default_cache_dir()``; None (no cache) under tests that did not name a folder."""
        directory = default_cache_dir()
        return cls(directory) if directory is not None else None

    def path_for(self, description: str) -> Path:
        """``description``: everything about the simulation besides its code (the config's repr)."""
        key = hashlib.sha256(f"{self._code}|{description}".encode()).hexdigest()[:24]
        return self.directory / f"{_PREFIX}{key}{_SUFFIX}"

    def load(self, description: str) -> Optional[MarketFrames]:
        """The cached history, or None (not there, or not usable: then it is removed)."""
        from market.snapshot_file import load_snapshot_file

        path = self.path_for(description)
        try:
            if not path.is_file():
                return None
            _meta, frames = load_snapshot_file(path)
        except Exception as exc:  # any damage means "simulate again", never a failed start
            log.warning("the demo's saved history %s is not usable (%s): simulating it again", path.name, exc)
            self._remove(path)
            return None
        try:
            os.utime(path)  # recently used: kept by the clean-up below
        except OSError:
            pass
        return frames

    def save(self, description: str, frames: MarketFrames) -> None:
        """Write the history (atomically) and drop the oldest files beyond ``KEEP``; never raises."""
        from market.snapshot_file import save_snapshot

        path = self.path_for(description)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            save_snapshot(frames, path, source_kind="demo")
        except Exception as exc:  # a full disk or a read-only folder: the demo runs without the cache
            log.warning("could not keep the demo's history in %s: %s", self.directory, exc)
            return
        self._prune()

    def _prune(self) -> None:
        try:
            files = [p for p in self.directory.glob(f"{_PREFIX}*{_SUFFIX}") if p.is_file()]
            files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in files[KEEP:]:
            self._remove(old)

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass
