"""Exchange liquidation-price formulas and maintenance-margin brackets.

Source: Binance, "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts" (one-way mode):

    LP = (WB - TMM + UPNL + cum - Side*Q*EP) / (Q*MMR - Side*Q)

Side is +1 for a long and -1 for a short, Q the absolute position size, EP the entry price, MMR and
cum (maintenance amount) those of the position's bracket, looked up by notional. Isolated margin:
WB is the position's margin, TMM = UPNL = 0. Cross: WB is the wallet balance, TMM and UPNL are the
other positions' maintenance margin and unrealized PnL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bracket:
    floor: float  # notional from which this bracket applies (USD)
    cap: float  # notional up to which it applies
    max_leverage: float
    mmr: float  # maintenance margin rate
    cum: float  # maintenance amount


# BTCUSDT brackets as published by Binance on 2021-03-18 (historical; live brackets come from the
# signed /fapi/v1/leverageBracket where a key allows). Good enough as the default for model and demo.
BTCUSDT_BRACKETS: tuple[Bracket, ...] = (
    Bracket(0, 50_000, 125, 0.004, 0),
    Bracket(50_000, 250_000, 100, 0.005, 50),
    Bracket(250_000, 1_000_000, 50, 0.01, 1_300),
    Bracket(1_000_000, 10_000_000, 20, 0.025, 16_300),
    Bracket(10_000_000, 20_000_000, 10, 0.05, 266_300),
    Bracket(20_000_000, 50_000_000, 5, 0.10, 1_266_300),
    Bracket(50_000_000, 100_000_000, 4, 0.125, 2_516_300),
    Bracket(100_000_000, 200_000_000, 3, 0.15, 5_016_300),
    Bracket(200_000_000, 300_000_000, 2, 0.25, 25_016_300),
    Bracket(300_000_000, 500_000_000, 1, 0.50, 100_016_300),
)


def bracket_for_notional(notional: float, brackets: tuple[Bracket, ...] = BTCUSDT_BRACKETS) -> Bracket:
    """The bracket whose [floor, cap) holds ``notional``; the last one beyond the table."""
    for b in brackets:
        if notional < b.cap:
            return b
    return brackets[-1]


def mmr_for_notional(notional: np.ndarray | float, brackets: tuple[Bracket, ...] = BTCUSDT_BRACKETS):
    """Vectorized (mmr, cum) lookup by notional."""
    caps = np.array([b.cap for b in brackets])
    mmrs = np.array([b.mmr for b in brackets])
    cums = np.array([b.cum for b in brackets])
    idx = np.minimum(np.searchsorted(caps, np.asarray(notional, dtype=float), side="right"), len(brackets) - 1)
    return mmrs[idx], cums[idx]


def isolated_liq_price(entry: np.ndarray | float, leverage: np.ndarray | float, side: np.ndarray | int, mmr: np.ndarray | float):
    """Liquidation price of an isolated position with margin = notional / leverage and cum = 0.

    long: EP(1 - 1/L)/(1 - MMR); short: EP(1 + 1/L)/(1 + MMR). ``side`` is +1 long, -1 short.
    """
    entry = np.asarray(entry, dtype=float)
    inv_l = 1.0 / np.asarray(leverage, dtype=float)
    s = np.asarray(side, dtype=float)
    return entry * (1.0 - s * inv_l) / (1.0 - s * np.asarray(mmr, dtype=float))


def binance_liq_price(
    side: int,
    qty: float,
    entry: float,
    wallet: float,
    mmr: float,
    cum: float,
    other_mm: float = 0.0,
    other_upnl: float = 0.0,
) -> float:
    """Binance USDⓈ-M one-way liquidation price for given bracket values (see module doc)."""
    q = abs(qty)
    denom = q * mmr - side * q
    if q == 0 or denom == 0:
        raise ValueError("position size must be non-zero")
    lp = (wallet - other_mm + other_upnl + cum - side * q * entry) / denom
    return max(lp, 0.0)


def binance_liq_price_bracketed(
    side: int,
    qty: float,
    entry: float,
    wallet: float,
    brackets: tuple[Bracket, ...] = BTCUSDT_BRACKETS,
    other_mm: float = 0.0,
    other_upnl: float = 0.0,
) -> float:
    """As ``binance_liq_price``, choosing the bracket by notional; if the result falls in another
    bracket (the notional at the liquidation price differs), recompute with that one, as Binance says."""
    b = bracket_for_notional(abs(qty) * entry, brackets)
    lp = binance_liq_price(side, qty, entry, wallet, b.mmr, b.cum, other_mm, other_upnl)
    for _ in range(len(brackets)):
        b2 = bracket_for_notional(abs(qty) * lp, brackets)
        if b2 == b:
            break
        b = b2
        lp = binance_liq_price(side, qty, entry, wallet, b.mmr, b.cum, other_mm, other_upnl)
    return lp
