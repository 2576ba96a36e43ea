"""`python main.py liqprice` as a user runs it: exit codes, last-line number, --json, one-line errors."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.run_main import run_main


def run(*args: str) -> subprocess.CompletedProcess:
    return run_main("liqprice", *args, timeout=60)


def last_number(out: str) -> float:
    return float(out.strip().splitlines()[-1])


def test_bracket_from_table_long_isolated():
    p = run("--side", "long", "--qty", "0.5", "--entry", "80000", "--wallet", "4000")
    assert p.returncode == 0, p.stderr
    assert last_number(p.stdout) == pytest.approx(80_000 * 0.9 / 0.996, rel=1e-9)


def test_cross_with_other_positions_and_rechosen_bracket():
    p = run("--side", "long", "--qty", "5", "--entry", "60000", "--wallet", "30000", "--other-mm", "500", "--other-upnl", "-200")
    assert p.returncode == 0, p.stderr
    assert last_number(p.stdout) == pytest.approx(269_400 / 4.95, rel=1e-9)
    p = run("--side", "long", "--qty", "4", "--entry", "65000", "--wallet", "26000")
    assert last_number(p.stdout) == pytest.approx(233_950 / 3.98, rel=1e-9)


def test_binance_faq_cross_example_through_the_cli():
    """Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts" worked example
    (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93): ETHUSDT LP 1,153.26."""
    p = run(
        "--side", "long", "--qty", "3683.979", "--entry", "1456.84", "--wallet", "1535443.01",
        "--mmr", "0.10", "--cum", "135365", "--other-mm", "71200.81144", "--other-upnl", "-56354.57",
    )
    assert p.returncode == 0, p.stderr
    assert round(last_number(p.stdout), 2) == 1_153.26
    p = run(
        "--side", "long", "--qty", "109.488", "--entry", "32481.98", "--wallet", "1535443.01",
        "--mmr", "0.025", "--cum", "16300", "--other-mm", "356512.508", "--other-upnl", "-448192.89", "--json",
    )
    assert round(json.loads(p.stdout)["liquidation_price"], 2) == 26_316.89
    # the same BTC position with the bracket taken from the built-in BTCUSDT table (3.56M -> 2.5 %, 16,300)
    p = run("--side", "long", "--qty", "109.488", "--entry", "32481.98", "--wallet", "1535443.01",
            "--other-mm", "356512.508", "--other-upnl", "-448192.89", "--leverage", "20", "--symbol", "BTC/USDT:USDT")
    assert p.returncode == 0, p.stderr
    assert round(last_number(p.stdout), 2) == 26_316.89 and "MMR 2.5000%" in p.stdout


def test_explicit_bracket_json():
    p = run("--side", "short", "--qty", "1", "--entry", "30000", "--wallet", "3000", "--mmr", "0.01", "--cum", "50", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["liquidation_price"] == pytest.approx((3_000 + 50 + 30_000) / (0.01 + 1))
    assert (data["mmr"], data["cum"], data["exchange"]) == (0.01, 50, "binance")


def test_okx_and_bybit_rules():
    p = run("--side", "long", "--qty", "0.5", "--entry", "80000", "--wallet", "4000", "--exchange", "okx", "--mmr", "0.004", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["liquidation_price"] == pytest.approx((40_000 - 4_000) / (0.5 * (1 - 0.0045)))
    p = run("--side", "long", "--qty", "0.5", "--entry", "50000", "--wallet", "2500", "--exchange", "bybit")
    assert p.returncode == 0, p.stderr
    assert last_number(p.stdout) == pytest.approx(45_250)


def test_margin_covering_everything_prints_zero():
    p = run("--side", "long", "--qty", "1", "--entry", "30000", "--wallet", "40000")
    assert p.returncode == 0 and last_number(p.stdout) == 0.0 and "no liquidation" in p.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--leverage", "150"], "too high"),
        (["--leverage", "110", "--qty", "1"], "at most 100x"),
        (["--cum", "50"], "--cum needs --mmr"),
        (["--mmr", "0.004"], "--mmr needs --cum"),
        (["--mmr", "1.5", "--cum", "0"], "between 0 and 1"),
        (["--mmr", "0.004", "--cum", "0", "--leverage", "10"], "not both"),
        (["--exchange", "okx"], "no built-in bracket table"),
        (["--symbol", "DOGEUSDT"], "no built-in bracket table"),
        (["--qty", "10000"], "beyond the built-in"),
        (["--qty", "-1"], "positive"),
    ],
)
def test_errors_are_one_line_exit_2(args, words):
    base = {"--side": "long", "--qty": "0.5", "--entry": "80000", "--wallet": "4000"}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    flat = [x for kv in base.items() for x in kv]
    p = run(*flat)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
