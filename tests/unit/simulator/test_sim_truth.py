"""TruthSnapshot and true_map on a hand-built snapshot."""

import numpy as np
import pytest

from market.simulator import TruthSnapshot, true_map


def _snap() -> TruthSnapshot:
    a = np.array
    return TruthSnapshot(
        ts=0, price=100.0, venues=("binance", "okx"), venue_price=(100.0, 100.1),
        long_liq_price=a([90.0, 95.0, 95.5]), long_notional_usd=a([900.0, 950.0, 1910.0]), long_qty_base=a([10.0, 10.0, 20.0]),
        long_entry_price=a([100.0, 100.0, 100.0]), long_leverage=a([10.0, 20.0, 20.0]), long_open_ts=a([0, 0, 0]), long_venue=a([0, 1, 0], dtype=np.int8),
        short_liq_price=a([105.0, 111.0]), short_notional_usd=a([1050.0, 111.0]), short_qty_base=a([10.0, 1.0]),
        short_entry_price=a([100.0, 100.0]), short_leverage=a([20.0, 10.0]), short_open_ts=a([0, 0]), short_venue=a([1, 1], dtype=np.int8),
    )


def test_true_map_bins_notional_by_liquidation_price():
    longs, shorts = true_map(_snap(), [85, 95, 100, 110, 115])
    assert longs.tolist() == [900.0, 950.0 + 1910.0, 0.0, 0.0]
    assert shorts.tolist() == [0.0, 0.0, 1050.0, 111.0]


def test_true_map_venue_filter_and_bad_edges():
    longs, shorts = true_map(_snap(), [85, 95, 100, 110, 115], venues=["binance"])
    assert longs.tolist() == [900.0, 1910.0, 0.0, 0.0]
    assert shorts.tolist() == [0.0, 0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        true_map(_snap(), [100, 90])
    with pytest.raises(ValueError):
        true_map(_snap(), [90, 100], venues=["kraken"])


def test_snapshot_is_frozen_and_sums_open_base_per_venue():
    s = _snap()
    assert s.open_base() == pytest.approx(40.0)  # open interest counts each contract once: the long side
    assert s.open_base("okx") == pytest.approx(10.0)
    assert s.open_short_base("okx") == pytest.approx(11.0)
    with pytest.raises(ValueError):
        s.long_liq_price[0] = 1.0
