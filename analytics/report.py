"""MarketReport: everything the seed article says about a market, computed, as one frozen object.

The GUI's panels and ``python main.py report`` both read it. Where data is missing a field is None
and ``notes`` says why; no number is ever made up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Optional

import numpy as np
import pandas as pd

from analytics.central import Central, at_risk_estimate
from analytics.ensemble import EnsembleModel
from analytics.imbalance import Imbalance, imbalance
from analytics.levels import LiquidationMap
from analytics.liquidation import LiquidationModel
from analytics.liquidation_events import ESTIMATED, REAL, SIMULATED, LiquidationTotals, recent_liquidations
from analytics.open_interest import OpenInterest, open_interest_at
from analytics.params import ModelParams
from analytics.structure import PriceMove, Sweep, price_move, reference_ohlc, sweep_in_window
from analytics.volume import VolumeShare, lowest_since, monthly_volume, volume_share
from analytics.volume_map import RELATIVE_NOTE, RelativeClusters, relative, relative_clusters, volume_model

from cascade_vocab.units import DAY_MS, MINUTE_MS
from cascade_vocab.formatting import format_ratio, format_usd, format_usd_range
from cascade_vocab.utc import iso_date, iso_utc, utc_minute
VOLUME_DAYS = 30
MINUS = "\u2212"


@dataclass(frozen=True)
class AtRisk:
    side: str  # "short": liquidated on a rise to target; "long": on a fall to target
    target: float
    notional_usd: Optional[float]  # the central estimate
    move_pct: float  # target vs price
    # The 80 % range over plausible crowds (analytics.ensemble): what the figure could be when the
    # unknowns (leverage mix, holding time, passive share) take other plausible values.
    notional_low_usd: Optional[float] = None
    notional_high_usd: Optional[float] = None
    # What the central figure is: the median plausible crowd (default settings) or the settings' crowd.
    central: Optional[Central] = None
    settings_usd: Optional[float] = None  # the figure under the current settings


@dataclass(frozen=True)
class MarketReport:
    symbol: str
    at_ms: int
    days: int
    price: Optional[float]
    change_pct: Optional[float]  # over ``days``
    drawdown_pct: Optional[float]  # from the ``days`` high
    high: Optional[float]
    at_risk: tuple[AtRisk, ...]
    ratio: Optional[float]  # shorts at risk / longs at risk
    imbalance: Optional[Imbalance]
    liquidation_map: Optional[LiquidationMap]
    open_interest: Mapping[str, OpenInterest]
    oi_since_ms: Optional[int]
    volume: Optional[VolumeShare]  # over the 30 days before ``at_ms``; None if the data covers less
    volume_month_lowest_since: Optional[str]  # the month of ``at_ms``: "lowest since YYYY-MM" (None: not known/lowest)
    funding: Mapping[str, Optional[float]]
    sweep: Optional[Sweep]
    liquidations_24h: Optional[LiquidationTotals]
    notes: tuple[str, ...] = field(default_factory=tuple)
    relative_map: Optional[RelativeClusters] = None  # candles only: where the volume-based clusters sit
    high_days: Optional[float] = None  # the window of ``high`` when the data is shorter than ``days``
    # Venue name -> display name, in the order venues are listed (the venue registry's, handed in as data:
    # analytics does not import market). A venue missing here is shown by its name, after the others.
    venue_labels: Mapping[str, str] = field(default_factory=dict)

    # -- JSON (the keys of ``python main.py report --json``) -----------------------------------

    def to_json_dict(self) -> dict[str, Any]:
        oi = {}
        for ex, o in self.open_interest.items():
            oi[ex] = {"base": _num(o.base), "usd": _num(o.usd), "change_pct_30d": _num(o.change_pct.get("30d")),
                      "change_pct_24h": _num(o.change_pct.get("24h"))}
            if self.oi_since_ms is not None:
                oi[ex]["change_pct_since"] = _num(o.change_since_pct)
        liq = None
        if self.liquidations_24h is not None:
            t = self.liquidations_24h
            liq = {"long_usd": _num(t.long_usd), "short_usd": _num(t.short_usd), "source": t.label,
                   "per_exchange": {ex: {"long_usd": _num(lo), "short_usd": _num(sh), "source": k}
                                    for ex, (lo, sh, k) in t.per_exchange.items()}}
        return {
            "symbol": self.symbol,
            "at": iso_utc(self.at_ms),
            "days": self.days,
            "price": _num(self.price),
            "change_pct": _num(self.change_pct),
            "drawdown_pct": _num(self.drawdown_pct),
            "high_window_days": _num(self.high_days),
            "at_risk": [{"side": a.side, "target": _num(a.target), "notional_usd": _num(a.notional_usd),
                         "notional_low_usd": _num(a.notional_low_usd), "notional_high_usd": _num(a.notional_high_usd),
                         "central": a.central.value if a.central is not None else None,
                         "settings_notional_usd": _num(a.settings_usd)}
                        for a in self.at_risk],
            "ratio": _num(self.ratio),
            "open_interest": oi,
            "volume_30d_usd": {ex: _num(self.volume.usd[ex]) for ex in _ordered(self.volume.usd, self.venue_labels)} if self.volume is not None else None,
            "funding": {ex: _num(r) for ex, r in self.funding.items()},
            "sweep": None if self.sweep is None else {"swept": self.sweep.swept, "low": _num(self.sweep.low), "high": _num(self.sweep.high)},
            "liquidations_24h": liq,
            "relative_clusters": None if self.relative_map is None else {
                "short": _num(self.relative_map.short_cluster), "long": _num(self.relative_map.long_cluster),
                "band_pct": self.relative_map.band_pct},
            "notes": list(self.notes),
        }

    # -- the sentence format of the seed article ----------------------------------------------------

    def to_text(self) -> str:
        base = self.symbol.split("/")[0]
        parts = []
        if self.price is None:
            parts.append(f"{base}: no price data at {iso_utc(self.at_ms)}.")
        else:
            moves = []
            if self.change_pct is not None:
                moves.append(f"{_pct(self.change_pct)} over {self.days} days")
            if self.drawdown_pct is not None:
                if self.high_days is not None and self.high_days < self.days - 1e-9:
                    # Less data than asked for: name the window that was really used.
                    moves.append(f"{_pct(self.drawdown_pct)} from the high of the {self.high_days:.1f} days of data")
                else:
                    moves.append(f"{_pct(self.drawdown_pct)} from the {self.days}-day high")
            parts.append(f"{base} {_price(self.price)}" + (f" ({', '.join(moves)})." if moves else "."))
        if self.sweep is not None and self.sweep.swept and self.sweep.low is not None and self.sweep.high is not None:
            lo, hi = self.sweep.low, self.sweep.high
            zone = _price(lo) if abs(hi - lo) < 0.5 else f"{_price(lo)}\u2013{_price(hi)}"
            parts.append(f"Swept swing lows {zone}.")
        risk = []
        for a in self.at_risk:
            word = "shorts" if a.side == "short" else "longs"
            amount = _usd(a.notional_usd) if a.notional_usd is not None else "unknown"
            if a.notional_usd is not None and a.notional_low_usd is not None and a.notional_high_usd is not None:
                amount += f" ({usd_range(a.notional_low_usd, a.notional_high_usd)})"
            risk.append(f"to {_price(a.target)} ({_pct(a.move_pct)}): {amount} {word} at risk")
        if risk:
            sentence = "; ".join(risk)
            sentence = sentence[0].upper() + sentence[1:]
            if self.ratio is not None:
                sentence += f"; {format_ratio(self.ratio)}"
            parts.append(sentence + ".")
        if self.relative_map is not None:
            parts.append(self.relative_map.text())
        oi_bits = []
        for ex, o in self.open_interest.items():
            name = self.venue_labels.get(ex, ex)
            if self.oi_since_ms is not None and o.change_since_pct is not None:
                ch = f" ({_pct(o.change_since_pct)} since {iso_date(self.oi_since_ms)})"
            elif (month := o.change_pct.get("30d")) is not None:
                ch = f" ({_pct(month)} over 30 days)"
            else:
                ch = ""
            oi_bits.append(f"{name} OI {o.base:,.0f} {base}{ch}")
        if oi_bits:
            parts.append("; ".join(oi_bits) + ".")
        if self.volume is not None:
            vols = ", ".join(f"{self.venue_labels.get(ex, ex)} {_usd(self.volume.usd[ex])}" for ex in self.volume.rank)
            tail = f" (lowest month since {self.volume_month_lowest_since})" if self.volume_month_lowest_since else ""
            parts.append(f"30-day volume: {vols}{tail}.")
        if self.liquidations_24h is not None:
            t = self.liquidations_24h
            parts.append(f"Liquidations, last 24 h ({t.label}): longs {_usd(t.long_usd)}, shorts {_usd(t.short_usd)}.")
        if self.funding:
            fs = ", ".join(f"{self.venue_labels.get(ex, ex)} {r * 100:+.4f}%".replace("-", MINUS) for ex, r in self.funding.items() if r is not None)
            if fs:
                parts.append(f"Funding: {fs}.")
        text = " ".join(parts)
        if self.notes:
            text += "\nNotes: " + " ".join(n if n.endswith(".") else n + "." for n in self.notes)
        return text


# -- building ---------------------------------------------------------------------------------------


def build_report(candles: pd.DataFrame, open_interest: pd.DataFrame, funding: Optional[pd.DataFrame],
                 liquidations: Optional[pd.DataFrame], at_ms: int, days: int = 16, up: float | None = None,
                 down: float | None = None, params: ModelParams | None = None, symbol: str = "BTC/USDT:USDT",
                 timeframe_ms: int = MINUTE_MS, model: LiquidationModel | None = None, oi_since_ms: int | None = None,
                 real_liquidation_exchanges=None, ensemble: EnsembleModel | None = None,
                 liquidations_simulated: bool = False, venue_labels: Optional[Mapping[str, str]] = None) -> MarketReport:
    """The report as of ``at_ms`` from the frames (market.series columns), using only data known then.

    ``model``: an up-to-date LiquidationModel (the GUI's) to read the map from instead of building one.
    ``real_liquidation_exchanges``: venues whose liquidation feed is real/complete (default: those with
    rows in ``liquidations``); the others' 24 h liquidations are the model's estimate, labelled so.
    ``ensemble``: an up-to-date EnsembleModel for the at-risk ranges (built from the frames if None).
    ``liquidations_simulated``: the recorded events are the demo simulator's, so they are called simulated.
    ``venue_labels``: venue name -> display name, in listing order (the caller's venue registry).
    """
    labels: Mapping[str, str] = dict(venue_labels or {})
    params = params or ModelParams()
    notes: list[str] = []
    at_ms = int(at_ms)
    candles = _known(candles, at_ms, timeframe_ms, is_candles=True)
    open_interest = _known(open_interest, at_ms, timeframe_ms)
    funding = _known(funding, at_ms, timeframe_ms)
    liquidations = _known(liquidations, at_ms, timeframe_ms)
    exchanges = _exchanges(labels, candles, open_interest)

    # price, change, drawdown
    move: Optional[PriceMove] = price_move(reference_ohlc(candles), at_ms, days, timeframe_ms) if len(candles) else None
    if move is None:
        notes.append(f"no candles closed by {iso_utc(at_ms)}")
    elif move.change_pct is None:
        notes.append(f"price history starts less than {days} days before {iso_utc(at_ms)}: change over {days} days unknown")
    price = move.price if move else None

    # liquidation map and imbalance
    relative_map: Optional[RelativeClusters] = None
    m = None
    imb = None
    ratio: Optional[float] = None
    at_risk: tuple[AtRisk, ...] = ()
    if price is not None:
        if open_interest is None or len(open_interest) == 0:
            rel = relative_clusters(relative(volume_model(candles, params, timeframe_ms).map_at(at_ms)))
            relative_map = rel if math.isfinite(rel.price) else None
            notes.append(RELATIVE_NOTE)
        else:
            if model is None:
                model = LiquidationModel.from_history(candles, open_interest, params, timeframe_ms)
            m = model.map_at(at_ms)
            if not math.isfinite(m.price):
                m = None
        if m is not None:
            imb = imbalance(m, up, down)
            if ensemble is None:
                ensemble = EnsembleModel.from_history(candles, open_interest, params, timeframe_ms)
            # Narrowed by the recorded liquidations where there are any (members that explain them badly
            # weigh less); the prior's equal weights otherwise.
            narrowed = ensemble.member_weights(at_ms, liquidations)
            em = ensemble.maps_at(at_ms, m.bin_edges, m.price, member_weights=narrowed)
            if narrowed is not None and liquidations is not None:
                notes.append(f"the at-risk ranges are narrowed by the {len(liquidations):,} recorded liquidation events "
                             "(crowds that explain them badly weigh less)")
            up_e = at_risk_estimate(imb.shorts_at_risk_usd, em.shorts_at_risk(imb.up), em.weights, params)
            down_e = at_risk_estimate(imb.longs_at_risk_usd, em.longs_at_risk(imb.down), em.weights, params)
            at_risk = tuple(AtRisk(side, target, e.central, (target / price - 1) * 100, e.low, e.high, e.source, e.settings_value)
                            for side, target, e in (("short", imb.up, up_e), ("long", imb.down, down_e)))
            ratio = _ratio(up_e.central, down_e.central)
            notes.append("liquidation levels are estimates from open interest, taker volume and an assumed leverage mix; "
                         f"the range in brackets is the 80 % range over {len(em.crowds)} plausible crowds "
                         "(leverage mix, holding time, passive share), not a confidence interval on the market")
            if up_e.source is Central.MEDIAN_CROWD:
                notes.append("the at-risk figures are the median plausible crowd's: the model's default crowd "
                             f"(5x to 100x, no passive holders) puts {_usd(up_e.settings_value)} shorts and "
                             f"{_usd(down_e.settings_value)} longs at risk; fitted or set model settings take the "
                             "median's place")
        else:
            u = up if up is not None else price * 1.1
            d = down if down is not None else price * 0.9
            at_risk = (AtRisk("short", u, None, (u / price - 1) * 100), AtRisk("long", d, None, (d / price - 1) * 100))

    # open interest
    oi = open_interest_at(open_interest, at_ms, oi_since_ms) if open_interest is not None else {}
    oi = {ex: oi[ex] for ex in exchanges if ex in oi}
    for ex in exchanges:
        if ex not in oi:
            notes.append(f"{labels.get(ex, ex)}: no open interest known at {iso_utc(at_ms)}")
        elif oi[ex].change_pct.get("30d") is None:
            notes.append(f"{labels.get(ex, ex)}: open-interest history shorter than 30 days, 30-day change unknown")

    # volume
    vol = volume_share(candles, at_ms, VOLUME_DAYS, timeframe_ms) if len(candles) else None
    if vol is not None and vol.covered_days < VOLUME_DAYS - 1.0 / 1440:
        notes.append(f"only {vol.covered_days:.1f} days of candles before {iso_utc(at_ms)}: 30-day volume unknown")
        vol = None
    elif vol is None:
        notes.append("no candles: volume unknown")
    month = datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc).strftime("%Y-%m")
    lowest = lowest_since(monthly_volume(candles), month) if len(candles) else None

    # funding
    fund: dict[str, Optional[float]] = {}
    for ex in exchanges:
        rows = funding[funding["exchange"] == ex] if funding is not None and len(funding) else None
        if rows is None or len(rows) == 0:
            fund[ex] = None
            notes.append(f"{labels.get(ex, ex)}: no funding rate known")
        else:
            fund[ex] = float(rows.sort_values("ts")["rate"].iloc[-1])

    # structure
    sweep = sweep_in_window(candles, at_ms, days, timeframe_ms) if len(candles) else None

    # liquidations in the last 24 h
    liq24 = None
    if exchanges:
        est = model.estimated_liquidations(at_ms - DAY_MS, at_ms) if model is not None else None
        est = est[est["ts"] + timeframe_ms <= at_ms] if est is not None else None
        liq24 = recent_liquidations(liquidations, est, at_ms, exchanges, DAY_MS, real_liquidation_exchanges,
                                    recorded_kind=SIMULATED if liquidations_simulated else REAL)
        estimated = [labels.get(e, e) for e, (_l, _s, k) in liq24.per_exchange.items() if k == ESTIMATED]
        if estimated and model is None:
            # No OI, so no model: where nothing was recorded nothing is known, and $0 would be a made-up number.
            kept = {e: v for e, v in liq24.per_exchange.items() if v[2] != ESTIMATED}
            liq24 = None if not kept else LiquidationTotals(liq24.start_ms, liq24.end_ms, sum(v[0] for v in kept.values()),
                                                            sum(v[1] for v in kept.values()), kept)
            notes.append(f"liquidations in the last 24 h unknown for {', '.join(estimated)}: no recorded events, and no "
                         "open interest for the model to estimate them")
        elif estimated:
            notes.append(f"24 h liquidations estimated by the model for {', '.join(estimated)} (no recorded events)")

    return MarketReport(
        symbol=symbol, at_ms=at_ms, days=int(days), price=price,
        change_pct=move.change_pct if move else None, drawdown_pct=move.drawdown_pct if move else None,
        high=move.high if move else None, at_risk=at_risk, ratio=ratio, imbalance=imb,
        liquidation_map=m, open_interest=oi, oi_since_ms=oi_since_ms, volume=vol,
        volume_month_lowest_since=lowest, funding=fund, sweep=sweep, liquidations_24h=liq24, notes=tuple(notes),
        relative_map=relative_map, high_days=move.window_days if move else None, venue_labels=labels,
    )


# -- helpers ----------------------------------------------------------------------------------------


def _known(df: Optional[pd.DataFrame], at_ms: int, tf: int, is_candles: bool = False) -> Optional[pd.DataFrame]:
    """Rows known at ``at_ms`` (candles closed by then; other rows at or before)."""
    if df is None or len(df) == 0:
        return df
    ts = df["ts"].to_numpy(np.int64)
    return df[(ts + tf if is_candles else ts) <= at_ms]


def _exchanges(order: Iterable[str], *frames) -> list[str]:
    seen: set[str] = set()
    for f in frames:
        if f is not None and len(f):
            seen.update(str(e) for e in f["exchange"].unique())
    return _ordered(seen, order)


def _ordered(names, order: Iterable[str]) -> list[str]:
    order = [e for e in order if e in names]
    return order + sorted(set(names) - set(order))


def _num(v) -> Optional[float]:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# iso_utc, utc_minute and iso_date come from cascade_vocab.utc (imported above; callers still import them here).


def _pct(v: float) -> str:
    return f"{v:+.1f}%".replace("-", MINUS)


def _price(v: float) -> str:
    return f"{v:,.0f}"


usd_range = format_usd_range  # (cascade_vocab)


_usd = format_usd  # the one compact dollar format (cascade_vocab)


def _ratio(shorts: float, longs: float) -> Optional[float]:
    """Shorts : longs at risk; None when no longs are (as the imbalance gives it)."""
    return shorts / longs if longs > 0 else None
