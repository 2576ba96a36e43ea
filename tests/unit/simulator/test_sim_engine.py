"""Simulator invariants on short runs: OI, crossing, determinism, candle sanity, feedback, contracts."""

import numpy as np
import pandas as pd
import pytest

from analytics.liqprice import BTCUSDT_BRACKETS, isolated_liq_price
from market.series import IMPORTED_ONLY_SERIES, MINUTE_MS, SERIES_COLUMNS, MarketFrames
from market.simulator import MarketSimulator, SimConfig, simulate

CFG = SimConfig(seed=11, days=2, truth_every_minutes=60, record_ledger=True, warmup_minutes=1440)


@pytest.fixture(scope="module")
def result():
    return simulate(CFG)


def _lows_highs(frames: MarketFrames, venues):
    """Per venue: candle ts array and low/high arrays (contiguous minutes)."""
    out = {}
    for v, name in enumerate(venues):
        c = frames.candles[frames.candles["exchange"] == name]
        out[v] = (c["ts"].to_numpy(), c["low"].to_numpy(), c["high"].to_numpy())
    return out


def test_series_have_the_contract_columns_and_dtypes(result):
    for name, cols in SERIES_COLUMNS.items():
        df = result.frames.series(name)
        assert list(df.columns) == list(cols)
        assert {c: str(t) for c, t in df.dtypes.items()} == dict(cols), name
        assert len(df) > 0 or name in IMPORTED_ONLY_SERIES, name


def test_candles_are_sane_contiguous_and_on_every_venue(result):
    c = result.frames.candles
    assert set(c["exchange"]) == {"binance", "okx", "bybit"}
    for col in ("open", "high", "low", "close", "volume", "taker_buy_volume", "quote_volume"):
        assert (c[col] > 0).all(), col
    assert (c["high"] >= np.maximum(c["open"], c["close"])).all()
    assert (c["low"] <= np.minimum(c["open"], c["close"])).all()
    assert (c["taker_buy_volume"] <= c["volume"]).all()
    for name in ("binance", "okx", "bybit"):
        ts = c.loc[c["exchange"] == name, "ts"].to_numpy()
        assert ts[0] == CFG.start_ms and len(ts) == CFG.minutes
        assert (np.diff(ts) == MINUTE_MS).all()
    # Venues trade at slightly different prices (basis), never far apart.
    wide = c.pivot(index="ts", columns="exchange", values="close")
    spread = (wide.max(axis=1) / wide.min(axis=1) - 1).to_numpy()
    assert spread.max() < 0.003 and np.median(spread) > 0


def test_volume_shares_follow_the_venue_shares(result):
    vol = result.frames.candles.groupby("exchange")["volume"].sum()
    share = vol / vol.sum()
    assert share["binance"] > share["okx"] > share["bybit"]


def test_oi_equals_sum_of_open_positions_at_every_snapshot(result):
    oi = result.frames.open_interest.set_index(["ts", "exchange"])
    assert len(result.truth) == CFG.minutes // 60 + 1
    for snap in result.truth:
        for name in CFG.venues:
            row = oi.loc[(snap.ts, name)]
            assert row["oi_base"] == pytest.approx(snap.open_base(name), rel=1e-9, abs=1e-9)
            assert row["oi_usd"] == pytest.approx(row["oi_base"] * snap.venue_price[CFG.venues.index(name)], rel=1e-12)


def test_oi_equals_sum_of_open_positions_at_every_minute():
    sim = MarketSimulator(SimConfig(seed=5, days=1, warmup_minutes=240, truth_every_minutes=0))
    first = sim.step_minutes(0).open_interest  # the OI measured at start
    t = sim.truth_now()
    assert first["ts"].tolist() == [t.ts] * len(sim.config.venues)
    for _ in range(180):
        oi = sim.step_minutes(1).open_interest
        t = sim.truth_now()
        assert oi["ts"].tolist() == [t.ts] * len(sim.config.venues)
        got = dict(zip(oi["exchange"], oi["oi_base"]))
        for name in sim.config.venues:
            assert got[name] == pytest.approx(t.open_base(name), rel=1e-9)


def test_oi_usd_is_oi_base_times_the_close_at_that_instant(result):
    oi = result.frames.open_interest
    c = result.frames.candles
    m = oi.merge(c.assign(ts=c["ts"] + MINUTE_MS)[["ts", "exchange", "close"]], on=["ts", "exchange"])
    assert len(m) == len(c)
    np.testing.assert_allclose(m["oi_usd"], m["oi_base"] * m["close"], rtol=1e-12)


