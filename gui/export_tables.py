"""File → Export data as CSV: the tables of what is on screen, written as one zip of CSV files.

Pure (no Qt): ``export_tables`` turns the shown result and the visible time span into DataFrames,
``write_zip`` writes them with a README saying what each holds and which figures are model estimates.
Prices are rounded to the tick size: the sources do not report it, so ``tick_size`` infers it from the
candles: the coarsest decimal step all their prices sit on, and no finer than seven significant digits
(unrounded floats, such as a simulator's, would otherwise give 1e-8).
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from market.series import MarketFrames

README = """Cascade export: what was on screen ({symbol}, {timeframe}, {start} to {end} UTC, venues {venues}).
Prices are rounded to the tick size {tick} (inferred from the candles). Times are UTC, the bar's or cell's start.

candles.csv             the price chart's candles ({price_venue}); volume summed over the chosen venues (base)
venues.csv              per venue and bar: OHLC, volume (base), open interest (base and USD, last value), funding rate
liquidation_events.csv  liquidation events in view: {events_kind}
liquidation_map.csv     ESTIMATE (model, not exchange data): open liquidation levels per price bin as of {map_time},
                        long/short USD in total and per venue{map_units}
heatmap.csv             ESTIMATE: the heatmap matrix, one row per time column, one column per price bin (its low
                        edge), long + short USD open in the cell{map_units}
imbalance.csv           ESTIMATE: shorts and longs at risk between the price and the two target lines
"""


def tick_size(prices: np.ndarray) -> float:
    """The price step of ``prices``: the coarsest power of ten they are all multiples of, but no finer
    than seven significant digits of their median (unrounded simulated prices would give 1e-8)."""
    p = np.asarray(prices, float)
    p = p[np.isfinite(p) & (p > 0)]
    if not len(p):
        return 0.01
    floor_tick = 10.0 ** (math.floor(math.log10(float(np.median(p)))) - 6)
    for decimals in range(0, 9):
        step = 10.0 ** -decimals
        if np.allclose(p / step, np.round(p / step), rtol=0, atol=1e-6):
            return max(step, floor_tick)
    return floor_tick


def round_to_tick(values, tick: float) -> np.ndarray:
    decimals = max(0, -math.floor(math.log10(tick) + 1e-9))
    return np.round(np.round(np.asarray(values, float) / tick) * tick, decimals)


def _utc(ms) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(ms, dtype="int64"), unit="ms", utc=True).strftime("%Y-%m-%d %H:%M:%S"))


@dataclass(frozen=True)
class ExportInput:
    """What the window shows: its newest result's parts and the visible time span (ms)."""

    frames: MarketFrames  # the data the result was computed from (as of the replay time, if any)
    chart: object  # gui.chart_data.ChartData
    liquidity: object  # analytics_bridge.LiquidityView | None
    imbalance: object  # analytics_bridge.ImbalanceView | None
    exchanges: tuple[str, ...]
    start_ms: int
    end_ms: int
    liquidations_kind: str = "reported by the venues"


def _in_span(ts: np.ndarray, start_ms: int, end_ms: int) -> np.ndarray:
    return (ts >= start_ms) & (ts < end_ms)


