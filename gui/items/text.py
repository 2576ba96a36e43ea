"""A pyqtgraph TextItem that lays its HTML out again only when the HTML changes."""

from __future__ import annotations

import pyqtgraph as pg


class HtmlText(pg.TextItem):
    """Titles and captions are set on every update, mostly to the same text; Qt re-parses and lays out
    the document on each ``setHtml`` (a few tenths of a millisecond each, on the GUI thread)."""

    _html: str | None = None

    def setHtml(self, html: str) -> None:
        if html == self._html:
            return
        self._html = html
        super().setHtml(html)
