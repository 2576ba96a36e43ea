"""How deep a venue's open-interest and long/short history goes, period by period.

OKX's rubik statistics ("Get contract open interest history", "Get contract long/short ratio",
https://www.okx.com/docs-v5/en/#trading-statistics-rest-api-get-contract-open-interest-history) "can
retrieve the latest 1,440 data entries" per period, and take period 5m, 1H or 1D: 5 days at 5 minutes,
60 days at 1 hour. Asking 5-minute rows for 30 days sends dozens of requests that come back empty;
asking each older span at the finest period that still reaches it fills 30 days in 21 requests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HistoryTier:
    period: str  # the venue's own name for it ("5m", "1H", "1D")
    step_ms: int
    entries: int  # only the latest ``entries`` rows of this period are served

    @property
    def reach_ms(self) -> int:
        return self.step_ms * self.entries


def _align_up(ms: int, step: int) -> int:
    return -(-ms // step) * step


def fine_from(tiers: tuple[HistoryTier, ...], end: int) -> int:
    """The oldest ts the finest tier still serves at ``end``."""
    t = tiers[0]
    return _align_up(end - t.reach_ms + t.step_ms, t.step_ms)


def coarse_spans(tiers: tuple[HistoryTier, ...], start: int, end: int) -> list[tuple[HistoryTier, int, int]]:
    """(tier, first ts, last ts) for each part of [start, end] older than the finest tier's reach, each at
    the finest coarser tier that reaches it, newest span first; nothing older than the coarsest reach."""
    if not tiers:
        return []
    out = []
    covered_from = fine_from(tiers, end)
    for tier in tiers[1:]:
        if start >= covered_from:
            break
        lo = _align_up(max(start, end - tier.reach_ms + tier.step_ms), tier.step_ms)
        hi = covered_from - 1
        if lo <= hi:
            out.append((tier, lo, hi))
            covered_from = lo
    return out


def requests_for(span: tuple[HistoryTier, int, int], limit: int) -> int:
    tier, lo, hi = span
    rows = (hi - lo) // tier.step_ms + 1
    return int(-(-rows // limit))
