"""The smoke test's "is a chart drawn?" check, on images with known content, and its bundle checks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from tests.packaging.scripts import load

sc = load("screenshot_check")
smoke = load("smoke")
BG = (11, 14, 20)  # the app's dark background


@pytest.fixture(autouse=True, scope="module")
def _app(qapp):
    return qapp


def test_stats_of_a_hand_made_image():
    rgb = np.array([[[11, 14, 20], [11, 14, 20]],
                    [[38, 166, 154], [200, 200, 200]]], dtype=np.uint8)
    s = sc.stats(rgb)
    assert (s.width, s.height, s.colours) == (2, 2, 3)
    assert s.dominant_share == pytest.approx(0.5)
    # teal (166-38)/166 = 0.77 is saturated; grey is not; the near-black background counts as grey.
    assert s.saturated_share == pytest.approx(0.25)


def test_rgb_pixels_reads_back_a_png_with_a_padded_stride(tmp_path):
    image = QtGui.QImage(5, 3, QtGui.QImage.Format.Format_RGB888)  # 15 bytes a row, stored in 16
    image.fill(QtGui.QColor(*BG))
    image.setPixelColor(4, 2, QtGui.QColor(255, 0, 0))
    image.setPixelColor(0, 1, QtGui.QColor(0, 128, 255))
    path = tmp_path / "small.png"
    assert image.save(str(path))
    rgb = sc.rgb_pixels(str(path))
    assert rgb.shape == (3, 5, 3)
    assert tuple(rgb[2, 4]) == (255, 0, 0) and tuple(rgb[1, 0]) == (0, 128, 255) and tuple(rgb[0, 0]) == BG
    with pytest.raises(ValueError):
        sc.rgb_pixels(str(tmp_path / "missing.png"))


def _window(draw) -> np.ndarray:
    image = QtGui.QImage(900, 600, QtGui.QImage.Format.Format_RGB888)
    image.fill(QtGui.QColor(*BG))
    painter = QtGui.QPainter(image)
    painter.setPen(QtGui.QColor(138, 147, 166))
    for y in range(20, 600, 60):  # menus, labels, status text: grey antialiased text
        painter.drawText(QtCore.QPointF(10, y), "Demo market — simulated data · BTC/USDT:USDT 1m")
    draw(painter)
    painter.end()
    return _to_array(image)


def _to_array(image: QtGui.QImage) -> np.ndarray:
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


def _candles(painter: QtGui.QPainter) -> None:
    rng = np.random.default_rng(7)
    price = 300.0
    for i in range(150):
        step = rng.normal(0, 6)
        colour = QtGui.QColor(38, 166, 154) if step > 0 else QtGui.QColor(239, 83, 80)
        top, bottom = sorted((price, price + step))
        painter.fillRect(QtCore.QRectF(20 + i * 5, top, 4, max(bottom - top, 1)), colour)
        painter.fillRect(QtCore.QRectF(20 + i * 5, 520 - abs(step) * 5, 4, abs(step) * 5), colour.darker(150))
        price += step
    gradient = QtGui.QLinearGradient(0, 0, 0, 120)
    gradient.setColorAt(0, QtGui.QColor(80, 20, 110))
    gradient.setColorAt(1, QtGui.QColor(255, 200, 60))
    painter.fillRect(QtCore.QRectF(780, 40, 100, 400), gradient)


def test_a_window_with_candles_volume_and_heatmap_passes():
    ok, line = sc.verdict(sc.stats(_window(_candles)))
    assert ok, line


def test_a_window_with_only_text_fails():
    ok, line = sc.verdict(sc.stats(_window(lambda p: None)))
    assert not ok and ("covers the window" in line or "no chart colours" in line or "few colours" in line)


def test_a_blank_window_fails_on_the_dominant_colour():
    rgb = np.zeros((600, 900, 3), np.uint8) + np.array(BG, np.uint8)
    rgb[:, :450] += np.arange(450, dtype=np.uint8)[None, :, None] // 4  # 113 greys, still no chart
    ok, line = sc.verdict(sc.stats(rgb))
    assert not ok and "no chart colours" in line


def test_a_tiny_image_fails():
    rgb = np.random.default_rng(1).integers(0, 255, (100, 100, 3), dtype=np.uint8)
    ok, line = sc.verdict(sc.stats(rgb))
    assert not ok and "too small" in line


def test_bundle_resource_check_names_what_is_missing(tmp_path):
    exe = tmp_path / "cascade"
    exe.write_text("")
    assert smoke.check_resources(exe) == [f"no {tmp_path / '_internal'} (not a one-folder PyInstaller 6 bundle?)"]
    icons = tmp_path / "_internal" / "resources" / "icons"
    icons.mkdir(parents=True)
    (icons / "cascade.svg").write_text("<svg/>")
    problems = smoke.check_resources(exe)
    assert any("cascade-256.png" in p for p in problems) and any("cascade.desktop" in p for p in problems)
    assert any("metadata" in p for p in problems)
    (icons / "cascade-256.png").write_bytes(b"png")
    (tmp_path / "_internal" / "resources" / "cascade.desktop").write_text("[Desktop Entry]\n")
    (tmp_path / "_internal" / "cascade_liquidations-0.1.0.dist-info").mkdir()
    assert smoke.check_resources(exe) == []


def test_smoke_runs_the_app_offscreen_with_throwaway_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CASCADE_TEST", "1")
    env = smoke.app_env(tmp_path)
    assert env["QT_QPA_PLATFORM"] == "offscreen" and "CASCADE_TEST" not in env
    assert env["XDG_CONFIG_HOME"].startswith(str(tmp_path)) and env["HOME"] == str(tmp_path)
    found = smoke.FIRST_FRAME.search("noise\ncascade: first frame drawn at unix_ms=1764070000123\n")
    assert found and int(found.group(1)) == 1764070000123
