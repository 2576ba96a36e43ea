"""The small read-outs beside the lower panels: numbers for the visible window."""

from __future__ import annotations

from typing import Sequence

from PySide6 import QtCore, QtWidgets

from gui.theme import Theme


class SideInfo(QtWidgets.QLabel):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.rows: list[tuple[str, str, str]] = []
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.setContentsMargins(8, 4, 4, 4)
        self.setWordWrap(True)

    def set_rows(self, title: str, rows: Sequence[tuple[str, str, str]]) -> None:
        """``rows``: (label, value, colour or '')."""
        self.rows = list(rows)
        t = self.theme
        html = [f"<div style='color:{t.muted};font-size:8pt'>{title}</div><table cellspacing='0' cellpadding='1'>"]
        for label, value, color in rows:
            c = color or t.text
            html.append(f"<tr><td style='color:{t.muted};font-size:8pt'>{label}&nbsp;</td><td align='right' style='color:{c};font-size:8pt'>{value}</td></tr>")
        html.append("</table>")
        self.setText("".join(html))
