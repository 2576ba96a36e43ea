"""Does a Cascade screenshot show a drawn chart, or a blank/half-built window?

    .venv/bin/python packaging/screenshot_check.py shot.png      # prints the figures; exit 0 drawn, 1 not

A dark window with only widgets and text has few colours, one colour covering most of it, and almost no
saturated pixels; candles, volume bars, the OI bands and the heatmap add hundreds of colours and a
clear share of saturated teal/orange/red pixels. The thresholds sit well between the two (a blank dark
main window: ~20 colours, <0.5% saturated; the demo window: thousands of colours, >20% saturated).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

MIN_SIZE = (320, 240)
MIN_COLOURS = 64
MAX_DOMINANT_SHARE = 0.90
MIN_SATURATED_SHARE = 0.02
SATURATION = 0.35  # (max - min) / max of RGB: grey/white text stays under it, chart colours far above


@dataclass(frozen=True)
class ShotStats:
    width: int
    height: int
    colours: int
    dominant_share: float
    saturated_share: float


def rgb_pixels(path: str) -> np.ndarray:
    """(height, width, 3) uint8 RGB of a PNG, read with Qt (no Pillow needed)."""
    from PySide6 import QtGui

    image = QtGui.QImage(path)
    if image.isNull():
        raise ValueError(f"{path}: not a readable image")
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


def stats(rgb: np.ndarray) -> ShotStats:
    h, w, _ = rgb.shape
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    _, counts = np.unique(packed, return_counts=True)
    hi = rgb.max(axis=2).astype(np.float32)
    lo = rgb.min(axis=2).astype(np.float32)
    sat = np.divide(hi - lo, hi, out=np.zeros_like(hi), where=hi > 40)  # near-black pixels count as grey
    n = float(h * w)
    return ShotStats(w, h, int(len(counts)), float(counts.max() / n), float((sat > SATURATION).sum() / n))


def verdict(s: ShotStats) -> tuple[bool, str]:
    """(drawn?, one line naming the figure that failed, or the figures when it passed)."""
    figures = (f"{s.width}x{s.height}, {s.colours} colours, dominant colour {s.dominant_share:.0%}, "
               f"saturated {s.saturated_share:.1%}")
    if s.width < MIN_SIZE[0] or s.height < MIN_SIZE[1]:
        return False, f"too small ({figures})"
    if s.colours < MIN_COLOURS:
        return False, f"too few colours: nothing drawn? ({figures})"
    if s.dominant_share > MAX_DOMINANT_SHARE:
        return False, f"one colour covers the window ({figures})"
    if s.saturated_share < MIN_SATURATED_SHARE:
        return False, f"no chart colours ({figures})"
    return True, figures


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: screenshot_check.py SHOT.png\n")
        return 2
    try:
        ok, line = verdict(stats(rgb_pixels(argv[0])))
    except ValueError as exc:
        sys.stderr.write(f"screenshot: {exc}\n")
        return 1
    print(f"screenshot: {'drawn' if ok else 'NOT drawn'}: {line}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
