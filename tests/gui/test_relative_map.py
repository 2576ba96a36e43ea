"""Candles only: the window draws the volume-based map, labelled RELATIVE, and says nothing in USD."""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from tests.run_main import run_main


def _candles_only_snapshot(tmp_path):
    n = 3 * 1440
    ts = 1_767_225_600_000 + np.arange(n, dtype=np.int64) * 60_000
    rng = np.random.default_rng(1)
    close = 80_000 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    open_ = np.r_[close[0], close[:-1]]
    df = pd.DataFrame({"timestamp": ts, "open": open_, "high": np.maximum(open_, close) * 1.001,
                       "low": np.minimum(open_, close) * 0.999, "close": close, "volume": rng.gamma(2, 50, n)})
    csv = tmp_path / "ohlcv.csv"
    df.to_csv(csv, index=False)
    out = tmp_path / "candles.cascade"
    r = run_main("import", str(csv), "--exchange", "binance", "--symbol", "BTC/USDT:USDT", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_candles_only_snapshot_draws_a_relative_map_with_no_usd(qtbot, make_window, tmp_path):
    from gui.sources import SourceSpec

    path = _candles_only_snapshot(tmp_path)
    win = make_window(SourceSpec("snapshot", path=str(path)))
    qtbot.waitUntil(lambda: win.card.view is not None, timeout=60_000)
    assert win.card.view.relative
    text = win.card.label.text()
    assert "RELATIVE" in text and "$0" not in text and "at risk" not in text
    liqmap = win.terminal.liqmap
    assert liqmap.relative and liqmap.map is not None
    assert max(liqmap.map.long_usd.max(), liqmap.map.short_usd.max()) == pytest.approx(1.0)  # heaviest bin = 1
    assert "RELATIVE" in win.terminal.price.estimate_label.toPlainText()
    heat = win.terminal.result.liquidity.heatmap
    assert heat is not None and heat.values.size and float(heat.values.max()) <= 1.0 + 1e-6


def test_report_on_candles_only_says_where_the_relative_clusters_sit(tmp_path):
    path = _candles_only_snapshot(tmp_path)
    r = run_main("report", "--open", str(path))
    assert r.returncode == 0, r.stderr
    assert "Relative map (no open interest)" in r.stdout and "heaviest short cluster" in r.stdout
    assert "Liquidations, last 24 h" not in r.stdout.splitlines()[0]  # unknown, never "$0"
    assert "16-day high" not in r.stdout and "high of the 3.0 days of data" in r.stdout


def test_the_oi_model_takes_over_once_open_interest_arrives():
    from gui.analytics_bridge import ModelKeeper
    from tests.unit.analytics.market_gen import random_market
    from market.series import MarketFrames

    c, o = random_market(1500, exchanges=("binance",), seed=2)
    keeper = ModelKeeper()
    frames = MarketFrames(symbol="BTC/USDT:USDT", timeframe_ms=60_000, candles=c)
    assert keeper.view(1, frames, keeper_params(), ("binance",), None, None, live=True).relative
    with_oi = MarketFrames(symbol="BTC/USDT:USDT", timeframe_ms=60_000, candles=c, open_interest=o)
    view = keeper.view(1, with_oi, keeper_params(), ("binance",), None, None, live=True)
    assert not view.relative and view.ensemble is not None
    # The map's shaded ranges come with the view (the worker's thread), the ensemble's own figures.
    for got, want in zip(view.ranges, view.ensemble.cumulative_ranges()):
        np.testing.assert_array_equal(got, want)


def test_the_keeper_hands_back_the_same_view_until_the_model_takes_in_something():
    from gui.analytics_bridge import ModelKeeper
    from tests.unit.analytics.market_gen import random_market
    from market.series import MarketFrames

    c, o = random_market(1500, exchanges=("binance", "okx"), seed=4)
    def frames(n):
        return MarketFrames(symbol="BTC/USDT:USDT", timeframe_ms=60_000, candles=c.iloc[: 2 * n], open_interest=o.iloc[: 2 * n + 2])

    keeper = ModelKeeper()
    ask = lambda f: keeper.view(1, f, keeper_params(), ("binance", "okx"), None, None, live=False)  # noqa: E731
    first = ask(frames(1400))
    assert ask(frames(1400)) is first  # nothing new: not recomputed
    later = ask(frames(1401))  # a closed candle more
    assert later is not first and later.map.at_ms == first.map.at_ms + 60_000
    fresh = ModelKeeper().view(1, frames(1401), keeper_params(), ("binance", "okx"), None, None, live=False)
    # the updated model equals a rebuilt one up to rounding
    np.testing.assert_allclose(later.map.long_usd, fresh.map.long_usd, rtol=1e-6)
    for got, want in zip(later.ranges, fresh.ranges):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def keeper_params():
    from analytics.params import ModelParams

    return ModelParams()
