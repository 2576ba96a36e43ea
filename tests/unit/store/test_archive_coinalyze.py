"""Coinalyze per-minute liquidation history (API JSON and t,l,s CSV), made by hand in its format.

The unit traps: ``t`` is in seconds; ``l``/``s`` are base for linear contracts and USD for inverse ones;
the symbol's suffix names the venue; a per-minute sum has no price and stays apart from single events.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.unit.store.test_archive_import import write

from market.archive import ImportProblem, import_files
from market.archive_coinalyze import market_of
from market.snapshot_file import save_snapshot
from market.snapshot_source import open_snapshot

T = 1_789_419_660  # 2026-09-14 21:01 UTC, in seconds as Coinalyze writes it
MS = T * 1000


def test_symbols_say_venue_contract_and_unit():
    assert market_of("BTCUSDT_PERP.3") == ("okx", "BTC/USDT:USDT", "base")
    assert market_of("BTCUSD_PERP.3") == ("okx", "BTC/USD:BTC", "usd")
    assert market_of("BTCUSDT.6") == ("bybit", "BTC/USDT:USDT", "base")
    assert market_of("BTCUSD.6") == ("bybit", "BTC/USD:BTC", "usd")
    assert market_of("ETHUSDT_PERP.A") == ("binance", "ETH/USDT:USDT", "base")
    with pytest.raises(ValueError, match="not a venue Cascade shows"):
        market_of("XBTUSD.0")  # BitMEX


def _api_json(*entries) -> str:
    return json.dumps([{"symbol": sym, "history": [{"t": t, "l": l, "s": s} for t, l, s in rows]} for sym, rows in entries])


def test_api_json_linear_in_base_inverse_in_usd_times_in_seconds(tmp_path):
    (tmp_path / "liquidations.json").write_text(_api_json(
        ("BTCUSDT_PERP.3", [(T, 0.6074, 0), (T + 60, 0.9831, 0.25)]),
        ("BTCUSD_PERP.3", [(T + 120, 22900, 0)]),
    ))
    with pytest.raises(ImportProblem, match="several symbols"):
        import_files([tmp_path])
    linear = import_files([tmp_path], symbol="BTC/USDT:USDT")
    m = linear.frames.liquidation_minutes
    assert m["ts"].tolist() == [MS, MS + 60_000]  # seconds -> ms
    assert m["exchange"].tolist() == ["okx", "okx"]
    assert m["long_base"].tolist() == [0.6074, 0.9831] and m["short_base"].tolist() == [0.0, 0.25]
    assert m["long_usd"].isna().all() and m["short_usd"].isna().all()  # no price, no USD
    assert len(linear.frames.liquidations) == 0  # never mixed with single events
    assert [s.reason for s in linear.skipped] == ["is BTC/USD:BTC, not BTC/USDT:USDT"]
    inverse = import_files([tmp_path], symbol="BTC/USD:BTC").frames.liquidation_minutes
    assert inverse["long_usd"].tolist() == [22900.0] and inverse["long_base"].isna().all()


def test_csv_named_after_its_coinalyze_symbol(tmp_path):
    write(tmp_path / "BTCUSDT.6_1min.csv", ["t,l,s", f"{T},0.072,0", f"{T + 60},0.377,0", f"{T + 3480},0,1.5"])
    write(tmp_path / "BTCUSD.6_1min.csv", ["t,l,s", f"{T + 360},90362,0"])
    result = import_files([tmp_path / "BTCUSDT.6_1min.csv"])
    m = result.frames.liquidation_minutes
    assert result.frames.symbol == "BTC/USDT:USDT" and set(m["exchange"]) == {"bybit"}
    assert m["ts"].tolist() == [MS, MS + 60_000, MS + 3_480_000] and m["short_base"].tolist() == [0, 0, 1.5]
    inverse = import_files([tmp_path / "BTCUSD.6_1min.csv"]).frames
    assert inverse.symbol == "BTC/USD:BTC" and inverse.liquidation_minutes["long_usd"].tolist() == [90362.0]


def test_csv_with_another_name_needs_market_and_unit(tmp_path):
    f = write(tmp_path / "okx-liqs.csv", ["t,l,s", f"{T},220.5,0"])
    result = import_files([f])
    assert result.frames.is_empty()
    assert "pass --exchange, --symbol and --liq-unit base|usd" in result.skipped[0].reason
    m = import_files([f], exchange="okx", symbol="BTC/USD:BTC", liq_unit="usd").frames.liquidation_minutes
    assert m["long_usd"].tolist() == [220.5] and m["long_base"].isna().all()


@pytest.mark.parametrize("name, lines, reason", [
    ("BTCUSDT.6_1min.csv", ["t,l,s", f"{T + 30},1,0"], "times are not minute starts: not a 1-minute history"),
    ("BTCUSDT.6_5min.csv", ["t,l,s", f"{T + 240},1,0"], "a 5min history: only 1-minute histories are read"),
    ("BTCUSDT.6_1min.csv", ["t,l,s", f"{T},-1,0"], "1 row with negative liquidation sums"),
    ("BTCUSDT.6_1min.csv", ["t,l,s", f"{T},abc,0"], None),
    ("XBTUSD.0_1min.csv", ["t,l,s", f"{T},1,0"], None),
])
def test_bad_csv_files_are_skipped_with_a_reason(tmp_path, name, lines, reason):
    write(tmp_path / name, lines)
    result = import_files([tmp_path])
    assert result.frames.is_empty()
    (s,) = result.skipped
    assert "\n" not in s.reason and s.reason
    if reason is not None:
        assert s.reason == reason


def test_coarser_json_history_is_refused(tmp_path):
    rows = [(T + 240 + 300 * i, 1.0, 0.0) for i in range(10)]  # every time on a 5-minute mark
    (tmp_path / "h.json").write_text(_api_json(("BTCUSDT_PERP.3", rows)))
    assert "coarser interval" in import_files([tmp_path]).skipped[0].reason


@pytest.mark.parametrize("text", ['{"symbol": 3}', "[]", '[{"symbol": "BTCUSDT_PERP.3", "history": [{"t": "x", "l": 1, "s": 0}]}]',
                                  "[" * 3000 + "]" * 3000, '[{"symbol": "BTCUSDT_PERP.3", "history": [{"t": 1}]}]'])
def test_malformed_json_is_skipped_in_one_line(tmp_path, text):
    (tmp_path / "bad.json").write_text(text)
    result = import_files([tmp_path])
    assert result.frames.is_empty()
    (s,) = result.skipped
    assert s.reason and "\n" not in s.reason


def test_minutes_survive_a_snapshot_and_are_known_only_once_their_minute_is_over(tmp_path):
    write(tmp_path / "BTCUSDT_PERP.3_1min.csv", ["t,l,s", f"{T},0.5,0", f"{T + 60},0,2"])
    frames = import_files([tmp_path]).frames
    back = open_snapshot(save_snapshot(frames, tmp_path / "m.cascade", source_kind="import")).history("BTC/USDT:USDT")
    assert back.liquidation_minutes["long_base"].tolist() == [0.5, 0.0]
    assert np.isnan(back.liquidation_minutes["long_usd"]).all()
    # The minute opened at T covers [T, T+60 s): at T+30 s its sum is not known yet.
    assert len(back.known_at(MS + 30_000).liquidation_minutes) == 0
    assert len(back.known_at(MS + 60_000).liquidation_minutes) == 1
