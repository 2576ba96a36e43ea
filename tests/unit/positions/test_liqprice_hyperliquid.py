"""Hyperliquid's published liquidation-price formula, through analytics and `python main.py liqprice`.

Ground truth that does not share the formula's code: the liquidation price Hyperliquid itself reported for
a real isolated ETH position (ccxt 4.5.90 hyperliquid.py, fetch_positions recording, copied to
tests/fixtures/live/hyperliquid_samples.json), and the defining condition equity = maintenance margin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.liqprice import HYPERLIQUID_BTC_TIERS, hyperliquid_liq_price, liquidation_price
from tests.run_main import run_main

SAMPLES = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "live" / "hyperliquid_samples.json").read_text())


def _recorded_position() -> dict:
    return SAMPLES["clearinghouse_state"]["body"]["assetPositions"][0]["position"]


def test_matches_the_liquidation_price_hyperliquid_reported():
    p = _recorded_position()
    qty, margin, mmr = float(p["szi"]), float(p["marginUsed"]), 1 / (2 * float(p["maxLeverage"]))
    mark = float(p["positionValue"]) / qty
    got = hyperliquid_liq_price(1, qty, mark, margin, mmr)
    assert got == pytest.approx(float(p["liquidationPx"]), rel=1e-9)  # 2125.00856238


@pytest.mark.parametrize("side", [1, -1])
@pytest.mark.parametrize("margin", [1500.0, 2500.0, 6000.0])
def test_at_the_liquidation_price_equity_equals_maintenance_margin(side, margin):
    qty, entry, mmr, ded = 1.3, 61_000.0, 1 / 80, 0.0
    lp = hyperliquid_liq_price(side, qty, entry, margin, mmr, ded)
    equity = margin + side * qty * (lp - entry)
    assert equity == pytest.approx(qty * lp * mmr - ded, rel=1e-12)
    assert (lp < entry) if side == 1 else (lp > entry)


def test_tier_is_rechosen_at_the_liquidation_price():
    # 2,600 BTC at 60,000 = 156M notional: the 20x tier at entry; a long's liquidation price lies lower, in
    # the 40x tier if the notional there is below 150M, and must satisfy the condition with that tier.
    r = liquidation_price("hyperliquid", 1, 2_600, 60_000, 5_000_000, brackets=HYPERLIQUID_BTC_TIERS)
    b = r.bracket
    assert b is not None and b.floor <= 2_600 * r.price < b.cap
    equity = 5_000_000 + 2_600 * (r.price - 60_000)
    assert equity == pytest.approx(2_600 * r.price * b.mmr - b.cum, rel=1e-9)
    assert HYPERLIQUID_BTC_TIERS[1].cum == pytest.approx(150_000_000 * (0.025 - 0.0125))


def test_cli_reproduces_the_reported_liquidation_price():
    p = _recorded_position()
    out = run_main("liqprice", "--exchange", "hyperliquid", "--side", "long", "--qty", p["szi"], "--entry", p["entryPx"],
                   "--wallet", p["marginUsed"], "--mmr", str(1 / (2 * float(p["maxLeverage"]))), "--cum", "0", "--json",
                   timeout=60)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["exchange"] == "hyperliquid" and d["liquidation_price"] == pytest.approx(float(p["liquidationPx"]), rel=1e-9)


def test_cli_btc_table_and_its_leverage_limit():
    ok = run_main("liqprice", "--exchange", "hyperliquid", "--side", "short", "--qty", "1", "--entry", "60000",
                  "--wallet", "3000", "--leverage", "20", timeout=60)
    assert ok.returncode == 0, ok.stderr
    lp = float(ok.stdout.strip().splitlines()[-1])
    assert 3000 - (lp - 60000) == pytest.approx(lp / 80, rel=1e-6)  # equity = maintenance at 1/(2·40); 10 digits printed
    bad = run_main("liqprice", "--exchange", "hyperliquid", "--side", "long", "--qty", "1", "--entry", "60000",
                   "--wallet", "3000", "--leverage", "50", timeout=60)
    assert bad.returncode == 2 and "at most 40x" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
