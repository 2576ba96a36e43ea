"""A liquidation stream that is acknowledged and then says nothing (Binance's retired /ws path) gets its own state."""

from __future__ import annotations

import ccxt.pro
import pandas as pd
import pytest

from market.live.silence import SilencePolicy, event_rate, silence
from market.series import MINUTE_MS
from market.source import FEED_OK, FEED_SILENT
from tests.integration.live.conftest import wait_until

POLICY = SilencePolicy(quiet_ms=20 * MINUTE_MS, min_move=0.001)


def _candles(t0: int, n: int, lo: float, hi: float) -> pd.DataFrame:
    return pd.DataFrame({"ts": [t0 + i * MINUTE_MS for i in range(n)], "high": [hi] * n, "low": [lo] * n,
                         "close": [(hi + lo) / 2] * n})


def test_without_a_known_rate_silence_needs_quiet_time_and_a_price_move():
    t0 = 1_700_000_000_000
    moving = _candles(t0, 40, 60_000, 60_600)  # 1 % range
    flat = _candles(t0, 40, 60_000, 60_030)  # 0.05 %
    now = t0 + 40 * MINUTE_MS
    assert silence(None, t0, now, moving, POLICY) == "no liquidations for 40 min while price moved 1.0 %"
    assert silence(None, t0, now, flat, POLICY) is None  # a quiet market is not a silent feed
    assert silence(now - 5 * MINUTE_MS, t0, now, moving, POLICY) is None  # an event 5 min ago
    assert silence(None, now - 10 * MINUTE_MS, now, moving, POLICY) is None  # listening for 10 min only
    assert silence(None, None, now, moving, POLICY) is None  # not listening at all


def test_the_venues_own_rate_decides_how_much_travel_should_have_brought_events():
    policy = SilencePolicy(quiet_ms=20 * MINUTE_MS, min_expected=5, min_history_events=30)
    t0 = 1_700_000_000_000
    day = _candles(t0 - 1440 * MINUTE_MS, 1440, 60_000, 60_060)  # each minute travels 0.1 %: 1.44 in a day
    few = pd.DataFrame({"ts": [t0 - 1440 * MINUTE_MS + i * 48 * MINUTE_MS for i in range(30)]})  # 30 events a day
    rate = event_rate(few, day, policy)
    # 30 events from the first to the last one: 29 x 48 + 1 candles, each travelling 0.1 %
    assert rate == pytest.approx(30 / (0.001 * (29 * 48 + 1)), rel=1e-3)
    assert event_rate(few.head(10), day, policy) is None  # too few events to know the venue's rate
    now = t0 + 40 * MINUTE_MS
    quiet = _candles(t0, 40, 60_000, 60_060)  # 40 minutes at the same pace: about 0.8 expected
    assert silence(None, t0, now, quiet, policy, rate) is None
    busy = _candles(t0, 40, 60_000, 60_600)  # ten times the travel: about 8 expected, none came
    reason = silence(None, t0, now, busy, policy, rate)
    assert reason is not None and reason.startswith("no liquidations for 40 min") and "expected)" in reason


def _old_ccxt_routing(monkeypatch):
    """ccxt before PR #28091: the stream URL is the configured '/ws' base, never rewritten to /market."""
    monkeypatch.setattr(ccxt.pro.binanceusdm, "get_ws_url", lambda self, type, category: self.urls["api"]["ws"][type])


def test_the_old_binance_path_is_shown_silent_not_ok(monkeypatch, fake, make_source, store):
    _old_ccxt_routing(monkeypatch)
    src = make_source(store=store, exchanges=("binance", "bybit"), silence=POLICY)
    src.history(src.symbol)
    assert wait_until(lambda: fake.state.unrouted_subscriptions["binance"] >= 1 and fake.subscriptions("bybit") >= 1)
    states = lambda: {s.feed: s for s in src.feed_states()}  # noqa: E731
    assert states()["binance:liquidations"].status == FEED_OK  # acknowledged: looks fine at first
    for _ in range(12):  # an hour of market, five minutes at a time, the poll loop catching up in between
        fake.advance(5 * MINUTE_MS)
        wait_until(lambda: False, 0.3)
    assert wait_until(lambda: states()["binance:liquidations"].status == FEED_SILENT, 10), states()["binance:liquidations"]
    st = states()["binance:liquidations"]
    assert st.detail.startswith("no liquidations for ") and "price moved" in st.detail
    assert len(fake.pushed("binance")) == 0  # nothing was ever sent on that path
    # Bybit, on its real route, hears an event now: it is not silent.
    t = fake.now_ms
    fake.push_raw("bybit", {"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": t,
                            "data": [{"T": t, "s": "BTCUSDT", "S": "Buy", "v": "0.25", "p": "58990.5"}]})
    assert wait_until(lambda: states()["bybit:liquidations"].status == FEED_OK and states()["bybit:liquidations"].last_update_ms == t)
    assert states()["binance:liquidations"].status == FEED_SILENT


def test_silent_is_an_error_in_the_status_line():
    from gui.widgets.feeds import summarize
    from market.source import FeedState

    out = summarize([FeedState("binance:candles", FEED_OK, last_update_ms=1000),
                     FeedState("binance:liquidations", FEED_SILENT, "no liquidations for 40 min while price moved 1.0 %")], 1000)
    assert out == [("binance", "silent: no liquidations for 40 min while price moved 1.0 %", "error")]
