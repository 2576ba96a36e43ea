"""The demo's positions do not follow the liquidation model's assumptions, and their truth is exact:
two sides per contract, stops, cross margin, tranches, heavy-tailed whole closes, absorbers, crowds."""

import numpy as np
import pandas as pd
import pytest

from market.series import MINUTE_MS
from market.simulator import CROWDS, SimConfig, crowd_config, simulate, true_map

CFG = SimConfig(seed=21, days=2, truth_every_minutes=180, record_ledger=True, warmup_minutes=1440)


@pytest.fixture(scope="module")
def result():
    return simulate(CFG)


def _alive_sum(led: pd.DataFrame, instants: np.ndarray) -> np.ndarray:
    """Open size at each instant from the ledger alone: opened by then and not ended before."""
    o = np.sort(led["open_ts"].to_numpy())
    oq = np.concatenate([[0.0], np.cumsum(led["qty0"].to_numpy()[np.argsort(led["open_ts"].to_numpy(), kind="stable")])])
    ended = led[led["end_ts"] >= 0]
    e_order = np.argsort(ended["end_ts"].to_numpy(), kind="stable")
    e = ended["end_ts"].to_numpy()[e_order]
    eq = np.concatenate([[0.0], np.cumsum(ended["qty0"].to_numpy()[e_order])])
    return oq[np.searchsorted(o, instants, "right")] - eq[np.searchsorted(e, instants, "left")]


def test_open_interest_is_open_longs_is_open_shorts_at_every_minute(result):
    led = result.ledger
    oi = result.frames.open_interest
    for v, name in enumerate(CFG.venues):
        rows = oi[oi["exchange"] == name]
        ts = rows["ts"].to_numpy()
        assert len(ts) == CFG.minutes + 1 and (np.diff(ts) == MINUTE_MS).all()
        longs = _alive_sum(led[(led["venue"] == v) & (led["side"] > 0)], ts)
        shorts = _alive_sum(led[(led["venue"] == v) & (led["side"] < 0)], ts)
        np.testing.assert_allclose(longs, rows["oi_base"].to_numpy(), rtol=1e-8)
        np.testing.assert_allclose(shorts, rows["oi_base"].to_numpy(), rtol=1e-8)
    for snap in result.truth:
        assert snap.long_qty_base.sum() == pytest.approx(snap.short_qty_base.sum(), rel=1e-9)


def test_every_event_is_a_ledger_liquidation_whose_price_the_candle_crossed(result):
    led = result.ledger
    liq = led[(led["end"] == "liquidated") & (led["end_ts"] >= CFG.start_ms)]
    ev = result.frames.liquidations
    assert len(ev) == len(liq) > 50
    np.testing.assert_allclose(np.sort(ev["price"].to_numpy()), np.sort(liq["liq_price"].to_numpy()), rtol=1e-12)
    c = result.frames.candles.set_index(["ts", "exchange"])
    minute = ev["ts"] - ev["ts"] % MINUTE_MS
    rng = c.loc[list(zip(minute, ev["exchange"]))]
    longs = (ev["side"] == "long").to_numpy()
    assert (ev["price"].to_numpy()[longs] >= rng["low"].to_numpy()[longs]).all()
    assert (ev["price"].to_numpy()[~longs] <= rng["high"].to_numpy()[~longs]).all()
    # Before that minute no candle since the opening crossed it; open liquidation rows were never crossed.
    lows = {v: c.xs(n, level="exchange")["low"] for v, n in enumerate(CFG.venues)}
    highs = {v: c.xs(n, level="exchange")["high"] for v, n in enumerate(CFG.venues)}
    for row in liq.sample(min(300, len(liq)), random_state=1).itertuples():
        a, b = max(row.open_ts, CFG.start_ms), row.end_ts
        if b > a:
            if row.side > 0:
                assert lows[row.venue].loc[a : b - MINUTE_MS].min() > row.liq_price
            else:
                assert highs[row.venue].loc[a : b - MINUTE_MS].max() < row.liq_price
    still = led[(led["end"] == "open") & led["in_map"] & (led["open_ts"] >= CFG.start_ms)]
    for row in still.sample(min(300, len(still)), random_state=2).itertuples():
        if row.open_ts > CFG.end_ms - MINUTE_MS:
            continue  # opened in the last minute: no candle since to have crossed it
        if row.side > 0:
            assert lows[row.venue].loc[row.open_ts :].min() > row.liq_price
        else:
            assert highs[row.venue].loc[row.open_ts :].max() < row.liq_price


