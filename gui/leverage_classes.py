"""Leverage layers' words and classes (no Qt): which tiers are low, medium, high; how a choice is labelled."""

from __future__ import annotations

from typing import Optional, Sequence

LOW_MAX, HIGH_MIN = 10.0, 50.0  # leverage classes: low ≤ 10x < medium < 50x ≤ high


def leverage_classes(leverages: Sequence[float]) -> dict[str, tuple[int, ...]]:
    """Class name → tier indices (classes without a tier are left out)."""
    classes = {
        f"Low leverage (≤ {LOW_MAX:g}x)": tuple(i for i, v in enumerate(leverages) if v <= LOW_MAX),
        "Medium leverage": tuple(i for i, v in enumerate(leverages) if LOW_MAX < v < HIGH_MIN),
        f"High leverage (≥ {HIGH_MIN:g}x)": tuple(i for i, v in enumerate(leverages) if v >= HIGH_MIN),
    }
    return {name: tiers for name, tiers in classes.items() if tiers}


def layers_text(tiers: Optional[tuple[int, ...]], leverages: Sequence[float]) -> str:
    """'' for every layer, else e.g. 'leverage layers 50x, 100x only'."""
    if tiers is None:
        return ""
    chosen = [f"{leverages[i]:g}x" for i in sorted(tiers) if 0 <= i < len(leverages)]
    return "leverage layers " + (", ".join(chosen) if chosen else "none") + " only"
