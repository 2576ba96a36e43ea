"""The status bar's widgets: the source and its age, loading progress, feed ages, Fear & Greed, analytics timing."""

from __future__ import annotations

import time

from PySide6 import QtWidgets

from gui.theme import Theme
from gui.widgets.feeds import FeedStatus


class StatusWidgets:
    def __init__(self, bar: QtWidgets.QStatusBar, theme: Theme) -> None:
        self.source_label = QtWidgets.QLabel("starting…")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.feed_status = FeedStatus(theme)
        self.analytics_label = QtWidgets.QLabel("")
        self.sentiment_label = QtWidgets.QLabel("")  # Fear & Greed, live only; hidden when unavailable
        self.sentiment_label.hide()
        bar.addWidget(self.source_label)
        bar.addWidget(self.progress)
        bar.addWidget(self.feed_status, 1)
        bar.addPermanentWidget(self.sentiment_label)
        bar.addPermanentWidget(self.analytics_label)

    def show_analytics(self, result) -> None:
        """How old and how slow the shown view is, and what it could not compute."""
        when = time.strftime("%H:%M:%S", time.localtime(result.computed_at))
        text = f"analytics {when} in {result.elapsed_ms:.0f} ms"
        if result.liquidity is None:
            text = f"chart {when} in {result.elapsed_ms:.0f} ms · liquidation model not available"
        if result.error:
            text += f" · {result.error}"
        self.analytics_label.setText(text)
