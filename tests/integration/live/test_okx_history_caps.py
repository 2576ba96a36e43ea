"""OKX serves only the latest 1,440 rows per period of OI and long/short history: backfill older spans at
coarser periods, never ask for spans that come back empty, and say per venue since when OI history exists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.liquidation import liquidation_map
from market.live.history_depth import HistoryTier, coarse_spans, fine_from, requests_for
from market.live.venues import VENUES
from market.live.venues.base import DAY_MS, OI_PERIOD_MS
from market.series import MINUTE_MS, per_exchange
from tests.fake_exchange.data import generate
from tests.integration.live.conftest import HOURS

HOUR_MS = 60 * MINUTE_MS


def test_thirty_days_of_okx_history_in_21_requests_none_empty():
    okx = VENUES["okx"]
    end = 1_780_000_000_000 // OI_PERIOD_MS * OI_PERIOD_MS
    start = end - 30 * DAY_MS
    first = fine_from(okx.history_tiers, end)
    assert end - first == (1440 - 1) * OI_PERIOD_MS  # 5 days of 5-minute rows, the newest 1,440
    fine_requests = -(-((end - first) // OI_PERIOD_MS + 1) // okx.oi_limit)
    spans = coarse_spans(okx.history_tiers, start, end)
    assert [(t.period, lo, hi) for t, lo, hi in spans] == [("1H", -(-start // HOUR_MS) * HOUR_MS, first - 1)]
    coarse = sum(requests_for(s, okx.oi_limit) for s in spans)
    assert (fine_requests, coarse) == (15, 6)  # was 87 requests of 5-minute rows, about 72 of them empty
    # Older than the hourly reach (60 days): daily rows, and nothing before the daily reach.
    far = coarse_spans(okx.history_tiers, end - 400 * DAY_MS, end)
    assert [t.period for t, _, _ in far] == ["1H", "1D"]
    assert far[-1][1] >= end - 1440 * DAY_MS


@pytest.fixture
def small_caps(fake, monkeypatch):
    """The real caps scaled down to the test's three hours: 12 rows per period (1 h at 5 min, 12 h hourly)."""
    okx = VENUES["okx"]
    fake.state.okx_rubik_entries = 12
    monkeypatch.setattr(okx, "history_tiers", (HistoryTier("5m", OI_PERIOD_MS, 12), HistoryTier("1H", HOUR_MS, 12),
                                               HistoryTier("1D", DAY_MS, 12)))
    monkeypatch.setattr(okx, "oi_history_ms", 12 * OI_PERIOD_MS)
    monkeypatch.setattr(okx, "oi_limit", 6)  # so the uncapped plan would need several requests per series
    monkeypatch.setattr(okx, "ls_limit", 6)
    return okx


def test_okx_backfill_at_coarser_periods_with_no_empty_answer(fake, small_caps, make_source, store):
    src = make_source(store=store, exchanges=("okx",))
    src.history(src.symbol)
    now = fake.now_ms
    start = now - HOURS * HOUR_MS
    fine_start = now - 11 * OI_PERIOD_MS
    for series, col in (("open_interest", "oi_base"), ("long_short", "ratio")):
        want = per_exchange(fake.state.data.series(series), "okx")
        want = want[(want["ts"] >= start) & (want["ts"] <= now)]
        want = want[(want["ts"] >= fine_start) & (want["ts"] % OI_PERIOD_MS == 0) | (want["ts"] < fine_start) & (want["ts"] % HOUR_MS == 0)]
        got = per_exchange(store.read(src.symbol).series(series), "okx")
        got = got[got["ts"] <= now - (1 if series == "open_interest" else 0)]  # the current-OI row is not history
        want = want[want["ts"] <= now - (1 if series == "open_interest" else 0)]
        assert got["ts"].tolist() == want["ts"].sort_values().tolist(), series
        np.testing.assert_allclose(got[col].to_numpy(float), want.sort_values("ts")[col].to_numpy(float), rtol=1e-9)
        assert (got["ts"] < fine_start).sum() >= 2  # the hourly rows from before the 5-minute reach
    empties = {k: n for k, n in fake.state.empty_answers.items() if k.startswith("okx ")}
    assert empties == {}, empties
    st = {s.feed: s for s in src.feed_states()}["okx:open_interest"]
    first_hour = -(-start // HOUR_MS) * HOUR_MS
    assert st.history_from_ms == first_hour


def test_each_venue_says_since_when_its_oi_history_exists(fake, small_caps, make_source, store):
    from gui.widgets.feeds import history_depth

    src = make_source(store=store, exchanges=("binance", "okx"))
    src.history(src.symbol)
    states = src.feed_states()
    depth = {s.feed: s.history_from_ms for s in states if s.feed.endswith(":open_interest")}
    assert depth["binance:open_interest"] is not None and depth["okx:open_interest"] is not None
    lines = history_depth(states)
    assert len(lines) == 2 and lines[0].startswith("Binance: open interest since ") and lines[1].startswith("OKX: ")
    assert "(" not in lines[0]  # Binance: one period all the way
    assert "(5m rows from " in lines[1] and "hourly before (the venue keeps 12 rows per period)" in lines[1]


def test_model_copes_with_a_venue_whose_oi_starts_later():
    """OKX OI from two hours after the others: no level is invented for OKX before its OI, the other venues
    are unaffected, and OKX still contributes from when its OI begins."""
    t0 = 1_780_000_000_000 // HOUR_MS * HOUR_MS
    m = generate(t0, t0 + 8 * HOUR_MS, seed=11)
    oi_from = t0 + 2 * HOUR_MS
    oi = m.open_interest
    late = oi[(oi["exchange"] != "okx") | (oi["ts"] >= oi_from)]
    at = t0 + 8 * HOUR_MS - MINUTE_MS
    full = liquidation_map(m.candles, oi, at)
    edges = full.bin_edges
    got = liquidation_map(m.candles, late, at, bin_edges=edges)
    for venue in ("binance", "bybit"):
        for a, b in zip(got.per_exchange[venue], full.per_exchange[venue]):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)
    okx_long, okx_short = got.per_exchange["okx"]
    assert np.all(np.isfinite(okx_long)) and np.all(np.isfinite(okx_short))
    assert okx_long.sum() + okx_short.sum() > 0
    # OKX candles from before its OI began add nothing: the same map from the trimmed candles.
    c = m.candles
    trimmed = c[(c["exchange"] != "okx") | (c["ts"] >= oi_from)]
    same = liquidation_map(trimmed, late, at, bin_edges=edges)
    for a, b in zip(got.per_exchange["okx"], same.per_exchange["okx"]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-3)


def test_a_restart_does_not_fetch_stored_spans_again(fake, small_caps, make_source, store):
    route = "okx /api/v5/rubik/stat/contracts/open-interest-history"
    first = make_source(store=store, exchanges=("okx",))
    first.history(first.symbol)
    first.close()
    before = fake.route_counts()[route]
    again = make_source(store=store, exchanges=("okx",))
    again.history(again.symbol)
    assert fake.route_counts()[route] - before == 1  # the newest 5-minute window only: the rest is stored
    assert {s.feed: s for s in again.feed_states()}["okx:open_interest"].history_from_ms == -(-(fake.now_ms - 3 * HOUR_MS) // HOUR_MS) * HOUR_MS
