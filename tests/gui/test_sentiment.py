"""Optional sentiment: the Fear & Greed index shown for live data, absent without error otherwise."""

from __future__ import annotations

from market.live import FearGreed, LiveSource
from tests.fake_exchange import FakeExchange
from tests.gui.conftest import wait_drawn


def _worker_sentiment(qtbot, make_source):
    from gui.workers import MarketWorker, WorkerThread

    worker = MarketWorker(make_source, "BTC/USDT:USDT", poll_ms=200)
    thread = WorkerThread(worker, "market-test")
    try:
        with qtbot.waitSignal(worker.sentiment, timeout=30000) as sig:
            thread.start(worker.start)
        return sig.args[0]
    finally:
        thread.shutdown("stop")


def test_live_worker_reads_the_fear_and_greed_index(qtbot):
    with FakeExchange(hours=2) as fake:
        fg = _worker_sentiment(qtbot, lambda: LiveSource(history_days=0.02, urls_override=fake.url_overrides(), timeout_s=2.0))
        assert fg == FearGreed(27, "Fear", fake.now_ms // 1000 * 1000)


def test_broken_index_is_absent_without_error(qtbot):
    with FakeExchange(hours=2) as fake:
        fake.garbage("fear_greed", "/fng", times=None)
        fg = _worker_sentiment(qtbot, lambda: LiveSource(history_days=0.02, urls_override=fake.url_overrides(), timeout_s=2.0))
        assert fg is None


def test_window_shows_the_index_and_hides_it_when_unavailable(demo_window, qtbot):
    win = demo_window
    assert not win.status.sentiment_label.isVisible()  # the demo has no sentiment
    win.session.worker.sentiment.emit(FearGreed(71, "Greed", 0))
    qtbot.waitUntil(lambda: win.status.sentiment_label.isVisible(), timeout=5000)
    assert win.status.sentiment_label.text() == "Fear & Greed 71 (Greed)"
    win.session.worker.sentiment.emit(None)
    qtbot.waitUntil(lambda: not win.status.sentiment_label.isVisible(), timeout=5000)
