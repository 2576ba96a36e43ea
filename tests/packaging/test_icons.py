"""The app icon: PNG sizes rendered from the SVG and in step with it; .ico and .icns readable by Qt."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from tests.packaging.scripts import ROOT, load

ri = load("render_icons")
ICONS = ROOT / "resources" / "icons"


@pytest.fixture(autouse=True, scope="module")
def _app(qapp):
    """pytest-qt's QApplication first, so render_png never creates a bare QGuiApplication that widget
    tests later in the same process could not use."""
    return qapp


def _rgba(data: bytes) -> np.ndarray:
    image = QtGui.QImage.fromData(data, "PNG").convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
    assert not image.isNull()
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 4].reshape(h, w, 4).astype(np.int16)


def test_every_png_size_exists_with_its_exact_dimensions():
    assert ri.PNG_SIZES == (16, 32, 48, 64, 128, 256, 512)
    for size in ri.PNG_SIZES:
        assert ri.png_size(ri.png_path(size).read_bytes()) == (size, size)


def test_png_size_reads_the_header_and_rejects_other_files():
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 7, 3)
    assert ri.png_size(header) == (7, 3)
    with pytest.raises(ValueError):
        ri.png_size(b"GIF89a" + bytes(30))


@pytest.mark.parametrize("size", [16, 64, 256])
def test_committed_pngs_match_a_fresh_rendering_of_the_svg(size):
    """A stale PNG (SVG edited, render_icons.py not re-run) fails here."""
    fresh = _rgba(ri.render_png(ri.SVG, size))
    committed = _rgba(ri.png_path(size).read_bytes())
    assert fresh.shape == committed.shape == (size, size, 4)
    assert np.abs(fresh - committed).mean() < 1.5


def test_icon_is_a_rounded_tile_transparent_at_the_corners():
    pixels = _rgba(ri.png_path(256).read_bytes())
    assert pixels[0, 0, 3] == 0 and pixels[-1, -1, 3] == 0  # outside the rounded corners
    assert pixels[128, 128, 3] == 255
    # The bars carry the teal and orange of the palette.
    colours = pixels[..., :3].reshape(-1, 3)
    teal = ((colours[:, 1] > 180) & (colours[:, 2] > 160) & (colours[:, 0] < 80)).sum()
    orange = ((colours[:, 0] > 230) & (colours[:, 1] > 90) & (colours[:, 1] < 150) & (colours[:, 2] < 80)).sum()
    assert teal > 1000 and orange > 1000


def test_ico_container_layout_by_hand():
    pngs = {16: b"A" * 5, 256: b"B" * 3}
    data = ri.ico_bytes(pngs)
    assert data[:6] == struct.pack("<HHH", 0, 1, 2)
    first = struct.unpack("<BBBBHHII", data[6:22])
    second = struct.unpack("<BBBBHHII", data[22:38])
    assert first == (16, 16, 0, 0, 1, 32, 5, 38)
    assert second == (0, 0, 0, 0, 1, 32, 3, 43)  # 0 means 256
    assert data[38:] == b"AAAAABBB"
    with pytest.raises(ValueError):
        ri.ico_bytes({512: b"x"})


def test_icns_container_layout_by_hand():
    pngs = {size: bytes([size % 251]) * 2 for size in ri.PNG_SIZES}
    data = ri.icns_bytes(pngs)
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    assert data[8:12] == b"icp4" and struct.unpack(">I", data[12:16])[0] == 10 and data[16:18] == bytes([16]) * 2
    assert len(data) == 8 + 10 * len(ri.ICNS_TYPES)


def _read_all(path) -> list[tuple[int, int]]:
    reader = QtGui.QImageReader(str(path))
    assert reader.canRead(), f"Qt cannot read {path}"
    sizes = []
    for i in range(reader.imageCount()):
        assert reader.jumpToImage(i)
        image = reader.read()
        assert not image.isNull()
        sizes.append((image.width(), image.height()))
    return sizes


def test_windows_ico_holds_every_size_up_to_256():
    assert _read_all(ICONS / "cascade.ico") == [(s, s) for s in ri.ICO_SIZES]


def test_macos_icns_holds_the_standard_types():
    assert _read_all(ICONS / "cascade.icns") == [(s, s) for _kind, s in ri.ICNS_TYPES]


def test_qicon_from_the_svg_renders_at_window_icon_sizes():
    icon = QtGui.QIcon(str(ri.SVG))
    assert not icon.isNull()
    image = icon.pixmap(QtCore.QSize(48, 48)).toImage()
    assert image.width() == 48 and image.pixelColor(24, 24).alpha() == 255
