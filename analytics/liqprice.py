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


# ------------------------------------------------------------------------------------------------------
# Bracket tables, the maintenance-amount rule, and the OKX / Bybit variants of the formula.
#
# Sources (public help pages, found 2026-11 through the team's search corpus):
# - Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"
#   (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93): the formula above, WB =
#   crossWalletBalance in cross mode, "isolatedWalletBalance ... TMM=0, UPNL=0" in isolated mode, the
#   recompute-with-the-other-bracket rule, and Maintenance Amount_n = floor_n × (MMR_n − MMR_{n−1}) +
#   amount_{n−1} (worked: level 3 = 250,000 × (1% − 0.5%) + 50 = 1,300).
# - OKX help "margin ratio" (isolated, USDT-margined): (margin balance + PnL) / (face value × |contracts| ×
#   mark × (tiered maintenance margin rate + taker fee rate)); liquidation when it reaches 100%. The
#   tier's rate applies to the whole position (no maintenance amount); cross mode divides the currency's
#   balance + PnL by the maintenance margin + liquidation fee the same way. Solving for the mark gives the
#   Binance formula with cum = 0 and MMR replaced by MMR + taker fee.
# - Bybit help "Liquidation Price (USDT Contract)" / "Liquidation Price Calculation under Isolated Mode
#   (Unified Trading Account)": isolated LP(long) = entry − (initial margin − maintenance margin) / size,
#   LP(short) = entry + (IM − MM) / size, with MM = position value at ENTRY × MMR − MM deduction (the
#   maintenance margin is fixed at entry, unlike Binance, which evaluates it at the liquidation price).
#   Cross (UTA): liquidation when account maintenance margin reaches the margin balance, i.e. the
#   Binance equation with cum = MM deduction. Fees to close are left out (Bybit: "minor differences").
#   Bybit: "the minimum maintenance margin rate ... is 0.5% for BTC" (first risk-limit tier).
# ------------------------------------------------------------------------------------------------------

# Hyperliquid ("Liquidations", https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations,
#   section "Computing liquidation price"; "Margin tiers", .../trading/margin-tiers):
#   liq_price = price − side × margin_available / position_size / (1 − l × side)
#   with l = 1 / maintenance leverage, side = +1 long / −1 short, and margin_available = account_value −
#   maintenance_margin_required (cross) or isolated_margin − maintenance_margin_required (isolated), both at
#   ``price``. "The maintenance margin is half of the initial margin at max leverage": l = mmr =
#   1 / (2 × max leverage). With tiers, maintenance_margin = notional × mmr − maintenance_deduction, the
#   deduction playing Binance's cum role. Solving equity(P) = maintenance(P) for P gives this formula, so
#   it is exact while the tier does not change between ``price`` and the result (re-chosen as for Binance).
#   BTC mainnet tiers: 0–150M USDC 40x, above 150M 20x.

EXCHANGE_RULES = ("binance", "okx", "bybit", "hyperliquid")
# Taker fee of the lowest VIP tier (OKX 0.05 % on perpetual swaps), used in OKX's liquidation condition.
DEFAULT_TAKER_FEE = {"okx": 0.0005}

# Bybit BTCUSDT, first risk-limit tier only (0.5 % MMR up to 2,000,000 USDT, 100x); larger positions
# need the live tier (pass mmr/cum explicitly).
BYBIT_BTCUSDT_TIERS: tuple[Bracket, ...] = (Bracket(0, 2_000_000, 100, 0.005, 0),)

# Hyperliquid BTC margin tiers (margin-tiers page): mmr = 1 / (2 × max leverage); the second tier's deduction
# = 150M × (2.5 % − 1.25 %) = 1,875,000 (the page's maintenance_deduction rule).
HYPERLIQUID_BTC_TIERS: tuple[Bracket, ...] = (
    Bracket(0, 150_000_000, 40, 1 / 80, 0),
    Bracket(150_000_000, float("inf"), 20, 1 / 40, 150_000_000 * (1 / 40 - 1 / 80)),
)

