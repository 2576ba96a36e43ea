"""What the headless commands read, one way for all of them: UTC times typed on the command line, the
demo market, and snapshot files (with the model settings saved in them). Failures become CommandError."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from analytics.params import ModelParams
from commands.errors import CommandError
from market.series import DEFAULT_SYMBOL, MarketFrames
from market.source import HasModelSettings

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
TIME_HINT = '"2026-01-30 21:00", UTC'


def parse_utc(text: str, option: str, formats: tuple[str, ...] = TIME_FORMATS, hint: str = TIME_HINT) -> int:
    """'2026-01-30 21:00' (UTC; also ISO 8601 with Z or an offset, or a date) -> UTC ms.

    ``formats`` are tried when ISO 8601 does not parse (strptime also takes unpadded fields);
    ``hint`` is the example the error message gives.
    """
    s = (text or "").strip()
    dt = None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        for fmt in formats:
            try:
                dt = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        raise CommandError(f"{option}: not a time: {text!r} (use e.g. {hint})")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def demo_frames(seed: int, symbol: str = DEFAULT_SYMBOL, history_days: Optional[float] = None) -> MarketFrames:
    """The demo market's history (``history_days`` None: the simulator's default span)."""
    try:
        from market.simulator import DemoSource
    except ImportError:
        raise CommandError("the demo market is not available in this build") from None
    options: dict[str, Any] = {} if history_days is None else {"history_days": history_days}
    try:
        src = DemoSource(seed=seed, symbol=symbol, **options)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    try:
        return src.history(symbol)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        src.close()


def snapshot_frames(path: str, symbol: Optional[str] = None) -> tuple[MarketFrames, ModelParams]:
    """A snapshot file's history of ``symbol`` (None: its first symbol) and the model settings saved with it."""
    frames, params, _info = snapshot_frames_info(path, symbol)
    return frames, params


def snapshot_frames_info(path: str, symbol: Optional[str] = None):
    """``snapshot_frames`` and the file's ``SourceInfo`` (e.g. whether its liquidations are simulated)."""
    from market.snapshot_file import SnapshotError
    from market.snapshot_source import open_snapshot

    try:
        src = open_snapshot(path)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}") from None
    try:
        have = src.info().symbols
        sym = symbol or (have[0] if have else DEFAULT_SYMBOL)
        if have and sym not in have:
            raise CommandError(f"{path}: has {', '.join(have)}, not {sym}")
        frames = src.history(sym)
        params = saved_params(src.model_settings if isinstance(src, HasModelSettings) else None)
        info = src.info()
    finally:
        src.close()
    return frames, params, info


def saved_params(settings: Any) -> ModelParams:
    """The model settings saved in a snapshot where they fit ModelParams; the defaults otherwise."""
    return ModelParams.from_settings(settings)
