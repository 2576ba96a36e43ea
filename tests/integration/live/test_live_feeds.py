"""Every feed on every exchange, through the real ccxt code path against the fake exchange on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from market.series import MINUTE_MS, per_exchange
from market.source import FEED_OK, MarketSource
from tests.integration.live.conftest import HOURS, assert_same_rows, served, wait_until

EXCHANGES = ("binance", "okx", "bybit")
ROOT = Path(__file__).resolve().parents[3]


def test_backfill_stores_exactly_what_each_exchange_served(fake, make_source, store):
    src = make_source(store=store)
    seen = []
    frames = src.history(src.symbol, progress=lambda f, t: seen.append((f, t)))
    now = fake.now_ms
    start = now - HOURS * 60 * MINUTE_MS
    for ex in EXCHANGES:
        c = per_exchange(frames.candles, ex)
        assert_same_rows(c, served(fake, "candles", ex, start, now), ["open", "high", "low", "close", "volume", "quote_volume"])
        oi = per_exchange(frames.open_interest, ex)
        hist = oi[oi["ts"] < now]
        assert_same_rows(hist, served(fake, "open_interest", ex, start, now - 1), ["oi_base"])
        ls = per_exchange(frames.long_short, ex)
        assert_same_rows(ls, served(fake, "long_short", ex, start, now), ["ratio"])
        fu = per_exchange(frames.funding, ex)
        want_fu = served(fake, "funding", ex, start, now)
        assert_same_rows(fu[fu["ts"] <= now], want_fu, ["rate"])
    # the store holds the same rows as history() returned: a restart needs no download
    again = store.read(src.symbol, start, None)
    assert again.row_counts() == frames.row_counts()
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "Backfill done")
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:])), "progress never goes back"
    states = {s.feed: s for s in src.feed_states()}
    for ex in EXCHANGES:
        for series in ("candles", "open_interest", "funding", "long_short", "liquidations"):
            assert states[f"{ex}:{series}"].status == FEED_OK, states[f"{ex}:{series}"]


def test_units_are_converted_per_exchange(fake, make_source):
    src = make_source()
    frames = src.history(src.symbol)
    now = fake.now_ms
    start = now - HOURS * 60 * MINUTE_MS
    # Binance klines carry taker buy base volume (index 9); OKX and Bybit candles do not -> NaN.
    b = per_exchange(frames.candles, "binance")
    np.testing.assert_allclose(b["taker_buy_volume"], served(fake, "candles", "binance", start, now)["taker_buy_volume"])
    assert per_exchange(frames.candles, "okx")["taker_buy_volume"].isna().all()
    assert per_exchange(frames.candles, "bybit")["taker_buy_volume"].isna().all()
    # OKX serves OI in contracts of 0.01 BTC: 1 contract = 0.01 BTC. Check one row by hand from the wire.
    okx = per_exchange(frames.open_interest, "okx")
    row = served(fake, "open_interest", "okx", start, now - 1).iloc[0]
    contracts = round(row.oi_base / 0.01, 4)
    got = okx.loc[okx["ts"] == row.ts, "oi_base"].item()
    assert got == pytest.approx(contracts * 0.01, rel=1e-12)
    assert got == pytest.approx(row.oi_base, rel=1e-12)
    # Binance OI history has its own USD value (sumOpenInterestValue); stored as served.
    bo = per_exchange(frames.open_interest, "binance")
    want_b = served(fake, "open_interest", "binance", start, now - 1)
    np.testing.assert_allclose(bo[bo["ts"] < now]["oi_usd"], want_b["oi_usd"], rtol=1e-12)
    # Bybit OI has no value: priced with the close of the 1m candle that ends at the measurement instant.
    by = per_exchange(frames.open_interest, "bybit")
    byc = per_exchange(frames.candles, "bybit").set_index("ts")["close"]
    checked = 0
    for r in by[by["ts"] < now].itertuples():
        if r.ts - MINUTE_MS in byc.index:
            assert r.oi_usd == pytest.approx(r.oi_base * byc[r.ts - MINUTE_MS], rel=1e-12)
            checked += 1
    assert checked >= 30
    # Bybit's account ratio is buyRatio / sellRatio.
    np.testing.assert_allclose(per_exchange(frames.long_short, "bybit")["ratio"],
                               served(fake, "long_short", "bybit", start, now)["ratio"], rtol=1e-9)


def test_current_open_interest_and_funding(fake, make_source):
    src = make_source()
    frames = src.history(src.symbol)
    now = fake.now_ms
    fu_all = fake.state.data.funding
    for ex in EXCHANGES:
        nxt = fu_all[(fu_all["exchange"] == ex) & (fu_all["ts"] > now)].sort_values("ts").iloc[0]
        fu = per_exchange(frames.funding, ex)
        assert fu.loc[fu["ts"] == nxt.ts, "rate"].item() == pytest.approx(nxt.rate, rel=1e-12)
        oi = per_exchange(frames.open_interest, ex)
        latest = per_exchange(fake.state.data.open_interest, ex)
        latest = latest[latest["ts"] <= now].iloc[-1]
        cur = oi[oi["ts"] == now].iloc[-1]
        assert cur.oi_base == pytest.approx(latest.oi_base, rel=1e-12)
        assert cur.oi_usd > 0


def test_volume_30d_and_public_leverage_tiers(fake, make_source):
    src = make_source()
    src.history(src.symbol)
    vols = src.volume_30d()
    day = 1440 * MINUTE_MS
    for ex in EXCHANGES:
        c = per_exchange(fake.state.data.candles, ex)
        start = (fake.now_ms // day - 30) * day
        complete = c[(c["ts"] >= start) & (c["ts"] < fake.now_ms // day * day)]
        assert vols[ex] == pytest.approx(complete["quote_volume"].sum(), rel=1e-9)
    tiers = src.leverage_tiers()
    assert tiers["binance"] is None  # Binance brackets need a signed request
    assert tiers["okx"][0] == {"tier": 1, "max_base": 5.0, "mmr": 0.004, "max_leverage": 100.0}  # 500 contracts * 0.01
    assert tiers["bybit"][1]["max_notional_usd"] == 2_600_000.0


def test_poll_returns_new_rows_once(fake, make_source):
    src = make_source(exchanges=("binance", "bybit"))
    src.history(src.symbol)
    assert src.poll(src.symbol).row_counts()["candles"] == 0
    fake.advance(3 * MINUTE_MS, push=False)
    got = {"binance": set(), "bybit": set()}

    def drained() -> bool:
        p = src.poll(src.symbol)
        for ex in got:
            got[ex] |= set(per_exchange(p.candles, ex)["ts"].tolist())
        return all(fake.now_ms - MINUTE_MS in s for s in got.values())

    assert wait_until(drained, 10)
    for ex in got:  # the re-fetched last candle plus the three new ones, nothing older
        assert min(got[ex]) >= fake.now_ms - 4 * MINUTE_MS


def test_info_protocol_and_lazy_ccxt(make_source):
    src = make_source()
    info = src.info()
    assert info.kind == "live" and info.label == "Live — Binance, OKX, Bybit"
    assert info.exchanges == EXCHANGES and info.has_real_liquidations
    assert isinstance(src, MarketSource)
    code = "import sys, market.live; from market.live import LiveSource; print('ccxt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_close_is_idempotent_and_refuses_further_history(make_source):
    src = make_source(exchanges=("binance",))
    src.history(src.symbol)
    src.close()
    src.close()
    with pytest.raises(RuntimeError):
        src.history(src.symbol)


def test_close_during_a_backfill_ends_it_promptly(fake, make_source):
    import threading
    import time

    fake.delay("binance", 3.0, "/fapi/v1/klines", times=None)
    src = make_source(exchanges=("binance",), timeout_s=5.0)
    outcome = {}

    def worker() -> None:
        try:
            src.history(src.symbol)
            outcome["result"] = "returned"
        except RuntimeError as exc:
            outcome["result"] = str(exc)

    t = threading.Thread(target=worker)
    t.start()
    assert wait_until(lambda: fake.route_counts().get("binance /fapi/v1/klines", 0) >= 1, 5)
    t0 = time.monotonic()
    src.close()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - t0 < 3
    assert outcome["result"] == "the live source was closed while it was working"