def export_tables(inp: ExportInput) -> tuple[dict[str, pd.DataFrame], float]:
    """(file name → table, tick size)."""
    from gui.chart_data import build_chart_data

    chart = inp.chart
    c = chart.candles
    bar_ms = (np.asarray(c.x) * 1000).astype("int64")
    sel = _in_span(bar_ms, inp.start_ms - chart.timeframe_ms + 1, inp.end_ms)
    tick = tick_size(np.concatenate([c.open, c.close])) if len(c) else 0.01
    r = lambda a: round_to_tick(a, tick)  # noqa: E731
    tables: dict[str, pd.DataFrame] = {}
    tables["candles.csv"] = pd.DataFrame({
        "time_utc": _utc(bar_ms[sel]), "open": r(c.open[sel]), "high": r(c.high[sel]), "low": r(c.low[sel]),
        "close": r(c.close[sel]), "volume_base": c.volume[sel], "taker_buy_volume_base": c.buy_volume[sel]})

    rows = []
    for ex in inp.exchanges:
        one = build_chart_data(inp.frames.only((ex,)), (ex,), chart.timeframe_ms)
        vc = one.candles
        ms = (np.asarray(vc.x) * 1000).astype("int64")
        keep = _in_span(ms, inp.start_ms - chart.timeframe_ms + 1, inp.end_ms)
        if not keep.any():
            continue
        part = pd.DataFrame({"time_utc": _utc(ms[keep]), "exchange": ex, "open": r(vc.open[keep]), "high": r(vc.high[keep]),
                             "low": r(vc.low[keep]), "close": r(vc.close[keep]), "volume_base": vc.volume[keep]})
        for name, series in (("oi_base", chart.oi_base.get(ex)), ("oi_usd", chart.oi_usd.get(ex)), ("funding_rate", chart.funding.get(ex))):
            if series is None or not len(series.x):
                part[name] = np.nan
                continue
            s = pd.Series(np.asarray(series.y, float), index=(np.asarray(series.x) * 1000).astype("int64")).sort_index()
            s = s[~s.index.duplicated(keep="last")]
            # The value in force at each bar's close (the last one at or before it).
            part[name] = s.reindex(ms[keep] + chart.timeframe_ms - 1, method="ffill").to_numpy()
        rows.append(part)
    tables["venues.csv"] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["time_utc", "exchange", "open", "high", "low", "close", "volume_base", "oi_base", "oi_usd", "funding_rate"])

    liq = inp.frames.liquidations
    if len(liq):
        liq = liq[liq["exchange"].isin(inp.exchanges)]
        liq = liq[_in_span(liq["ts"].to_numpy(), inp.start_ms, inp.end_ms)].sort_values("ts")
    tables["liquidation_events.csv"] = pd.DataFrame({
        "time_utc": _utc(liq["ts"].to_numpy()) if len(liq) else pd.Series(dtype=str),
        "exchange": liq["exchange"].to_numpy() if len(liq) else [], "side": liq["side"].to_numpy() if len(liq) else [],
        "price": r(liq["price"].to_numpy()) if len(liq) else [], "qty_base": liq["qty_base"].to_numpy() if len(liq) else [],
        "notional_usd": liq["notional_usd"].to_numpy() if len(liq) else []})

    view = inp.liquidity
    if view is not None:
        m = view.map
        unit = "relative_units" if view.relative else "usd"
        cols: dict[str, object] = {"bin_low": r(m.bin_edges[:-1]), "bin_high": r(m.bin_edges[1:]),
                                   f"long_{unit}": m.long_usd, f"short_{unit}": m.short_usd,
                                   f"cumulative_long_{unit}": m.cumulative_long(), f"cumulative_short_{unit}": m.cumulative_short()}
        for ex, (lo, sh) in sorted(m.per_exchange.items()):
            cols[f"long_{unit}_{ex}"] = lo
            cols[f"short_{unit}_{ex}"] = sh
        tables["liquidation_map.csv"] = pd.DataFrame(cols)
        heat = view.heatmap
        if heat is not None and heat.values.size:
            t0 = heat.time_edges[:-1]
            keep = (heat.time_edges[1:] > inp.start_ms) & (t0 < inp.end_ms)
            grid = pd.DataFrame(heat.values[keep], columns=[f"{p:.10g}" for p in r(heat.price_edges[:-1])])
            grid.insert(0, "time_utc", _utc(t0[keep]))
            tables["heatmap.csv"] = grid
    imb = inp.imbalance
    if imb is not None:
        tables["imbalance.csv"] = pd.DataFrame([{
            "price": r([imb.price])[0], "up_target": r([imb.up])[0], "down_target": r([imb.down])[0],
            "shorts_at_risk": imb.shorts_at_risk_usd, "longs_at_risk": imb.longs_at_risk_usd,
            "shorts_range_low": imb.shorts_range[0] if imb.shorts_range else np.nan,
            "shorts_range_high": imb.shorts_range[1] if imb.shorts_range else np.nan,
            "longs_range_low": imb.longs_range[0] if imb.longs_range else np.nan,
            "longs_range_high": imb.longs_range[1] if imb.longs_range else np.nan,
            "units": "relative" if imb.relative else "usd"}])
    return tables, tick


def write_zip(tables: Mapping[str, pd.DataFrame], path: str, inp: ExportInput, tick: float) -> str:
    """One zip holding a CSV per table and README.txt; returns the path written."""
    from market.series import EXCHANGE_NAMES, TIMEFRAMES_MS

    view = inp.liquidity
    tf = next((k for k, v in TIMEFRAMES_MS.items() if v == inp.chart.timeframe_ms), f"{inp.chart.timeframe_ms // 60000}m")
    readme = README.format(
        symbol=inp.chart.symbol, timeframe=tf, start=_utc([inp.start_ms])[0], end=_utc([inp.end_ms])[0],
        venues=", ".join(EXCHANGE_NAMES.get(e, e) for e in inp.exchanges), tick=f"{tick:g}",
        price_venue=EXCHANGE_NAMES.get(inp.chart.price_exchange, inp.chart.price_exchange),
        events_kind=inp.liquidations_kind,
        map_time=_utc([view.map.at_ms])[0] if view is not None else "—",
        map_units=" (RELATIVE units: no open interest, heaviest bin = 1)" if view is not None and view.relative else "")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", readme)
        for name, table in tables.items():
            buf = io.StringIO()
            table.to_csv(buf, index=False)
            z.writestr(name, buf.getvalue())
    return path
