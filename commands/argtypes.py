"""argparse value types shared by the commands and the window's options: each refuses a bad value with one
short sentence (argparse puts it on the single error line)."""

from __future__ import annotations

import argparse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def add_market_arguments(p: argparse.ArgumentParser) -> None:
    """The market a command reads: the demo (with its seed) or a snapshot/store file, exactly one."""
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--demo", action="store_true")
    which.add_argument("--open", metavar="FILE")
    p.add_argument("--seed", type=non_negative_int, default=7)
