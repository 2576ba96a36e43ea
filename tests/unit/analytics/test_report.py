"""MarketReport: values, JSON keys, missing data as null + note, the sentence format."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.central import Central
from analytics.ensemble import EnsembleModel, weighted_quantiles
from analytics.imbalance import imbalance
from analytics.params import ModelParams
from analytics.liquidation import LiquidationModel
from analytics.report import build_report as _build_report
from tests.unit.analytics.market_gen import T0, random_market

HOUR = 3_600_000
DAY = 24 * HOUR
JSON_KEYS = {"symbol", "at", "price", "change_pct", "drawdown_pct", "at_risk", "open_interest", "volume_30d_usd",
             "funding", "sweep", "notes"}


# The venues' display names reach analytics as data (the command passes the registry's); these tests name three.
LABELS = {"binance": "Binance", "okx": "OKX", "bybit": "Bybit"}


def build_report(*args, **kwargs):
    return _build_report(*args, venue_labels=LABELS, **kwargs)


def market(days=40):
    c, o = random_market(days * 24, seed=11, tf=HOUR, vol=0.01)
    f = pd.DataFrame({"ts": [T0, T0 + 8 * HOUR], "exchange": ["binance", "binance"], "rate": [0.0001, -0.0002]})
    liq = pd.DataFrame({"ts": [T0 + (days - 1) * DAY + HOUR], "exchange": ["binance"], "side": ["long"],
                        "price": [1.0], "qty_base": [1.0], "notional_usd": [123.0]})
    return c, o, f, liq


def test_report_values_match_their_definitions():
    c, o, f, liq = market()
    at = T0 + 40 * DAY
    r = build_report(c, o, f, liq, at, days=16, timeframe_ms=HOUR)
    closes = c.groupby("ts")["close"].median()
    assert r.price == pytest.approx(closes.iloc[-1])
    start_close = closes[closes.index + HOUR <= at - 16 * DAY].iloc[-1]
    assert r.change_pct == pytest.approx((r.price / start_close - 1) * 100)
    window_high = c[(c.ts + HOUR > at - 16 * DAY)].groupby("ts")["high"].median().max()
    assert r.drawdown_pct == pytest.approx((r.price / window_high - 1) * 100)
    model = LiquidationModel.from_history(c, o, timeframe_ms=HOUR)
    im = imbalance(model.map_at(at))
    assert [a.side for a in r.at_risk] == ["short", "long"]
    # Default settings say nothing about the crowd: the central figure is the weighted median over the
    # plausible crowds (narrowed by the recorded events); the default crowd's own figure is kept beside it.
    assert r.at_risk[0].settings_usd == pytest.approx(im.shorts_at_risk_usd)
    assert r.at_risk[1].settings_usd == pytest.approx(im.longs_at_risk_usd)
    ens = EnsembleModel.from_history(c, o, timeframe_ms=HOUR)
    m = model.map_at(at)
    em = ens.maps_at(at, m.bin_edges, m.price, member_weights=ens.member_weights(at, liq))
    for a, members in ((r.at_risk[0], em.shorts_at_risk(im.up)), (r.at_risk[1], em.longs_at_risk(im.down))):
        assert a.central is Central.MEDIAN_CROWD
        assert a.notional_usd == pytest.approx(weighted_quantiles(members[:, None], em.weights, (0.5,))[0, 0])
        assert a.notional_low_usd <= a.notional_usd <= a.notional_high_usd
    assert r.ratio == pytest.approx(r.at_risk[0].notional_usd / r.at_risk[1].notional_usd)
    assert r.at_risk[0].target == pytest.approx(r.price * 1.1, rel=1e-3)
    assert r.open_interest["okx"].base == o[(o.exchange == "okx") & (o.ts <= at)]["oi_base"].iloc[-1]
    assert r.funding == {"binance": -0.0002, "okx": None, "bybit": None}
    assert r.liquidations_24h.per_exchange["binance"] == (123.0, 0.0, "real")
    assert r.liquidations_24h.per_exchange["okx"][2] == "estimated"
    assert r.volume.rank[0] in ("binance", "okx", "bybit") and sum(r.volume.share.values()) == pytest.approx(1.0)


def test_settings_that_state_a_crowd_are_the_central_figure():
    c, o, f, liq = market()
    at = T0 + 40 * DAY
    params = ModelParams(leverages=(10.0, 20.0), weights=(0.5, 0.5))  # what a fit or the user would set
    r = build_report(c, o, f, liq, at, days=16, params=params, timeframe_ms=HOUR)
    im = imbalance(LiquidationModel.from_history(c, o, params, timeframe_ms=HOUR).map_at(at))
    assert r.at_risk[0].central is Central.SETTINGS and r.at_risk[1].central is Central.SETTINGS
    assert r.at_risk[0].notional_usd == pytest.approx(im.shorts_at_risk_usd)
    assert r.at_risk[1].notional_usd == pytest.approx(im.longs_at_risk_usd)
    for a in r.at_risk:  # the range is widened to hold the settings' figure
        assert a.notional_low_usd <= a.notional_usd <= a.notional_high_usd
    assert not any("median plausible crowd" in n for n in r.notes)


def test_json_has_the_contract_keys_and_no_made_up_numbers():
    c, o, f, liq = market()
    r = build_report(c, o, f, liq, T0 + 40 * DAY, days=16, up=1e9, down=1.0, timeframe_ms=HOUR)
    d = json.loads(json.dumps(r.to_json_dict(), allow_nan=False))
    assert JSON_KEYS <= set(d)
    assert d["at"] == "2026-02-10T00:00:00Z"
    assert [(a["side"], a["target"]) for a in d["at_risk"]] == [("short", 1e9), ("long", 1.0)]
    assert set(d["open_interest"]["binance"]) >= {"base", "usd", "change_pct_30d"}
    assert d["funding"]["okx"] is None and any("OKX: no funding" in n for n in d["notes"])
    assert set(d["sweep"]) == {"swept", "low", "high"}


def test_missing_open_interest_and_short_history_are_null_with_notes():
    c, o, f, liq = market(days=5)
    r = build_report(c, o.iloc[0:0], None, None, T0 + 5 * DAY, days=16, timeframe_ms=HOUR)
    d = r.to_json_dict()
    assert d["change_pct"] is None and d["volume_30d_usd"] is None and d["open_interest"] == {}
    assert all(a["notional_usd"] is None for a in d["at_risk"])
    assert d["price"] is not None and d["drawdown_pct"] is not None
    notes = " ".join(d["notes"])
    assert "no open interest: the map is RELATIVE" in notes and "change over 16 days unknown" in notes and "30-day volume unknown" in notes
    assert "unknown shorts at risk" in r.to_text()
    # Nothing recorded and no OI to estimate from: unknown, never "$0" (and the reason is said).
    assert d["liquidations_24h"] is None and "liquidations in the last 24 h unknown" in notes
    assert "$0" not in r.to_text()
    # Where the volume-based (relative) clusters sit is said instead.
    assert d["relative_clusters"] is not None and "Relative map (no open interest)" in r.to_text()
    # 5 days of data: the high is named for the window really used.
    assert "16-day high" not in r.to_text() and "high of the 5.0 days of data" in r.to_text()


def test_report_uses_only_data_known_at_the_time():
    c, o, f, liq = market()
    at = T0 + 20 * DAY + 30 * 60_000
    full = build_report(c, o, f, liq, at, days=7, timeframe_ms=HOUR).to_json_dict()
    cut = build_report(c[c.ts + HOUR <= at], o[o.ts <= at], f[f.ts <= at], liq[liq.ts <= at], at, days=7,
                       timeframe_ms=HOUR).to_json_dict()
    assert full == cut


def test_text_sentence_format():
    c, o, f, liq = market()
    r = build_report(c, o, f, liq, T0 + 40 * DAY, days=16, up=None, down=None, timeframe_ms=HOUR)
    text = r.to_text()
    assert text.startswith(f"BTC {r.price:,.0f} (")
    assert "over 16 days" in text and "from the 16-day high" in text
    assert f"To {r.at_risk[0].target:,.0f} (+10.0%)" in text
    assert f"to {r.at_risk[1].target:,.0f} (\u221210.0%)" in text
    assert f"{r.ratio:.1f} : 1" in text
    assert "Binance OI" in text and "30-day volume: " in text


def test_empty_data_reports_no_price():
    c, o, f, liq = market(days=2)
    r = build_report(c, o, f, liq, T0 - 1, days=16, timeframe_ms=HOUR)
    assert r.price is None and r.at_risk == () and "no candles closed" in " ".join(r.notes)
    assert r.to_json_dict()["sweep"] is None


def test_without_open_interest_the_24h_liquidations_are_unknown_not_zero():
    c, _o, f, _liq = market()
    r = build_report(c, None, f, None, T0 + 40 * DAY, days=16, timeframe_ms=HOUR)
    assert r.liquidations_24h is None
    text = r.to_text()
    assert "$0" not in text and "Liquidations, last 24 h (estimated)" not in text
    d = json.loads(json.dumps(r.to_json_dict(), allow_nan=False))
    assert d["liquidations_24h"] is None
    assert any("last 24 h unknown" in n and "open interest" in n for n in d["notes"])


def test_simulated_events_are_called_simulated_and_real_ones_real():
    c, o, f, liq = market()
    sim = build_report(c, o, f, liq, T0 + 40 * DAY, days=16, timeframe_ms=HOUR, liquidations_simulated=True)
    assert sim.liquidations_24h.per_exchange["binance"][2] == "simulated"
    assert "real" not in sim.to_text().replace("not real", "")
    assert sim.to_json_dict()["liquidations_24h"]["per_exchange"]["binance"]["source"] == "simulated"
    real = build_report(c, o, f, liq, T0 + 40 * DAY, days=16, timeframe_ms=HOUR)
    assert real.liquidations_24h.per_exchange["binance"][2] == "real"
    assert "simulated" not in real.to_text()


def test_the_high_names_the_window_the_data_actually_covers():
    c, o, f, liq = market(days=40)
    full = build_report(c, o, f, liq, T0 + 40 * DAY, days=16, timeframe_ms=HOUR)
    assert "from the 16-day high" in full.to_text()
    short = c[c.ts >= T0 + 30 * DAY + 19 * HOUR]  # 9.2 days before the end
    r = build_report(short, o, f, liq, T0 + 40 * DAY, days=16, timeframe_ms=HOUR)
    assert r.drawdown_pct is not None
    assert "from the high of the 9.2 days of data" in r.to_text() and "16-day high" not in r.to_text()
    assert r.to_json_dict()["high_window_days"] == pytest.approx(9.2, abs=0.01)


def test_days_over_exactly_that_many_days_of_data_gives_the_change():
    c, o, f, liq = market(days=10)
    at = T0 + 10 * DAY
    r = build_report(c, o, f, liq, at, days=10, timeframe_ms=HOUR)
    first = c[c.ts == T0].groupby("ts")["open"].median().iloc[0]
    assert r.change_pct == pytest.approx((r.price / first - 1) * 100)
    assert "over 10 days" in r.to_text() and "from the 10-day high" in r.to_text()
    assert build_report(c[c.ts > T0], o, f, liq, at, days=10, timeframe_ms=HOUR).change_pct is None
