"""Number formats shared by the window and the command line."""

from __future__ import annotations


def format_compact(value: float) -> str:
    """``1.2B``, ``350M``, ``12.5k``: for USD and volume axes."""
    a = abs(value)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{value / div:.{1 if a < div * 100 else 0}f}{suffix}"
    return f"{value:.0f}" if a >= 10 else f"{value:.2g}"
