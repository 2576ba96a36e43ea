"""Number formats shared by the window and the command line."""

from __future__ import annotations

import math


def format_compact(value: float) -> str:
    """``1.2B``, ``350M``, ``12.5k``: for USD and volume axes."""
    a = abs(value)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{value / div:.{1 if a < div * 100 else 0}f}{suffix}"
    return f"{value:.0f}" if a >= 10 else f"{value:.2g}"


def format_usd(value: float) -> str:
    """``$1.6B``, ``$350M``, ``$12.3K``, ``$950``, ``-$1.6B``: every compact dollar figure, window and CLI alike.

    One decimal below 100 of the unit, none above (a card that ticks keeps its width).
    """
    a = abs(value)
    sign = "-" if value < 0 else ""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{sign}${a / div:.{1 if a < div * 100 else 0}f}{suffix}"
    return f"{sign}${a:,.0f}"


def _ratio_number(x: float, digits: int | None) -> str:
    return f"{x:.3g}" if digits is None else f"{x:.{digits}f}"


def format_ratio(ratio: float, digits: int | None = 1) -> str:
    """Shorts at risk to longs at risk, the heavier side's number first: ``1.8 : 1``, ``1 : 2.5``.

    ``digits``: decimals (None: the shortest exact form, for axis ticks such as ``3 : 1``).
    """
    if math.isnan(ratio):
        return "\u2014"
    if math.isinf(ratio):
        return "\u221e : 1"
    if ratio <= 0:
        return "0 : 1"
    if ratio >= 1:
        return f"{_ratio_number(ratio, digits)} : 1"
    return f"1 : {_ratio_number(1 / ratio, digits)}"


def format_usd_range(low: float, high: float) -> str:
    """``468M–2.2B``: each end as ``format_usd`` writes it, the dollar sign left out (the range follows
    a ``$`` figure)."""
    return f"{format_usd(low).replace('$', '')}\u2013{format_usd(high).replace('$', '')}"
