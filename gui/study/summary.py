"""The study's result in a few plain sentences, caveat included (the view shows them under the plots)."""

from __future__ import annotations

import math
from typing import Optional

from analytics.report import utc_minute
from analytics.study import StudyResult, duration_text, edge_word
from cascade_vocab.formatting import format_ratio

SHORT_CAVEAT = ("An estimate of an estimate (the map is a model of positions, not the positions); past \u2260 future; "
                "observations overlap \u2014 intervals use a block bootstrap.")


def pct(x: Optional[float]) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


def summary_lines(r: StudyResult, symbol: str = "") -> list[str]:
    """Headline, correlation, heavier-first rate against its base rate, edges by bucket, notes, caveat."""
    conf = f"{100 * r.confidence:g}%"
    if r.n == 0:
        return ["No observation: no step has a full horizon and a non-empty map. Widen from/to or shorten the horizon.",
                "Caveat: " + SHORT_CAVEAT]
    o = r.observations
    windows = r.n / r.block_len if r.block_len else r.n
    lines = [
        f"{symbol + ': ' if symbol else ''}{r.n} observations every {duration_text(r.every_ms)} from {utc_minute(int(o.at_ms[0]))} "
        f"to {utc_minute(int(o.at_ms[-1]))} UTC; band \u00b1{r.band_pct:g}%, horizon {duration_text(r.horizon_ms)} "
        f"(about {windows:.0f} independent windows)."
    ]
    if r.spearman is None:
        lines.append("Rank correlation (Spearman) of imbalance and forward return: n/a (too few or constant values).")
    else:
        lo, hi = r.spearman_ci
        ci = "" if lo is None or hi is None else f" ({conf} interval {lo:+.3f} to {hi:+.3f})"
        lines.append(f"Rank correlation (Spearman) of imbalance and forward return: {r.spearman:+.3f}{ci}.")
    lines.append(f"Heavier side's band reached first: {pct(r.heavier_first_rate)} of observations; base rate "
                 f"{pct(r.base_rate)} (what to expect if the imbalance told nothing). Band first: up "
                 f"{pct(r.up_first_rate)}, down {pct(r.down_first_rate)}, neither {pct(r.neither_rate)}.")
    edges = [f"{format_ratio(b.imbalance_min)} to {format_ratio(b.imbalance_max)} ({edge_word(b.edge_ci)}, n={b.n})"
             for b in r.buckets if edge_word(b.edge_ci) != "none"]
    lines.append("Buckets whose heavier-first interval excludes the base rate: " + ("; ".join(edges) if edges else "none") + ".")
    lines += list(r.notes)
    lines.append("Caveat: " + SHORT_CAVEAT)
    return lines