def test_stops_fire_before_liquidation_and_stopped_rows_are_never_liquidations(result):
    led = result.ledger
    stopped = led[led["end"] == "stopped"]
    assert len(stopped) > 20
    assert not stopped["in_map"].any()
    # A row with a stop is a liquidation row only if its liquidation price comes first.
    liq = led[(led["end"] == "liquidated") & led["stop_price"].notna()]
    s = liq["side"].to_numpy()
    assert (s * (liq["liq_price"] - liq["stop_price"]).to_numpy() > 0).all()
    # Stops fire in a minute whose low (long) / high (short) reached them.
    c = result.frames.candles.set_index(["ts", "exchange"])
    rec = stopped[stopped["end_ts"] >= CFG.start_ms]
    r = c.loc[list(zip(rec["end_ts"], np.array(CFG.venues)[rec["venue"]]))]
    lo = rec["side"].to_numpy() > 0
    assert (r["low"].to_numpy()[lo] <= rec["stop_price"].to_numpy()[lo]).all()
    assert (r["high"].to_numpy()[~lo] >= rec["stop_price"].to_numpy()[~lo]).all()
    # No position is liquidated after its stop closed it.
    pos_stop = stopped.groupby("position")["end_ts"].min()
    pos_liq = led[led["end"] == "liquidated"].groupby("position")["end_ts"].max()
    both = pos_stop.index.intersection(pos_liq.index)
    assert (pos_liq.loc[both] <= pos_stop.loc[both]).all()


def test_large_positions_are_liquidated_in_tranches(result):
    led = result.ledger
    multi = led.groupby("position")["tranche"].transform("max") > 0
    tr = led[multi & (led["kind"] < 2)].sort_values(["position", "tranche"])
    assert tr["position"].nunique() > 50
    # Each next tranche is farther from the entry.
    d = tr.groupby("position")["liq_price"].diff().dropna()
    side = tr.loc[d.index, "side"]
    assert ((d * side) <= 0).all() and ((d * side) < 0).mean() > 0.5  # (0 = a long never liquidated)
    # Some positions lost a first tranche and kept the rest open a while (partial liquidation).
    first = tr[(tr["tranche"] == 0) & (tr["end"] == "liquidated")].set_index("position")["end_ts"]
    second = tr[tr["tranche"] == 1].set_index("position")
    common = first.index.intersection(second.index)
    later = (second.loc[common, "end_ts"] > first.loc[common]) | (second.loc[common, "end"] == "open")
    assert later.sum() >= 1


def test_lifetimes_are_heavy_tailed_and_positions_close_whole(result):
    led = result.ledger
    traders = led[(led["kind"] == 0) & (led["tranche"] == 0)]
    life = (traders["exp_ts"] - traders["open_ts"]).to_numpy() / MINUTE_MS + 1  # planned lifetimes
    med = np.median(life)
    # An exponential lifetime has p99 / median = ln 100 / ln 2 ~ 6.6; these have a fat tail.
    assert np.percentile(life, 99) / med > 15
    assert life.mean() == pytest.approx(CFG.mean_hold_minutes, rel=0.25)
    closed = led[(led["end"] == "closed") & (led["kind"] == 0)]
    # Rows close whole: a closed row's end equals its scheduled expiry.
    assert (closed["end_ts"] == closed["exp_ts"]).all()


def test_true_map_holds_only_rows_liquidated_before_their_stop(result):
    snap = result.truth[-1]
    edges = np.linspace(snap.price * 0.5, snap.price * 1.5, 401)
    lm, sm = true_map(snap, edges)
    m = snap.long_in_map & (snap.long_liq_price >= edges[0]) & (snap.long_liq_price <= edges[-1])
    assert lm.sum() == pytest.approx((snap.long_qty_base * snap.long_liq_price)[m].sum(), rel=1e-12)
    assert (~snap.long_in_map).any() and (~snap.short_in_map).any()
    assert sm.sum() > 0
    # The map holds less than all open notional: stops, market makers at 1x, far cross prices.
    assert lm.sum() < (snap.long_qty_base * snap.price).sum()


def test_passive_side_has_market_makers_and_taker_flow_is_not_the_openings(result):
    snap = result.truth[-1]
    mm_share = snap.long_qty_base[snap.long_kind > 0].sum() / snap.long_qty_base.sum()
    assert 0.1 < mm_share < 0.8
    c = result.frames.candles
    share = (c["taker_buy_volume"] / c["volume"]).to_numpy()
    assert 0.35 < share.mean() < 0.65 and share.std() > 0.05


def test_crowds_are_named_and_differ():
    assert set(CROWDS) == {"default", "hold_8h", "hold_72h", "low_leverage", "high_leverage", "few_market_makers", "many_market_makers"}
    assert crowd_config("default") == SimConfig() or crowd_config("default").leverage_mix == SimConfig().leverage_mix
    assert crowd_config("hold_8h").mean_hold_minutes == 480 and crowd_config("hold_72h").mean_hold_minutes == 4320
    assert crowd_config("few_market_makers").mm_share < SimConfig().mm_share < crowd_config("many_market_makers").mm_share
    model_tiers = {5, 10, 25, 50, 100}
    for name in ("default", "low_leverage", "high_leverage"):
        assert set(crowd_config(name).leverage_mix) != model_tiers
    assert crowd_config("hold_72h", seed=3, days=1).seed == 3
    with pytest.raises(ValueError, match="unknown crowd"):
        crowd_config("patient")
    with pytest.raises(ValueError, match="not SimConfig fields"):
        crowd_config("default", colour=1)
    lo = simulate(crowd_config("low_leverage", seed=4, days=0.5, warmup_minutes=720, truth_every_minutes=0)).frames.liquidations
    hi = simulate(crowd_config("high_leverage", seed=4, days=0.5, warmup_minutes=720, truth_every_minutes=0)).frames.liquidations
    assert hi["notional_usd"].sum() > 2 * lo["notional_usd"].sum()
