"""normalize: a frame already in order takes a shortcut, and the shortcut gives what the full path gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from market.series import SERIES_COLUMNS, normalize
from tests.unit.store.store_testdata import T0, M


def _candles(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame({
        "ts": np.array([T0 + r[0] * M for r in rows], np.int64), "exchange": [r[1] for r in rows],
        "open": [r[2] for r in rows], "high": [r[2] + 1 for r in rows], "low": [r[2] - 1 for r in rows],
        "close": [r[2] for r in rows], "volume": [1.0] * len(rows), "taker_buy_volume": [np.nan] * len(rows),
        "quote_volume": [2.0] * len(rows),
    })


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["binance", "okx", "bybit"]),
                               st.floats(1.0, 1e5)), max_size=12), seed=st.integers(0, 1000))
def test_normalize_of_any_order_equals_normalize_of_the_sorted_frame(rows, seed):
    df = _candles(rows)
    full = normalize("candles", df)  # unsorted or with repeats: the full path
    again = normalize("candles", full)  # sorted, unique, typed: the shortcut
    pd.testing.assert_frame_equal(full, again, check_exact=True)
    shuffled = full.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(normalize("candles", shuffled), full, check_exact=True)


def test_the_shortcut_copies_and_keeps_only_the_series_columns():
    df = normalize("candles", _candles([(0, "binance", 10.0), (0, "okx", 11.0), (1, "binance", 12.0)]))
    df["extra"] = 1
    out = normalize("candles", df)
    assert list(out.columns) == list(SERIES_COLUMNS["candles"])
    out.loc[0, "close"] = -1.0
    assert df.loc[0, "close"] == 10.0


def test_non_string_exchange_values_take_the_full_path():
    df = normalize("candles", _candles([(0, "binance", 10.0), (1, "okx", 11.0)]))
    df["exchange"] = pd.Series([1, 2], dtype=object)
    assert normalize("candles", df)["exchange"].tolist() == ["1", "2"]
