"""A recorded live session scored end to end: LiveSource + store against the fake exchange (ccxt over
real HTTP and WebSockets), the app's own snapshot save, then ``python main.py evaluate`` and the scorecard."""

from __future__ import annotations

import json
import random

import pytest

from market.live import LiveSource
from market.series import MINUTE_MS
from market.snapshot_file import save_snapshot
from tests.fake_exchange import FakeExchange
from tests.integration.live.conftest import FAST_RETRY, wait_until
from tests.run_main import run_main

EXCHANGES = ("binance", "okx", "bybit")
BACKFILL_HOURS = 27  # evaluate wants a day of candles and OI before the first hour it scores
LIVE_HOURS = 5  # then the live record: liquidations arrive over the WebSockets only
STEP_MS = 5 * MINUTE_MS
# A fixed market (the fake's simulator seed and clock): one whose live hours have liquidations on every
# venue, as most have (the default seed's happen to be nearly calm).
SEED = 3
NOW_MS = 1_770_681_600_000  # 2026-02-10 00:00 UTC


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """(snapshot path, live record start, frames): a session recorded live and saved as the app does."""
    from market.store import Store

    tmp = tmp_path_factory.mktemp("live_eval")
    fake = FakeExchange(hours=BACKFILL_HOURS + 1, seed=SEED, now_ms=NOW_MS).start()
    store = Store(tmp / "cascade.sqlite")
    src = LiveSource(store=store, exchanges=EXCHANGES, urls_override=fake.url_overrides(), clock=lambda: fake.now_ms,
                     history_days=BACKFILL_HOURS / 24, retry=FAST_RETRY, rng=random.Random(1), poll_interval_s=0.2,
                     timeout_s=2.0, rate_limit_ms=5)
    try:
        src.history(src.symbol)
        assert wait_until(lambda: all(fake.subscriptions(v) >= 1 for v in EXCHANGES), 15), "no liquidation subscription"
        live_from = fake.now_ms
        for _ in range(LIVE_HOURS * 3_600_000 // STEP_MS):
            before = fake.now_ms
            fake.advance(STEP_MS)
            # Let the source take what this step pushed (closed candles, liquidations) and poll OI.
            wait_until(lambda: (lambda f: len(f.candles) and int(f.candles["ts"].max()) + MINUTE_MS >= before)(
                store.read(src.symbol, start_ms=before - STEP_MS)), 5)
        end = fake.now_ms
        pushed = sum(len(fake.pushed(v).drop_duplicates(["ts", "side", "price", "qty_base"])) for v in EXCHANGES)
        assert wait_until(lambda: len(store.read(src.symbol).liquidations) >= pushed, 15)
        frames = store.read(src.symbol).known_at(end)
        path = save_snapshot(frames, tmp / "session.cascade", source_kind="live")
    finally:
        src.close()
        store.close()
        fake.stop()
    return path, live_from, frames


def test_the_live_recording_holds_what_evaluate_needs(recorded):
    _path, live_from, frames = recorded
    assert set(frames.candles["exchange"]) == set(EXCHANGES)
    assert set(frames.open_interest["exchange"]) == set(EXCHANGES)
    liq = frames.liquidations
    assert len(liq) > 0 and set(liq["exchange"]) == set(EXCHANGES)
    assert int(liq["ts"].min()) >= live_from - STEP_MS  # streamed live, not backfilled
    span_h = (int(frames.candles["ts"].max()) - int(frames.candles["ts"].min())) / 3_600_000
    assert span_h >= BACKFILL_HOURS + LIVE_HOURS - 1


def test_evaluate_scores_the_recorded_session(recorded):
    path, live_from, _frames = recorded
    from analytics.report import utc_minute

    start = utc_minute(-(-live_from // 3_600_000) * 3_600_000)  # the first whole hour of the live record
    r = run_main("evaluate", "--open", str(path), "--from", start, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("hours", "spearman_hourly", "ratio_total", "placement_share", "placement_share_baseline",
                "cluster_hit_rate", "cluster_hit_rate_random"):
        assert key in out, key
    assert 1 <= out["hours"] <= LIVE_HOURS
    assert out["ratio_total"] is None or out["ratio_total"] > 0
    for key in ("placement_share", "placement_share_baseline", "cluster_hit_rate", "cluster_hit_rate_random"):
        assert out[key] is None or 0.0 <= out[key] <= 1.0, key
    assert out["spearman_hourly"] is None or -1.0 <= out["spearman_hourly"] <= 1.0
    # Without --from the hours before the record started (backfilled candles and OI, no liquidation feed
    # yet) are not scored as hours without liquidations: no event there is not evidence of none.
    whole = json.loads(run_main("evaluate", "--open", str(path), "--json").stdout)
    assert whole["hours"] == out["hours"] and whole["first"] == out["first"]
    # Text output of the same file, and a bad window refused with one line and exit 2.
    text = run_main("evaluate", "--open", str(path), "--from", start)
    assert text.returncode == 0 and "Map scorecard" in text.stdout
    bad = run_main("evaluate", "--open", str(path), "--from", "2020-01-02", "--to", "2020-01-01")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_scorecard_dialog_on_the_recorded_session(recorded, qtbot):
    from analytics.params import ModelParams
    from gui.dialogs.scorecard import ScorecardDialog
    from market.snapshot_source import open_snapshot

    path, _live_from, _frames = recorded
    frames = open_snapshot(path).frames
    dlg = ScorecardDialog(frames, ModelParams(), EXCHANGES)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.result is not None or "cannot be scored" in dlg.summary.text(), timeout=120_000)
    assert dlg.result is not None, dlg.summary.text()
    assert dlg.result.hours >= 1 and "distance alone would hold" in dlg.summary.text()
    assert dlg.table.rowCount() >= 4
