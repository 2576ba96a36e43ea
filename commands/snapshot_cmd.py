"""`cascade snapshot --demo|--live --days N --out FILE.cascade [--seed N] [--symbol S]`.

Writes one snapshot file of the demo market or of the live exchanges. A live download that makes no
progress for ``LIVE_STALL_S`` seconds (no network, exchanges unreachable) fails with one line and
exit 2 instead of hanging: the download runs in a worker thread and is abandoned at the deadline.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from commands.errors import CommandError, printable
from commands.import_cmd import describe_frames
from commands.inputs import demo_frames
from market.series import MarketFrames
from market.source import FEED_OK, FEED_UNAVAILABLE
from market.snapshot_file import SnapshotError, check_output_path, save_snapshot
from market.store import Store, StoreError, default_store_path

LIVE_STALL_S = 45.0  # longest wait without any progress report before a live download is given up
DAY_MS = 86_400_000


class _Progress:
    """Thread-safe last-progress time, plus a one-line progress display when stderr is a terminal."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.last = clock()
        self.tty = sys.stderr.isatty()

    def __call__(self, fraction: float, what: str) -> None:
        with self._lock:
            self.last = self._clock()
        if self.tty:
            sys.stderr.write(f"\r{min(max(fraction, 0.0), 1.0):6.1%}  {what[:70]:<70}")
            sys.stderr.flush()

    def idle_s(self) -> float:
        with self._lock:
            return self._clock() - self.last


def run_with_stall_timeout(fn: Callable[[Callable[[float, str], None]], MarketFrames], stall_s: float, clock: Callable[[], float] = time.monotonic) -> MarketFrames:
    """Run ``fn(progress)`` in a daemon thread; give up once it reports no progress for ``stall_s`` seconds."""
    progress = _Progress(clock)
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["frames"] = fn(progress)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=work, name="snapshot-download", daemon=True)
    t.start()
    while t.is_alive():
        t.join(timeout=0.2)
        if t.is_alive() and progress.idle_s() > stall_s:
            if progress.tty:
                sys.stderr.write("\n")
            raise CommandError(f"no answer from the exchanges for {stall_s:.0f} s (offline?); no file written")
    if progress.tty:
        sys.stderr.write("\n")
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, CommandError):
            raise exc
        if isinstance(exc, KeyboardInterrupt):
            raise exc
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(f"live download failed: {text}")
    return box["frames"]  # type: ignore[return-value]


def _live_frames(args: argparse.Namespace) -> MarketFrames:
    try:
        from market.live import LiveSource  # type: ignore[attr-defined]
    except ImportError:
        raise CommandError("live markets are not available in this build") from None
    end_ms = int(time.time() * 1000)
    start_ms = end_ms - int(float(args.days) * DAY_MS)
    holder: dict[str, object] = {}

    # The app's own cache: what it already holds is not downloaded again, and what is downloaded stays.
    try:
        store: Optional[Store] = Store(default_store_path())
    except (StoreError, OSError) as exc:
        sys.stderr.write(f"cascade snapshot: not using the local cache ({exc}); downloading everything\n")
        store = None

    from market.live.ccxt_version import problem as ccxt_problem

    if (old_ccxt := ccxt_problem()) is not None:
        sys.stderr.write(f"cascade snapshot: warning: {old_ccxt}\n")

    def download(progress: Callable[[float, str], None]) -> MarketFrames:
        src = LiveSource(symbol=args.symbol, history_days=float(args.days), store=store)
        holder["src"] = src
        try:
            return src.history(args.symbol, start_ms, end_ms, progress=progress)
        finally:
            holder["states"] = src.feed_states()
            src.close()

    try:
        frames = run_with_stall_timeout(download, LIVE_STALL_S)
    finally:
        src = holder.get("src")
        if src is not None and "states" not in holder:
            try:
                src.close()  # type: ignore[attr-defined]
            except Exception:
                pass
        if store is not None and "states" in holder:  # an abandoned download may still be writing
            store.close()
    if len(frames.candles) == 0:
        states = holder.get("states") or ()
        failed = [f"{s.feed}: {s.detail or s.status}" for s in states if s.status not in (FEED_OK, FEED_UNAVAILABLE)]  # type: ignore[attr-defined]
        why = f" ({'; '.join(failed[:3])})" if failed else ""
        raise CommandError(f"no live data received from any exchange{why}; no file written")
    return frames


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        check_output_path(out)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    kind = "demo" if args.demo else "live"
    frames = demo_frames(args.seed, args.symbol, float(args.days)) if args.demo else _live_frames(args)
    if frames.is_empty():
        raise CommandError(f"the {kind} source returned no data; no file written")
    try:
        save_snapshot(frames, out, source_kind=kind)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {printable(out)}: {printable(describe_frames(frames))}")
    return 0
