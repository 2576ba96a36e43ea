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


_EXCHANGES = st.sampled_from(["binance", "okx", "bybit", "hyperliquid"])


def _frame(series: str, rows: list[tuple[int, str, float, str]], string_dtype: bool) -> pd.DataFrame:
    cols = SERIES_COLUMNS[series]
    data: dict[str, object] = {}
    for i, (c, t) in enumerate(cols.items()):
        if c == "ts":
            data[c] = np.array([T0 + r[0] * M for r in rows], np.int64)
        elif c == "exchange":
            data[c] = [r[1] for r in rows]
        elif c == "side":
            data[c] = [r[3] for r in rows]
        else:
            data[c] = [r[2] + i for r in rows]
    df = pd.DataFrame(data)
    if not string_dtype:  # object columns, as a frame read back from the store holds them
        for c, t in cols.items():
            if t == "object":
                df[c] = pd.Series(df[c].to_numpy(dtype=object), dtype=object)
    return df


@settings(max_examples=60, deadline=None)
@given(series=st.sampled_from(sorted(SERIES_COLUMNS)),
       rows=st.lists(st.tuples(st.integers(0, 4), _EXCHANGES, st.sampled_from([1.0, 2.5, 1e5]),
                               st.sampled_from(["long", "short"])), max_size=14),
       string_dtype=st.booleans())
def test_the_array_path_gives_what_pandas_gives(series, rows, string_dtype):
    from market.series import _normalize_pandas

    df = _frame(series, rows, string_dtype)
    if not len(df):
        return
    pd.testing.assert_frame_equal(normalize(series, df), _normalize_pandas(series, df), check_exact=True)


def test_a_poll_frame_with_pandas_string_dtype_comes_out_with_object_strings():
    df = _candles([(1, "okx", 10.0), (0, "binance", 11.0), (1, "okx", 12.0)])
    df["exchange"] = df["exchange"].astype("str")
    out = normalize("candles", df)
    assert out["exchange"].dtype == object
    assert out["exchange"].tolist() == ["binance", "okx"]
    assert out["open"].tolist() == [11.0, 12.0]  # the later row of a repeated key wins
