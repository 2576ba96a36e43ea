"""The demo reads its venues from the registry, simulates each demo symbol at its own level, and the
command line's demo is the window's demo."""

import json

import numpy as np
import pytest

import market.venues as venues
from market.simulator import DemoSource, SimConfig, simulate
from market.simulator.symbols import DEMO_SYMBOLS

SHORT = dict(days=0.4, warmup_minutes=480, truth_every_minutes=0)


def test_default_venues_and_shares_come_from_the_registry():
    cfg = SimConfig()
    assert cfg.venues == tuple(venues.VENUES)
    raw = np.array([venues.VENUES[v].demo_share for v in cfg.venues])
    np.testing.assert_allclose(cfg.shares, raw / raw.sum())
    assert cfg.basis == tuple(venues.VENUES[v].demo_basis for v in cfg.venues)


def test_a_venue_added_to_the_registry_appears_in_the_demo(monkeypatch):
    extra = venues.Venue("testvenue", "Test venue", "#ffffff", "#000000", demo_share=0.25, demo_basis=5e-5)
    monkeypatch.setattr(venues, "VENUES", {**venues.VENUES, extra.name: extra})
    cfg = SimConfig(**SHORT)
    assert len(cfg.venues) == len(venues.VENUE_NAMES) + 1 and cfg.venues[-1] == "testvenue"
    frames = simulate(cfg).frames
    for name in ("candles", "open_interest", "funding", "long_short"):
        assert set(frames.series(name)["exchange"]) == set(cfg.venues), name
    vol = frames.candles.groupby("exchange")["volume"].sum()
    assert vol["testvenue"] > 0 and vol["binance"] > vol["testvenue"]


def test_four_synthetic_venues_with_explicit_shares():
    cfg = SimConfig(venues=("a", "b", "c", "d"), venue_shares=(4, 3, 2, 1), venue_basis=(0, 1e-4, -1e-4, 2e-4), **SHORT)
    frames = simulate(cfg).frames
    oi = frames.open_interest
    assert sorted(set(oi["exchange"])) == ["a", "b", "c", "d"]
    last = oi[oi["ts"] == oi["ts"].max()].set_index("exchange")["oi_base"]
    assert last["a"] > last["d"] > 0


@pytest.mark.parametrize("symbol", list(DEMO_SYMBOLS))
def test_each_symbol_has_its_own_price_level_and_size(symbol):
    spec = DEMO_SYMBOLS[symbol]
    src = DemoSource(seed=7, symbol=symbol, history_days=0.5)
    frames = src.history(symbol)
    src.close()
    close = frames.candles["close"].to_numpy()
    assert 0.6 * spec.base_price < np.median(close) < 1.6 * spec.base_price
    oi_usd = frames.open_interest["oi_usd"].groupby(frames.open_interest["ts"]).sum().iloc[-1]
    oi_base = frames.open_interest["oi_base"].groupby(frames.open_interest["ts"]).sum().iloc[-1]
    assert 0.2 * spec.target_oi_base < oi_base < 3 * spec.target_oi_base
    assert 1e9 < oi_usd < 2e10  # every demo market is billions of USD, in its own base units
    assert frames.symbol == symbol


def test_symbols_differ_and_unknown_symbols_are_refused():
    assert set(DemoSource.list_symbols()) >= {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    with pytest.raises(ValueError, match="not in the demo market; choose one of"):
        DemoSource(symbol="DOGE/USDT:USDT")
    src = DemoSource(symbol="ETH/USDT:USDT", history_days=0.1)
    with pytest.raises(ValueError, match="BTC/USDT:USDT"):
        src.history("BTC/USDT:USDT")
    src.close()


def test_window_demo_holds_a_month_by_default():
    from gui.sources import DEMO_HISTORY_DAYS

    assert DemoSource().config.days == 30 and DEMO_HISTORY_DAYS == 30


def test_report_demo_is_the_windows_demo_for_the_same_seed(capsys):
    import main

    rc = main.run(["report", "--demo", "--seed", "7", "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    src = DemoSource(seed=7)  # what the window opens with --seed 7
    c = src.history(src.symbol).candles
    src.close()
    last = c[c["ts"] == c["ts"].max()]
    closes = last["close"].to_numpy()
    assert report["at"].startswith("2026-01-31T00:00")  # the same end rule: start + 30 days
    # The report's price is the last close (of the lead venue, their mean, or their median: with an even
    # number of venues the middle two's mean): the same market.
    assert (np.isclose(closes, report["price"], rtol=1e-12).any() or report["price"] == pytest.approx(closes.mean(), rel=1e-12)
            or report["price"] == pytest.approx(float(np.median(closes)), rel=1e-12))
    other = DemoSource(seed=8)
    assert other.history(other.symbol).candles["close"].iloc[-1] != pytest.approx(report["price"], rel=1e-6)
    other.close()
