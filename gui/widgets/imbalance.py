"""The imbalance card: what the two target lines put at risk, e.g.

"↑ $92,000 (+11.2%): $6.5B shorts at risk · ↓ $72,600 (−12.3%): $1.2B longs at risk · ratio 5.4 : 1".
"""

from __future__ import annotations

import math

from PySide6 import QtWidgets

from analytics.central import Central
from gui.analytics_bridge import ImbalanceView
from gui.theme import Theme
from cascade_vocab.formatting import format_ratio, format_usd, format_usd_range


def signed_pct(value: float) -> str:
    return f"{value:+.1f}%".replace("-", "−")



def range_text(r: tuple[float, float] | None) -> str:
    """" (0.9–2.8B)": the 80 % range over plausible crowds, or nothing without one."""
    if r is None:
        return ""
    return f" ({format_usd_range(r[0], r[1])})"


def _relative_level(level: float | None, price: float) -> str:
    return "none within ±10 %" if level is None else f"${level:,.0f} ({signed_pct((level / price - 1) * 100)})"


PENDING_TEXT = "estimating: the 80 % range over plausible crowds is being computed"


def imbalance_text(v: ImbalanceView) -> str:
    if v.ranges_pending:
        return PENDING_TEXT
    if v.relative:
        return (f"RELATIVE map (no open interest, from traded volume; no USD): heaviest shorts {_relative_level(v.short_cluster, v.price)}"
                f" · heaviest longs {_relative_level(v.long_cluster, v.price)}")
    return (
        f"↑ ${v.up:,.0f} ({signed_pct(v.up_pct)}): {format_usd(v.shorts_at_risk_usd)}{range_text(v.shorts_range)} shorts at risk · "
        f"↓ ${v.down:,.0f} ({signed_pct(v.down_pct)}): {format_usd(v.longs_at_risk_usd)}{range_text(v.longs_range)} longs at risk · "
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
        note = self.note = QtWidgets.QLabel("estimate (80 % range over plausible crowds) · drag the dashed lines")
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
        if view.ranges_pending:
            # The map is drawn already; its figures wait for their ranges rather than show without one.
            self.note.setText("estimate · drag the dashed lines")
            self.label.setText(PENDING_TEXT + "…")
            self.label.setToolTip(PENDING_TEXT)
            return
        self.note.setText("where, not how much · drag the dashed lines" if view.relative
                          else "estimate: median crowd (80 % range over plausible crowds) · drag the dashed lines"
                          if view.shorts_range and view.central is Central.MEDIAN_CROWD
                          else "estimate: your model settings (80 % range over plausible crowds) · drag the dashed lines"
                          if view.shorts_range
                          else "estimate · drag the dashed lines")
        if view.relative:
            self.label.setText(
                f"<b>RELATIVE</b> map (no open interest, from traded volume; no USD): "
                f"<span style='color:{t.short_liq}'>heaviest shorts {_relative_level(view.short_cluster, view.price)}</span> · "
                f"<span style='color:{t.long_liq}'>heaviest longs {_relative_level(view.long_cluster, view.price)}</span>")
            self.label.setToolTip(imbalance_text(view))
            return
        up = (f"<span style='color:{t.short_liq}'>↑ ${view.up:,.0f} ({signed_pct(view.up_pct)}): "
              f"<b>{format_usd(view.shorts_at_risk_usd)}</b>{range_text(view.shorts_range)} shorts at risk</span>")
        down = (f"<span style='color:{t.long_liq}'>↓ ${view.down:,.0f} ({signed_pct(view.down_pct)}): "
                f"<b>{format_usd(view.longs_at_risk_usd)}</b>{range_text(view.longs_range)} longs at risk</span>")
        self.label.setText(f"{up} · {down} · ratio <b>{format_ratio(view.ratio)}</b>")
        self.label.setToolTip(imbalance_text(view))

    def text(self) -> str:
        return imbalance_text(self.view) if self.view else ""
