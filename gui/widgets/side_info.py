"""The small read-outs beside the lower panels: numbers for the visible window."""

from __future__ import annotations

from typing import Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from gui.theme import Theme


class SideInfo(QtWidgets.QLabel):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.rows: list[tuple[str, str, str]] = []
        self.title = ""
        self.compact = False
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.setContentsMargins(8, 4, 4, 4)
        self.setWordWrap(True)

    def set_rows(self, title: str, rows: Sequence[tuple[str, str, str]]) -> None:
        """``rows``: (label, value, colour or '')."""
        self.title = title
        self.rows = list(rows)
        self._render()

    def _fitting_rows(self, point_size: float = 8.0, padding: int = 1) -> int:
        """How many one-line rows fit under the title at the label's present height."""
        font = QtGui.QFont(self.font())
        font.setPointSizeF(point_size)
        line = QtGui.QFontMetrics(font).lineSpacing() + 2 * padding
        free = self.height() - self.contentsMargins().top() - self.contentsMargins().bottom() - line
        return max(1, free // line)

    def _wants_compact(self) -> bool:
        return len(self.rows) > self._fitting_rows()

    def _render(self) -> None:
        t = self.theme
        # More venues than lines (four venues in a short panel): a smaller, tighter table rather than rows cut off.
        self.compact = self._wants_compact()
        size, pad = ("7pt", 0) if self.compact else ("8pt", 1)
        html = [f"<div style='color:{t.muted};font-size:{size}'>{self.title}</div><table cellspacing='0' cellpadding='{pad}'>"]
        for label, value, color in self.rows:
            c = color or t.text
            html.append(f"<tr><td style='color:{t.muted};font-size:{size}'>{label}&nbsp;</td>"
                        f"<td align='right' style='color:{c};font-size:{size}'>{value}</td></tr>")
        html.append("</table>")
        self.setText("".join(html))

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.rows and self._wants_compact() != self.compact:
            self._render()
