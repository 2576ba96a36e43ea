"""`python main.py report`: text and JSON from the demo market and from a snapshot file, and its errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from market.venues import VENUE_NAMES

from analytics.report import build_report
from market.series import EXCHANGE_NAMES, MarketFrames
from tests.unit.analytics.market_gen import T0, random_market
from tests.run_main import run_main

HOUR = 3_600_000


def cascade(*args):
    p = run_main("report", *args)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def demo_json():
    rc, out, err = cascade("--demo", "--seed", "3", "--json", "--at", "2026-01-25 12:00", "--days", "10")
    assert rc == 0, err
    return json.loads(out)


def test_demo_json_keys_and_sane_values(demo_json):
    d = demo_json
    assert d["symbol"] == "BTC/USDT:USDT" and d["at"] == "2026-01-25T12:00:00Z" and d["days"] == 10
    assert 1_000 < d["price"] < 1_000_000
    assert -100 < d["change_pct"] < 1_000 and d["drawdown_pct"] <= 0
    short, long_ = d["at_risk"]
    assert (short["side"], long_["side"]) == ("short", "long")
    assert short["target"] == pytest.approx(d["price"] * 1.1, rel=0.01) and long_["target"] == pytest.approx(d["price"] * 0.9, rel=0.01)
    assert short["notional_usd"] > 0 and long_["notional_usd"] > 0
    assert set(d["open_interest"]) == set(VENUE_NAMES)  # every registered venue is in the demo
    for o in d["open_interest"].values():
        assert o["base"] > 0 and o["usd"] == pytest.approx(o["base"] * d["price"], rel=0.05)
        assert o["change_pct_30d"] is None  # the demo history starts 2026-01-01: under 30 days before --at
    assert d["volume_30d_usd"] is None and any("30-day volume unknown" in n for n in d["notes"])
    assert all(isinstance(r, float) for r in d["funding"].values())
    assert d["sweep"] is None or set(d["sweep"]) == {"swept", "low", "high"}
    assert d["liquidations_24h"]["source"] == "simulated"  # the simulator's events: never called real


def test_demo_text_at_end_with_targets():
    rc, out, err = cascade("--demo", "--seed", "3", "--up", "500000", "--down", "1000")
    assert rc == 0, err
    assert out.startswith("BTC ") and "over 16 days" in out and "To 500,000 (+" in out and "to 1,000 (\u2212" in out
    assert "30-day volume: " in out and "Binance OI" in out


@pytest.mark.parametrize("args, message", [
    (("--demo", "--at", "not a time"), "--at: not a time"),
    (("--open", "/nonexistent/x.cascade"), "x.cascade"),
])
def test_errors_are_one_line_and_exit_2(args, message):
    rc, out, err = cascade(*args)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_snapshot_report_equals_report_on_the_same_frames(tmp_path):
    from market.store import save_snapshot

    c, o = random_market(3 * 24 * 60, seed=2, vol=0.0005)
    frames = MarketFrames.build(candles=c, open_interest=o)
    path = save_snapshot(frames, tmp_path / "s.cascade", source_kind="demo", created_at_ms=T0)
    rc, out, err = cascade("--open", str(path), "--json", "--days", "2")
    assert rc == 0, err
    got = json.loads(out)
    end = frames.time_range()[1]
    want = build_report(frames.candles, frames.open_interest, None, None, end, 2, venue_labels=EXCHANGE_NAMES).to_json_dict()
    assert got == json.loads(json.dumps(want))
    assert got["funding"] == {"binance": None, "okx": None, "bybit": None}

    rc, out, err = cascade("--open", str(path), "--at", "2020-01-01")
    assert rc == 2 and out == "" and err.count("\n") == 1 and "before the data starts" in err
    rc, out, err = cascade("--open", str(path), "--up", "1")
    assert rc == 2 and "--up 1 is not above the price" in err

    bad = tmp_path / "bad.cascade"
    bad.write_text("not a snapshot")
    rc, out, err = cascade("--open", str(bad))
    assert rc == 2 and err.count("\n") == 1 and "bad.cascade" in err


def test_since_gives_the_oi_change_since_that_date(tmp_path):
    from market.store import save_snapshot

    c, o = random_market(3 * 24 * 60, seed=4, vol=0.0005)
    frames = MarketFrames.build(candles=c, open_interest=o)
    path = save_snapshot(frames, tmp_path / "s.cascade", source_kind="demo", created_at_ms=T0)
    since = T0 + 24 * HOUR
    rc, out, err = cascade("--open", str(path), "--json", "--days", "2", "--since", pd.Timestamp(since, unit="ms").isoformat())
    assert rc == 0, err
    got = json.loads(out)["open_interest"]
    oi = frames.open_interest
    for ex, o_ex in got.items():
        rows = oi[oi["exchange"] == ex]
        then = rows[rows["ts"] <= since]["oi_base"].iloc[-1]
        now = rows["oi_base"].iloc[-1]
        assert o_ex["change_pct_since"] == pytest.approx((now / then - 1) * 100, rel=1e-6)
    rc, out, err = cascade("--open", str(path), "--since", "2026-13-45")
    assert rc == 2 and err.count("\n") == 1 and "--since: not a time" in err


def test_demo_and_demo_snapshot_events_are_simulated_live_snapshot_events_real(demo_json, tmp_path):
    from market.store import save_snapshot

    assert demo_json["liquidations_24h"]["source"] == "simulated"
    c, o = random_market(3 * 24 * 60, seed=2, vol=0.0005)
    end = int(c["ts"].max()) + 60_000
    liq = pd.DataFrame({"ts": [end - 3_600_000], "exchange": ["binance"], "side": ["long"], "price": [1.0],
                        "qty_base": [1.0], "notional_usd": [5e6]})
    frames = MarketFrames.build(candles=c, open_interest=o, liquidations=liq)
    for kind, word in (("demo", "simulated"), ("live", "real")):
        path = save_snapshot(frames, tmp_path / f"{kind}.cascade", source_kind=kind, created_at_ms=T0)
        rc, out, err = cascade("--open", str(path), "--json", "--days", "2")
        assert rc == 0, err
        assert json.loads(out)["liquidations_24h"]["per_exchange"]["binance"]["source"] == word
