"""The imbalance card: what the two target lines put at risk, e.g.

"↑ $92,000 (+11.2%): $6.5B shorts at risk · ↓ $72,600 (−12.3%): $1.2B longs at risk · ratio 5.4 : 1".
"""

from __future__ import annotations

import math

from PySide6 import QtWidgets

from gui.analytics_bridge import ImbalanceView
from gui.items.axes import format_compact
from gui.theme import Theme


def signed_pct(value: float) -> str:
    return f"{value:+.1f}%".replace("-", "−")


def format_ratio(ratio: float) -> str:
    if math.isnan(ratio):
        return "—"
    if math.isinf(ratio):
        return "∞ : 1"
    if ratio >= 1:
        return f"{ratio:.1f} : 1"
    return f"1 : {1 / ratio:.1f}" if ratio > 0 else "0 : 1"


NO_OI = "no open-interest history, so the model cannot estimate them"


def imbalance_text(v: ImbalanceView) -> str:
    if not v.estimable:
        return f"↑ ${v.up:,.0f}: unknown shorts at risk · ↓ ${v.down:,.0f}: unknown longs at risk ({NO_OI})"
    return (
        f"↑ ${v.up:,.0f} ({signed_pct(v.up_pct)}): ${format_compact(v.shorts_at_risk_usd)} shorts at risk · "
        f"↓ ${v.down:,.0f} ({signed_pct(v.down_pct)}): ${format_compact(v.longs_at_risk_usd)} longs at risk · "
        f"ratio {format_ratio(v.ratio)}"
    )


class ImbalanceCard(QtWidgets.QFrame):
    def __init__(self, theme: Theme, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.view: ImbalanceView | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 3)
        title = QtWidgets.QLabel("Imbalance")
        title.setObjectName("cardTitle")
        self.label = QtWidgets.QLabel("waiting for the liquidation model…")
        self.label.setTextInteractionFlags(self.label.textInteractionFlags())
        note = QtWidgets.QLabel("estimate · drag the dashed lines")
        note.setObjectName("estimate")
        layout.addWidget(title)
        layout.addWidget(self.label, 1)
        layout.addWidget(note)
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.set_view(self.view)

    def set_view(self, view: ImbalanceView | None) -> None:
        self.view = view
        if view is None:
            return
        t = self.theme
        if not view.estimable:
            self.label.setText(f"shorts and longs at risk: <b>unknown</b> ({NO_OI})")
            self.label.setToolTip(imbalance_text(view))
            return
        up = f"<span style='color:{t.short_liq}'>↑ ${view.up:,.0f} ({signed_pct(view.up_pct)}): <b>${format_compact(view.shorts_at_risk_usd)}</b> shorts at risk</span>"
        down = f"<span style='color:{t.long_liq}'>↓ ${view.down:,.0f} ({signed_pct(view.down_pct)}): <b>${format_compact(view.longs_at_risk_usd)}</b> longs at risk</span>"
        self.label.setText(f"{up} · {down} · ratio <b>{format_ratio(view.ratio)}</b>")
        self.label.setToolTip(imbalance_text(view))

    def text(self) -> str:
        return imbalance_text(self.view) if self.view else ""