def test_every_liquidation_is_crossed_and_no_crossed_position_survives(result):
    led = result.ledger
    lh = _lows_highs(result.frames, CFG.venues)
    start, end = CFG.start_ms, CFG.end_ms
    checked = liquidated = 0
    for row in led.itertuples(index=False):
        ts, lows, highs = lh[row.venue]
        first = max(row.open_ts, start)  # candles before start were not recorded (warm-up)
        if row.end == "open":
            last = end
        elif row.end == "liquidated":
            last = row.end_ts - row.end_ts % MINUTE_MS  # the minute of the event
        else:
            last = row.end_ts
        if last < first:
            continue
        a = (first - start) // MINUTE_MS
        b = (last - start) // MINUTE_MS
        # Before its end, the cohort's liquidation price was never crossed.
        if b > a:
            if row.side > 0:
                assert lows[a:b].min() > row.liq_price, row
            else:
                assert highs[a:b].max() < row.liq_price, row
        if row.end == "liquidated":
            # ... and in the event's minute it was.
            assert row.open_ts <= last
            if row.side > 0:
                assert lows[b] <= row.liq_price, row
            else:
                assert highs[b] >= row.liq_price, row
            liquidated += 1
        checked += 1
    assert checked > 1000 and liquidated > 100


def test_liquidation_events_are_the_ledgers_liquidations(result):
    led = result.ledger
    liq = led[(led["end"] == "liquidated") & (led["end_ts"] >= CFG.start_ms)]
    ev = result.frames.liquidations
    assert len(ev) == len(liq)
    assert set(ev["side"]) == {"long", "short"}
    # Event price is the liquidation price of a position; each event lies within its minute's range.
    assert np.isin(ev["price"].to_numpy(), liq["liq_price"].to_numpy()).all()
    np.testing.assert_allclose(ev["notional_usd"], ev["qty_base"] * ev["price"], rtol=1e-12)
    c = result.frames.candles.set_index(["ts", "exchange"])
    minute = ev["ts"] - ev["ts"] % MINUTE_MS
    rng = c.loc[list(zip(minute, ev["exchange"]))]
    longs = (ev["side"] == "long").to_numpy()
    assert (ev["price"].to_numpy()[longs] >= rng["low"].to_numpy()[longs]).all()
    assert (ev["price"].to_numpy()[~longs] <= rng["high"].to_numpy()[~longs]).all()
    # Event sizes add up to the liquidated opening sizes minus what was closed voluntarily before.
    assert ev["qty_base"].sum() <= liq["qty0"].sum() + 1e-9
    assert (ev["qty_base"] > 0).all()


def test_liquidation_prices_follow_the_margin_rules(result):
    """Isolated single-tranche rows: the isolated formula with a bracket MMR; cross rows farther away."""
    snap = result.truth[-1]
    mmrs = np.array(sorted({b.mmr for b in BTCUSDT_BRACKETS}))
    for side, p in ((1, "long"), (-1, "short")):
        liq, entry, lev = (getattr(snap, f"{p}_{k}") for k in ("liq_price", "entry_price", "leverage"))
        cross, tranche, kind = (getattr(snap, f"{p}_{k}") for k in ("cross", "tranche", "kind"))
        iso = ~cross & (tranche == 0) & (kind == 0)
        candidates = isolated_liq_price(entry[iso, None], lev[iso, None], side, mmrs[None, :])
        assert np.isclose(candidates, liq[iso, None], rtol=1e-9).any(axis=1).mean() > 0.9  # the rest: tranche ladders
        cr = cross & (kind == 0) & (lev > 1)
        plain = isolated_liq_price(entry[cr], lev[cr], side, 0.004)
        assert (side * (plain - liq[cr]) > 0).mean() > 0.9
        # Open liquidation rows sit beyond the price: longs below, shorts above.
        m = getattr(snap, f"{p}_in_map") & (liq > 0)
        if side > 0:
            assert (liq[m] < snap.price * 1.01).all()
        else:
            assert (liq[m] > snap.price * 0.99).all()


