"""The gaps a live session refilled: the latest ones in full, every one counted.

A session that runs for a week through outages refills thousands of gaps; keeping each would make
the record itself a slow leak, so only the newest are kept and the rest are counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from market.series import MINUTE_MS


@dataclass(frozen=True)
class Gap:
    exchange: str
    series: str
    from_ms: int  # first missing ts
    to_ms: int  # first ts that was already there after the gap (or now)


class GapLog:
    def __init__(self, keep: int = 200) -> None:
        self._recent: deque[Gap] = deque(maxlen=keep)
        self.count = 0
        self.minutes = 0  # candles refilled, summed over every gap

    def add(self, gap: Gap) -> None:
        self._recent.append(gap)
        self.count += 1
        self.minutes += max(0, (gap.to_ms - gap.from_ms) // MINUTE_MS)

    def recent(self) -> tuple[Gap, ...]:
        """The newest gaps, oldest first."""
        return tuple(self._recent)
