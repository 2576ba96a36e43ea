"""UTC times as Cascade writes them: the window, the commands and the files all use these."""

from __future__ import annotations

from datetime import datetime, timezone


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def iso_utc(ms: int) -> str:
    """'2026-01-30T21:00:00Z' (JSON and machine-read text)."""
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_minute(ms: int) -> str:
    """'2026-01-30 21:00' (UTC, no zone suffix: the caller says UTC where it matters)."""
    return _dt(ms).strftime("%Y-%m-%d %H:%M")


def iso_date(ms: int) -> str:
    """'2026-01-30'."""
    return _dt(ms).strftime("%Y-%m-%d")


def utc_hhmm(ms: int) -> str:
    """'21:00 UTC': a time of today, in status lines and banners."""
    return _dt(ms).strftime("%H:%M UTC")
