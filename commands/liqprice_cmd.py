"""`cascade liqprice`: the liquidation price of one USDⓈ-M position, for checking against the exchanges'
own calculators and worked examples. The number is always the last line of output (or JSON).

Hyperliquid: its published formula (docs "Liquidations" → "Computing liquidation price") with its BTC
margin tiers; --wallet is the account value (cross) or the isolated margin, --cum its maintenance deduction.

Margin mode: for Binance, OKX and Hyperliquid one formula covers both modes (isolated = --wallet is the position's
margin and no --other-*). For Bybit the isolated rule differs (maintenance margin fixed at entry), so the
Bybit isolated rule is used unless --other-mm/--other-upnl are given, which means cross.
"""

from __future__ import annotations

import argparse
import json

from analytics.liqprice import EXCHANGE_RULES, LiqResult, bracket_for_notional, brackets_for, canonical_symbol, liquidation_price
from commands.errors import CommandError


def _price_text(value: float) -> str:
    return f"{value:.10g}"


def compute(args: argparse.Namespace) -> LiqResult:
    if args.exchange not in EXCHANGE_RULES:
        raise CommandError(f"no published liquidation-price rule for {args.exchange} here (known: {', '.join(EXCHANGE_RULES)})")
    side = 1 if args.side == "long" else -1
    cross = bool(args.other_mm or args.other_upnl)
    margin_mode = "cross" if (cross or args.exchange != "bybit") else "isolated"
    if args.cum is not None and args.mmr is None:
        raise CommandError("--cum needs --mmr (the maintenance margin rate of the same bracket)")
    if args.mmr is not None:
        if args.leverage is not None:
            raise CommandError("give either --mmr/--cum (a fixed bracket) or --leverage/--symbol (bracket from the table), not both")
        if not 0 <= args.mmr < 1:
            raise CommandError(f"--mmr must be a rate between 0 and 1 (0.004 for 0.4%), got {args.mmr:g}")
        if args.cum is None and args.exchange != "okx":
            raise CommandError("--mmr needs --cum (the bracket's maintenance amount; 0 for the first bracket)")
        if args.exchange == "okx" and args.cum:
            raise CommandError("OKX has no maintenance amount: leave --cum out (or 0)")
        if args.cum is not None and args.cum < 0:
            raise CommandError("--cum must not be negative")
        try:
            return liquidation_price(
                args.exchange, side, args.qty, args.entry, args.wallet, margin_mode=margin_mode, mmr=args.mmr, cum=args.cum or 0.0,
                other_mm=args.other_mm, other_upnl=args.other_upnl,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    try:
        table = brackets_for(args.exchange, args.symbol)
    except ValueError as exc:
        raise CommandError(f"{exc} (--mmr R, plus --cum C except on OKX)") from None
    notional = args.qty * args.entry
    if notional >= table[-1].cap:
        raise CommandError(
            f"a notional of {notional:,.0f} USD is beyond the built-in {args.exchange} {canonical_symbol(args.symbol)} table "
            f"(up to {table[-1].cap:,.0f}); give the bracket with --mmr/--cum"
        )
    if args.leverage is not None:
        b = bracket_for_notional(notional, table)
        if args.leverage > b.max_leverage:
            raise CommandError(
                f"leverage {args.leverage:g}x is too high: a notional of {notional:,.0f} USD falls in the bracket "
                f"{b.floor:,.0f}–{b.cap:,.0f}, which allows at most {b.max_leverage:g}x"
            )
    try:
        return liquidation_price(
            args.exchange, side, args.qty, args.entry, args.wallet, margin_mode=margin_mode, brackets=table,
            other_mm=args.other_mm, other_upnl=args.other_upnl,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    result = compute(args)
    if args.json:
        print(
            json.dumps(
                {
                    "liquidation_price": result.price,
                    "exchange": result.exchange,
                    "margin_mode": result.margin_mode,
                    "mmr": result.mmr,
                    "cum": result.cum,
                }
            )
        )
        return 0
    where = "given bracket" if result.bracket is None else f"bracket {result.bracket.floor:,.0f}–{result.bracket.cap:,.0f} USD"
    rule = f"{result.margin_mode} rule" if result.exchange == "bybit" else "one-way formula (isolated or cross)"
    print(f"{result.exchange} {args.side}, {rule}, {where}: MMR {result.mmr:.4%}, maintenance amount {result.cum:,.2f}")
    if result.price == 0:
        print("no liquidation price: the margin covers the whole position (exchanges show --)")
    print(_price_text(result.price))
    return 0
