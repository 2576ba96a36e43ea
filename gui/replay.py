"""The replay bar: a time slider over a snapshot and play/pause at 1×…1000×.

Moving the slider asks for the analytics as of that instant (MarketFrames.known_at: no look-ahead).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from analytics.report import utc_minute
from cascade_vocab.units import MINUTE_MS

SPEEDS = (1, 10, 60, 100, 300, 1000)
TICK_MS = 100
STEP_MS = MINUTE_MS  # slider resolution: one minute


class JumpSlider(QtWidgets.QSlider):
    """A click on the track jumps to the clicked time (a plain QSlider moves one page toward it)."""

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            opt = QtWidgets.QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, opt, QtWidgets.QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = self.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, opt, QtWidgets.QStyle.SubControl.SC_SliderGroove, self)
                span = max(1, groove.width() - handle.width())
                x = int(event.position().x()) - groove.x() - handle.width() // 2
                self.setValue(QtWidgets.QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span, opt.upsideDown))
        super().mousePressEvent(event)


class ReplayBar(QtWidgets.QWidget):
    as_of_changed = QtCore.Signal(object)  # int ms, or None for "the end" (live view of all data)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_ms = 0
        self.end_ms = 0
        self.play_button = QtWidgets.QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the replay (Space)")
        self.slider = JumpSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setTracking(True)
        self.speed = QtWidgets.QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(60))
        self.label = QtWidgets.QLabel("")
        self.label.setMinimumWidth(170)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QtWidgets.QLabel("Replay"))
        layout.addWidget(self.play_button)
        layout.addWidget(self.speed)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._position_ms = 0.0
        self.play_button.toggled.connect(self.set_playing)
        self.slider.valueChanged.connect(self._on_slider)

    def set_range(self, start_ms: int, end_ms: int) -> None:
        self.start_ms, self.end_ms = int(start_ms), int(end_ms)
        steps = max(1, (self.end_ms - self.start_ms) // STEP_MS)
        self.slider.blockSignals(True)
        self.slider.setRange(0, int(steps))
        self.slider.setValue(int(steps))
        self.slider.blockSignals(False)
        self._position_ms = float(self.end_ms)
        self._label(self.end_ms)

    def as_of_ms(self) -> int:
        return self.start_ms + self.slider.value() * STEP_MS if self.slider.value() < self.slider.maximum() else self.end_ms

    def set_as_of(self, ms: int) -> None:
        """Move the slider (as the user would) to ``ms``."""
        self.slider.setValue(int(round((ms - self.start_ms) / STEP_MS)))

    def _label(self, ms: int) -> None:
        self.label.setText(f"as of {utc_minute(ms)} UTC")

    def _on_slider(self, _value: int) -> None:
        ms = self.as_of_ms()
        self._position_ms = float(ms)
        self._label(ms)
        self.as_of_changed.emit(None if ms >= self.end_ms else ms)

    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.blockSignals(False)
        self.play_button.setText("⏸ Pause" if playing else "▶ Play")
        if playing:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self._timer.start()
        else:
            self._timer.stop()

    def _tick(self) -> None:
        speed = self.speed.currentData() or 1
        # speed× real time: at 60× one minute of market passes per second.
        self._position_ms += speed * TICK_MS
        target = int((self._position_ms - self.start_ms) // STEP_MS)
        if target != self.slider.value():
            keep = self._position_ms
            self.slider.setValue(min(target, self.slider.maximum()))
            self._position_ms = keep
        if self.slider.value() >= self.slider.maximum():
            self.set_playing(False)
