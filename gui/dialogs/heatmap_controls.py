"""Heatmap colour controls: colour scale (absolute USD / relative), colormap, threshold, gamma, clip, opacity — applied live."""

from __future__ import annotations

from dataclasses import replace

from PySide6 import QtCore, QtWidgets

from gui.items.heatmap import HeatScale, HeatmapStyle

COLORMAPS = ("inferno", "viridis", "magma", "plasma", "cividis")


class HeatmapControls(QtWidgets.QDialog):
    style_changed = QtCore.Signal(object)  # HeatmapStyle

    def __init__(self, style: HeatmapStyle, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Heatmap colours")
        self.style_ = style
        self.colormap = QtWidgets.QComboBox()
        self.colormap.addItems(COLORMAPS)
        self.colormap.setCurrentText(style.colormap)
        self.sliders: dict[str, QtWidgets.QSlider] = {}
        form = QtWidgets.QFormLayout(self)
        self.scale = QtWidgets.QComboBox()
        for scale, text in ((HeatScale.ABSOLUTE, "Absolute: fixed USD (comparable across views and time)"),
                            (HeatScale.VIEW, "Relative: per view (0 up to the view's brightest)"),
                            (HeatScale.ZSCORE, "Relative: z-score in view (mean … mean + 3σ)")):
            self.scale.addItem(text, scale)
        self.scale.setCurrentIndex(self.scale.findData(style.scale))
        form.addRow("Colour scale", self.scale)
        self.absolute = QtWidgets.QDoubleSpinBox()
        self.absolute.setRange(0.0, 1e13)
        self.absolute.setDecimals(0)
        self.absolute.setSingleStep(100_000)
        self.absolute.setPrefix("$ ")
        self.absolute.setSpecialValueText("fixed at the first view")
        self.absolute.setValue(style.absolute_usd)
        self.absolute.setToolTip("Absolute scale: USD per cell drawn at full colour (0: the first view's level, kept)")
        form.addRow("Full colour at", self.absolute)
        form.addRow("Colour map", self.colormap)
        # (field, label, min, max, scale): the slider holds value × scale as an int.
        for name, label, lo, hi, scale in (
            ("threshold", "Hide below (share of clip)", 0, 50, 100),
            ("gamma", "Gamma (lift faint levels)", 20, 200, 100),
            ("clip", "Clip at quantile", 500, 1000, 1000),
            ("opacity", "Opacity", 10, 100, 100),
        ):
            s = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            s.setRange(lo, hi)
            s.setValue(int(round(getattr(style, name) * scale)))
            s.setProperty("scale", scale)
            s.valueChanged.connect(self._changed)
            self.sliders[name] = s
            form.addRow(label, s)
        self.colormap.currentTextChanged.connect(self._changed)
        self.scale.currentIndexChanged.connect(self._changed)
        self.absolute.valueChanged.connect(self._changed)
        note = QtWidgets.QLabel("The heatmap is an <i>estimate</i> of open liquidation levels, not exchange data.")
        note.setWordWrap(True)
        form.addRow(note)

    def current(self) -> HeatmapStyle:
        values = {name: s.value() / s.property("scale") for name, s in self.sliders.items()}
        return replace(self.style_, colormap=self.colormap.currentText(), scale=HeatScale(self.scale.currentData()),
                       absolute_usd=float(self.absolute.value()), **values)

    def _changed(self, *_args) -> None:
        self.absolute.setEnabled(HeatScale(self.scale.currentData()) is HeatScale.ABSOLUTE)
        self.style_ = self.current()
        self.style_changed.emit(self.style_)