BRACKETS: dict[tuple[str, str], tuple[Bracket, ...]] = {
    ("binance", "BTCUSDT"): BTCUSDT_BRACKETS,
    ("bybit", "BTCUSDT"): BYBIT_BTCUSDT_TIERS,
    # Hyperliquid settles in USDC: its BTC perpetual, whichever quote the caller names.
    ("hyperliquid", "BTCUSDT"): HYPERLIQUID_BTC_TIERS,
    ("hyperliquid", "BTCUSDC"): HYPERLIQUID_BTC_TIERS,
    ("hyperliquid", "BTC"): HYPERLIQUID_BTC_TIERS,
}


def canonical_symbol(symbol: str | None) -> str:
    """'BTC/USDT:USDT', 'BTC-USDT-SWAP', 'btcusdt' -> 'BTCUSDT' (None -> the default, BTCUSDT)."""
    if not symbol:
        return "BTCUSDT"
    s = symbol.upper().split(":")[0]
    if s.endswith("-SWAP"):
        s = s[: -len("-SWAP")]
    return s.replace("/", "").replace("-", "").replace("_", "")


def brackets_for(exchange: str, symbol: str | None = None) -> tuple[Bracket, ...]:
    """The built-in table for ``exchange``/``symbol``; ValueError when there is none."""
    key = (exchange, canonical_symbol(symbol))
    if key not in BRACKETS:
        known = ", ".join(f"{e} {s}" for e, s in BRACKETS)
        raise ValueError(f"no built-in bracket table for {exchange} {key[1]} (built in: {known}); give the maintenance margin rate explicitly")
    return BRACKETS[key]


def maintenance_amounts(floors, mmrs) -> np.ndarray:
    """cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}, cum_1 = 0 (Binance's maintenance-amount rule)."""
    floors = np.asarray(floors, dtype=float)
    mmrs = np.asarray(mmrs, dtype=float)
    steps = floors[1:] * np.diff(mmrs)
    return np.concatenate([[0.0], np.cumsum(steps)])


def maintenance_margin(notional: float, bracket: Bracket) -> float:
    """Notional × MMR − cum of the bracket (Binance; Bybit's MM deduction plays cum's role)."""
    return abs(notional) * bracket.mmr - bracket.cum


def okx_liq_price(side: int, qty: float, entry: float, wallet: float, mmr: float, taker_fee: float | None = None, other_mm: float = 0.0, other_upnl: float = 0.0) -> float:
    """OKX USDT-margined swap: margin + PnL = |Q| × P × (MMR + fee) at the liquidation price P."""
    fee = DEFAULT_TAKER_FEE["okx"] if taker_fee is None else taker_fee
    return binance_liq_price(side, qty, entry, wallet, mmr + fee, 0.0, other_mm, other_upnl)


def bybit_isolated_liq_price(side: int, qty: float, entry: float, position_margin: float, mmr: float, mm_deduction: float = 0.0) -> float:
    """Bybit USDT contract, isolated: entry ∓ (IM − MM) / size, MM evaluated at the entry price."""
    q = abs(qty)
    if q == 0:
        raise ValueError("position size must be non-zero")
    mm = q * entry * mmr - mm_deduction
    return max(entry - side * (position_margin - mm) / q, 0.0)


def hyperliquid_liq_price(side: int, qty: float, price: float, margin: float, mmr: float, deduction: float = 0.0,
                          other_mm: float = 0.0, other_upnl: float = 0.0) -> float:
    """Hyperliquid's published formula (see the comment above ``EXCHANGE_RULES``).

    ``margin``: the account value (cross; ``other_mm``/``other_upnl`` are the other cross positions'
    maintenance margin and PnL when not already in it) or the position's isolated margin; ``price``: the
    entry for a new position, the mark for an open one (``margin`` then at that mark)."""
    q = abs(qty)
    if q == 0:
        raise ValueError("position size must be non-zero")
    maintenance = q * price * mmr - deduction
    available = margin + other_upnl - other_mm - maintenance
    return max(price - side * available / q / (1 - mmr * side), 0.0)


