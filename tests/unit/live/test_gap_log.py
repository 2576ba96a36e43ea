"""A live session refills thousands of gaps in a week; what it keeps about them must not grow with time."""

from market.live.gap_log import Gap, GapLog
from market.series import MINUTE_MS


def test_keeps_the_latest_gaps_and_counts_all():
    log = GapLog(keep=50)
    for i in range(10_000):
        log.add(Gap("bybit", "candles", i * 10 * MINUTE_MS, i * 10 * MINUTE_MS + 3 * MINUTE_MS))
    recent = log.recent()
    assert len(recent) == 50
    assert recent[-1].from_ms == 9_999 * 10 * MINUTE_MS  # oldest first, the newest last
    assert recent[0].from_ms == 9_950 * 10 * MINUTE_MS
    assert log.count == 10_000
    assert log.minutes == 30_000


def test_an_empty_log():
    log = GapLog()
    assert log.recent() == () and log.count == 0 and log.minutes == 0