def test_trader_leverage_mix_is_respected_and_market_makers_are_low():
    r = simulate(SimConfig(seed=2, days=0.25, warmup_minutes=120, leverage_mix={10: 1.0}, truth_every_minutes=60))
    snap = r.truth[-1]
    for p in ("long", "short"):
        lev, kind = getattr(snap, f"{p}_leverage"), getattr(snap, f"{p}_kind")
        assert set(lev[kind == 0].tolist()) == {10.0}
        assert lev[kind > 0].max() <= 3.0 and (kind == 1).any()


def test_cascades_feed_back_into_the_price(result):
    imp = result.impact
    assert (imp["down"] > 0).any() and (imp["up"] > 0).any()
    ev = result.frames.liquidations
    minute = (ev["ts"] - ev["ts"] % MINUTE_MS).to_numpy()
    long_minutes = set(minute[(ev["side"] == "long").to_numpy()])
    short_minutes = set(minute[(ev["side"] == "short").to_numpy()])
    # Impact only where positions were liquidated, on the matching side.
    assert set(imp.loc[imp["down"] > 0, "ts"]) <= long_minutes
    assert set(imp.loc[imp["up"] > 0, "ts"]) <= short_minutes
    # Without feedback the same seed gives another path: the impact is what moved it.
    calm = simulate(SimConfig(seed=11, days=2, truth_every_minutes=0, warmup_minutes=1440, liq_impact=0.0))
    assert len(calm.impact) == 0
    assert len(calm.frames.liquidations) > 0
    a = result.frames.candles["low"].to_numpy()
    b = calm.frames.candles["low"].to_numpy()
    assert not np.allclose(a, b)


def test_same_seed_same_frames_other_seed_other_frames(result):
    again = simulate(CFG)
    for name in SERIES_COLUMNS:
        pd.testing.assert_frame_equal(result.frames.series(name), again.frames.series(name))
    other = simulate(SimConfig(seed=12, days=2, truth_every_minutes=0, warmup_minutes=1440))
    assert not np.array_equal(result.frames.candles["close"].to_numpy(), other.frames.candles["close"].to_numpy())


def test_stepping_in_pieces_equals_one_run():
    cfg = SimConfig(seed=4, days=1, truth_every_minutes=0, warmup_minutes=300)
    whole = simulate(cfg).frames
    sim = MarketSimulator(cfg)
    pieces = MarketFrames()
    for n in (7, 1, 500, 239, 241, 452):
        pieces = pieces.merge(sim.step_minutes(n))
    assert sim.now_ms() == cfg.end_ms
    for name in SERIES_COLUMNS:
        pd.testing.assert_frame_equal(whole.series(name), pieces.series(name))


def test_funding_every_8h_and_long_short_every_5_minutes(result):
    f = result.frames.funding
    assert (f["ts"] % (8 * 60 * MINUTE_MS) == 0).all()
    assert len(f) == len(CFG.venues) * (CFG.minutes // 480)
    assert (f["rate"].abs() <= 0.003).all() and f["rate"].nunique() > 1
    ls = result.frames.long_short
    assert (ls["ts"] % (5 * MINUTE_MS) == 0).all()
    assert len(ls) == len(CFG.venues) * (CFG.minutes // 5)
    assert (ls["ratio"] > 0).all()


def test_open_interest_responds_to_cascades(result):
    # Minutes with large liquidations show OI drops on that venue.
    ev = result.frames.liquidations
    oi = result.frames.open_interest
    b = oi[oi["exchange"] == "binance"].set_index("ts")["oi_base"]
    evb = ev[ev["exchange"] == "binance"]
    per_min = evb.groupby(evb["ts"] - evb["ts"] % MINUTE_MS)["qty_base"].sum()
    big = per_min[per_min > per_min.quantile(0.9)]
    drops = [b[t + MINUTE_MS] - b[t] for t in big.index]
    assert np.mean(drops) < 0
    # OI moves: neither constant nor exploding over the run.
    assert b.std() > 0 and b.max() < 3 * b.min()


def test_bad_config_gets_a_clear_message():
    with pytest.raises(ValueError, match="leverage_mix"):
        SimConfig(leverage_mix={200: 1.0})
    with pytest.raises(ValueError, match="minute boundary"):
        SimConfig(start_ms=1)
    with pytest.raises(ValueError, match="one value per venue"):
        SimConfig(venue_shares=(1.0,))
    with pytest.raises(ValueError, match="not registered"):
        SimConfig(venues=("binance", "nowhere"))
    with pytest.raises(ValueError, match="not in the demo market"):
        SimConfig(symbol="DOGE/USDT:USDT")
