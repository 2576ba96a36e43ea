"""Open interest from other sources: Binance COIN-M metrics and plain open-interest CSVs (hand-made files).

The unit traps: COIN-M metrics count contracts in ``sum_open_interest`` and base in
``sum_open_interest_value``; COIN-M klines count volume in contracts; a plain CSV says nothing, so the
command line states exchange, symbol and unit (contracts: with the contract size) or the file is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.store.test_archive_import import DAY1, KLINE_HEADER, M, kline_rows, write

from market.archive import METRICS_SHIFT_MS, import_files

METRICS_HEADER = ("create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
                  "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio")


def test_coin_m_metrics_contracts_are_usd_and_the_value_is_base(tmp_path):
    write(tmp_path / "BTCUSD_PERP-metrics-2024-01-02.csv", [
        METRICS_HEADER,
        "2024-01-02 00:00:00,BTCUSD_PERP,4210000,10023.80952,1.1,1.2,1.05,0.9",  # 4.21 M contracts of 100 USD
        "2024-01-02 00:05:00,BTCUSD_PERP,4220000,10047.61905,1.1,1.2,1.04,0.9",
    ])
    f = import_files([tmp_path]).frames
    assert f.symbol == "BTC/USD:BTC"
    oi = f.open_interest
    assert oi["ts"].tolist() == [DAY1 + METRICS_SHIFT_MS, DAY1 + 2 * METRICS_SHIFT_MS]
    assert oi["oi_usd"].tolist() == [421_000_000.0, 422_000_000.0]
    assert oi["oi_base"].tolist() == [10023.80952, 10047.61905]
    assert f.long_short["ratio"].tolist() == [1.05, 1.04]


def test_coin_m_metrics_whose_value_reads_like_usd_are_refused(tmp_path):
    write(tmp_path / "BTCUSD_PERP-metrics-2024-01-02.csv", [
        METRICS_HEADER, "2024-01-02 00:00:00,BTCUSD_PERP,4210000,421000000,1.1,1.2,1.05,0.9"])
    result = import_files([tmp_path])
    assert result.frames.is_empty() and "reads like USD" in result.skipped[0].reason


def test_coin_m_klines_volume_in_contracts_base_from_the_eighth_column(tmp_path):
    rows = [f"{DAY1 + i * M},42000,42050,41990,42010,{1000 + i},{DAY1 + i * M + M - 1},{2.38 + i},55,{600 + i},{1.43 + i},0"
            for i in range(3)]
    write(tmp_path / "BTCUSD_PERP-1m-2024-01-02.csv", [KLINE_HEADER] + rows)
    c = import_files([tmp_path]).frames.candles
    assert c["volume"].tolist() == pytest.approx([2.38, 3.38, 4.38])  # base
    assert c["taker_buy_volume"].tolist() == pytest.approx([1.43, 2.43, 3.43])
    assert c["quote_volume"].tolist() == [100_000.0, 100_100.0, 100_200.0]  # contracts x 100 USD


def _oi_csv(tmp_path, header: str, rows: list[str]):
    return write(tmp_path / "oi.csv", [header] + rows)


def test_plain_oi_in_base_with_value(tmp_path):
    f = _oi_csv(tmp_path, "timestamp,open_interest,open_interest_value", [f"{DAY1},80000.5,3.4e9", f"{DAY1 + 300_000},80010,3.41e9"])
    oi = import_files([f], exchange="okx", symbol="BTC/USDT:USDT", oi_unit="base").frames.open_interest
    assert oi["exchange"].tolist() == ["okx", "okx"]
    assert oi["oi_base"].tolist() == [80000.5, 80010.0] and oi["oi_usd"].tolist() == [3.4e9, 3.41e9]


def test_plain_oi_in_linear_contracts_times_the_base_contract_size(tmp_path):
    f = _oi_csv(tmp_path, "timestamp,open_interest", [f"{DAY1 // 1000},2500000"])  # seconds
    oi = import_files([f], exchange="okx", symbol="BTC/USDT:USDT", oi_unit="contracts", contract_size=0.01).frames.open_interest
    assert oi["ts"].tolist() == [DAY1] and oi["oi_base"].tolist() == [25000.0] and np.isnan(oi["oi_usd"]).all()


def test_plain_oi_in_usd_or_inverse_contracts_is_priced_by_the_venues_own_candles(tmp_path):
    lines = ["timestamp,open,high,low,close,volume"] + [
        f"{DAY1 + i * M},{40_000 + i},{40_010 + i},{39_990 + i},{40_000 + i},1" for i in range(10)]
    candles = write(tmp_path / "okx-candles.csv", lines)
    usd = write(tmp_path / "oi.csv", ["ts,oi", f"{DAY1 + 5 * M},4000400000", f"{DAY1 - 60 * M},1"])
    result = import_files([candles, usd], exchange="okx", symbol="BTC/USDT:USDT", oi_unit="usd")
    oi = result.frames.open_interest
    # at DAY1+5m the last closed candle is the one opened at DAY1+4m, close 40,004 (no look-ahead)
    assert oi["ts"].tolist() == [DAY1 + 5 * M]
    assert oi["oi_usd"].tolist() == [4_000_400_000.0] and oi["oi_base"].tolist() == pytest.approx([4_000_400_000 / 40_004])
    notes = next(p.notes for p in result.files if p.kind == "open_interest")
    assert any("1 row without a candle" in n for n in notes)

    inverse = write(tmp_path / "inv.csv", ["timestamp,open_interest", f"{DAY1 + 5 * M},1000000"])
    oi = import_files([candles, inverse], exchange="okx", symbol="BTC/USD:BTC", oi_unit="contracts",
                      contract_size=100).frames.open_interest
    assert oi["oi_usd"].tolist() == [100_000_000.0] and oi["oi_base"].tolist() == pytest.approx([1e8 / 40_004])


def test_plain_oi_in_usd_without_candles_of_its_venue_is_refused(tmp_path):
    f = _oi_csv(tmp_path, "timestamp,open_interest", [f"{DAY1},4e9"])
    result = import_files([f], exchange="okx", symbol="BTC/USDT:USDT", oi_unit="usd")
    assert result.frames.is_empty()
    assert result.skipped[0].reason.startswith("open interest in USD needs okx candles in the same import")


@pytest.mark.parametrize("options, needle", [
    ({}, "pass --exchange, --symbol and --oi-unit base|contracts|usd"),
    ({"exchange": "okx", "symbol": "BTC/USDT:USDT"}, "--oi-unit base|contracts|usd"),
    ({"exchange": "okx", "oi_unit": "base"}, "pass --exchange, --symbol"),
    ({"exchange": "okx", "symbol": "BTC/USDT:USDT", "oi_unit": "contracts"}, "needs --contract-size"),
])
def test_plain_oi_without_its_market_or_unit_asks_for_it(tmp_path, options, needle):
    f = _oi_csv(tmp_path, "timestamp,open_interest", [f"{DAY1},80000"])
    result = import_files([f], **options)
    assert result.frames.is_empty()
    (s,) = result.skipped
    assert needle in s.reason and "\n" not in s.reason


def test_plain_oi_beside_klines_with_klines_header(tmp_path):
    write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", [KLINE_HEADER] + kline_rows(DAY1, 3))
    _oi_csv(tmp_path, "timestamp,open_interest", [f"{DAY1 + M},81000"])
    f = import_files([tmp_path], exchange="bybit", symbol="BTC/USDT:USDT", oi_unit="base").frames
    assert len(f.candles) == 3 and f.open_interest["exchange"].tolist() == ["bybit"]
