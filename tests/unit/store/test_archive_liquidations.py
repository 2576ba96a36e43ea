"""Binance archive liquidationSnapshot files, USDⓈ-M and COIN-M, made by hand in the archive's format.

The unit traps: USDⓈ-M quantities are base, COIN-M quantities are contracts (100 USD for BTC, 10 USD for
other coins); SELL is the forced order that closes a long; COIN-M files list every row twice.
"""

from __future__ import annotations

import pytest
from tests.unit.store.test_archive_import import DAY1, KLINE_HEADER, kline_rows, write

from market.archive import ImportProblem, binance_symbol, import_files
from market.archive_binance import coin_m_contract_usd

HEADER = "time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,last_fill_quantity,accumulated_fill_quantity"


def test_coin_m_contract_names_and_sizes():
    assert binance_symbol("BTCUSD_PERP") == "BTC/USD:BTC"
    assert binance_symbol("ETHUSD_240628") == "ETH/USD:ETH-240628"
    assert binance_symbol("BTCUSDT") == "BTC/USDT:USDT"
    assert coin_m_contract_usd("BTCUSD_PERP") == 100.0
    assert coin_m_contract_usd("ETHUSD_PERP") == 10.0 and coin_m_contract_usd("SOLUSD_PERP") == 10.0
    assert coin_m_contract_usd("BTCUSDT") is None
    with pytest.raises(ValueError):
        binance_symbol("BTCUSD")  # COIN-M names always carry _PERP or a delivery date


def test_usdm_quantities_are_base_and_sell_liquidates_a_long(tmp_path):
    write(tmp_path / "BTCUSDT-liquidationSnapshot-2024-01-02.csv", [
        HEADER,
        f"{DAY1 + 123},SELL,LIMIT,IOC,0.010,42000.00,42010.50,FILLED,0.010,0.010",
        f"{DAY1 + 1456},BUY,LIMIT,IOC,0.500,43000.00,42990.00,FILLED,0.200,0.500",
        f"{DAY1 + 2000},SELL,LIMIT,IOC,1.000,41000.00,0,EXPIRED,0,0",  # nothing filled: not a liquidation
    ])
    result = import_files([tmp_path])
    assert result.skipped == ()
    liq = result.frames.liquidations
    assert result.frames.symbol == "BTC/USDT:USDT"
    assert liq["ts"].tolist() == [DAY1 + 123, DAY1 + 1456]
    assert liq["side"].tolist() == ["long", "short"]
    assert liq["price"].tolist() == [42010.5, 42990.0]  # the fill's average price, not the order's limit
    assert liq["qty_base"].tolist() == [0.01, 0.5]  # accumulated fill, not the last fill
    assert liq["notional_usd"].tolist() == pytest.approx([420.105, 21495.0])
    (f,) = result.files
    assert f.notes == ("1 row with nothing filled left out",)


def test_coin_m_quantities_are_100_usd_contracts_and_each_row_is_listed_twice(tmp_path):
    rows = [
        f"{DAY1 + 123},SELL,LIMIT,IOC,5,42000.0,42000.0,FILLED,5,5",
        # a second real event in the same millisecond: another quantity, so not a copy
        f"{DAY1 + 123},SELL,LIMIT,IOC,3,42000.0,42000.0,FILLED,3,3",
        f"{DAY1 + 9000},BUY,LIMIT,IOC,12,43000.0,43100.0,FILLED,12,12",
    ]
    doubled = [r for row in rows for r in (row, row)]  # how the COIN-M archive writes them
    write(tmp_path / "BTCUSD_PERP-liquidationSnapshot-2024-01-02.csv", [HEADER] + doubled, zipped=True)
    result = import_files([tmp_path])
    assert result.skipped == ()
    f = result.frames
    assert f.symbol == "BTC/USD:BTC"
    liq = f.liquidations
    assert len(liq) == 3  # six rows, three events
    assert liq["notional_usd"].tolist() == [500.0, 300.0, 1200.0]  # contracts x 100 USD
    assert liq["qty_base"].tolist() == pytest.approx([500 / 42000, 300 / 42000, 1200 / 43100])
    assert liq["side"].tolist() == ["long", "long", "short"]
    assert result.files[0].notes == ("3 rows repeating another row in all ten columns counted once",)


def test_coin_m_other_coins_count_10_usd_contracts_and_headerless_files_read(tmp_path):
    write(tmp_path / "ETHUSD_PERP-liquidationSnapshot-2024-01-02.csv", [
        f"{DAY1},BUY,LIMIT,IOC,7,2300.0,2310.0,FILLED,7,7",
        f"{DAY1},BUY,LIMIT,IOC,7,2300.0,2310.0,FILLED,7,7",
    ])
    liq = import_files([tmp_path]).frames.liquidations
    assert liq["notional_usd"].tolist() == [70.0] and liq["qty_base"].tolist() == pytest.approx([70 / 2310])
    assert liq["side"].tolist() == ["short"]


def test_coin_m_liquidations_beside_usdm_candles_need_a_symbol_choice(tmp_path):
    write(tmp_path / "BTCUSDT-1m-2024-01-02.csv", [KLINE_HEADER] + kline_rows(DAY1, 3))
    write(tmp_path / "BTCUSD_PERP-liquidationSnapshot-2024-01-02.csv", [HEADER, f"{DAY1},SELL,LIMIT,IOC,1,42000,42000,FILLED,1,1"])
    with pytest.raises(ImportProblem, match="several symbols"):
        import_files([tmp_path])
    result = import_files([tmp_path], symbol="BTC/USDT:USDT")
    assert len(result.frames.liquidations) == 0 and len(result.frames.candles) == 3
    assert [s.reason for s in result.skipped] == ["is BTC/USD:BTC, not BTC/USDT:USDT"]


@pytest.mark.parametrize("row, reason", [
    (f"{DAY1},LIQUIDATE,LIMIT,IOC,1,42000,42000,FILLED,1,1", "side other than BUY or SELL"),
    (f"{DAY1},SELL,LIMIT,IOC,1,42000,-5,FILLED,1,1", "1 row with zero, negative or missing prices"),
    (f"{DAY1 // 1000 // 1000},SELL,LIMIT,IOC,1,42000,42000,FILLED,1,1", "timestamps are neither seconds, milliseconds nor microseconds since 1970"),
    (f"{DAY1},SELL,LIMIT,IOC,1,42000,42000,FILLED,1", "9 columns, expected 10"),
])
def test_bad_liquidation_rows_refuse_the_file(tmp_path, row, reason):
    write(tmp_path / "BTCUSDT-liquidationSnapshot-2024-01-02.csv", [HEADER, row])
    result = import_files([tmp_path])
    assert result.frames.is_empty()
    assert [s.reason for s in result.skipped] == [reason]