@dataclass(frozen=True)
class LiqResult:
    price: float  # 0.0 when the margin covers the whole position (the exchanges show "--")
    mmr: float
    cum: float
    bracket: Bracket | None  # None when the caller gave mmr/cum
    exchange: str
    margin_mode: str


def liquidation_price(
    exchange: str,
    side: int,
    qty: float,
    entry: float,
    wallet: float,
    *,
    margin_mode: str = "cross",
    mmr: float | None = None,
    cum: float | None = None,
    brackets: tuple[Bracket, ...] | None = None,
    other_mm: float = 0.0,
    other_upnl: float = 0.0,
    taker_fee: float | None = None,
) -> LiqResult:
    """One entry point for the exchanges' published rules (``EXCHANGE_RULES``).

    ``wallet`` is the cross wallet balance (cross) or the position's margin (isolated; other_mm and
    other_upnl must then be 0). With ``mmr`` given the bracket is fixed; otherwise it is chosen by notional
    from ``brackets`` and re-chosen at the liquidation price as Binance prescribes.
    """
    if exchange not in EXCHANGE_RULES:
        raise ValueError(f"unknown exchange {exchange!r}")
    if side not in (1, -1):
        raise ValueError("side must be +1 (long) or -1 (short)")
    if margin_mode not in ("cross", "isolated"):
        raise ValueError("margin mode must be cross or isolated")
    if margin_mode == "isolated" and (other_mm or other_upnl):
        raise ValueError("other positions' maintenance margin and PnL only matter in cross margin")
    if not qty or not entry > 0:
        raise ValueError("quantity and entry price must be positive")
    if mmr is not None and not 0 <= mmr < 1:
        raise ValueError("maintenance margin rate must be in [0, 1)")

    def one(m: float, c: float) -> float:
        if exchange == "hyperliquid":
            return hyperliquid_liq_price(side, qty, entry, wallet, m, c, other_mm, other_upnl)
        if exchange == "okx":
            return okx_liq_price(side, qty, entry, wallet, m, taker_fee, other_mm, other_upnl)
        if exchange == "bybit" and margin_mode == "isolated":
            return bybit_isolated_liq_price(side, qty, entry, wallet, m, c)
        return binance_liq_price(side, qty, entry, wallet, m, c, other_mm, other_upnl)

    if mmr is not None:
        return LiqResult(one(mmr, cum or 0.0), mmr, cum or 0.0, None, exchange, margin_mode)
    table = brackets if brackets is not None else brackets_for(exchange)
    q = abs(qty)
    b = bracket_for_notional(q * entry, table)
    lp = one(b.mmr, b.cum)
    # Bybit isolated fixes MM at entry: no re-selection. Elsewhere follow the bracket of the notional at LP.
    if not (exchange == "bybit" and margin_mode == "isolated"):
        for _ in range(len(table)):
            b2 = bracket_for_notional(q * lp, table)
            if b2 == b:
                break
            b = b2
            lp = one(b.mmr, b.cum)
    return LiqResult(lp, b.mmr, b.cum, b, exchange, margin_mode)


def cross_terms(others) -> tuple[float, float]:
    """(TMM, UPNL) of the OTHER cross positions, as the cross formula needs them.

    ``others``: iterable of (side ±1, qty, entry, mark, mmr, cum). TMM = Σ(qty·mark·mmr − cum),
    UPNL = Σ side·qty·(mark − entry), both at the current mark price (Binance FAQ)."""
    tmm = upnl = 0.0
    for side, qty, entry, mark, mmr, cum in others:
        q = abs(qty)
        tmm += q * mark * mmr - cum
        upnl += side * q * (mark - entry)
    return tmm, upnl
