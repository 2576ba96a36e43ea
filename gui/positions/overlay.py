"""PositionOverlay: the trader's positions drawn on the price chart and the liquidation map.

Per position: an entry line (side colour) and a liquidation-price line, each with a short label, on the
price chart; the same two levels on the liquidation map (same price axis); and a card in the price chart
with the full description and where the liquidation sits among the estimated clusters. What-if positions
are drawn the same way with dashed lines in their own colour and labelled "WHAT-IF".
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Optional, Sequence

import pyqtgraph as pg
from PySide6 import QtCore

from analytics.liqprice import canonical_symbol
from gui.positions.describe import OverlayPosition, base_asset, entry_label, liquidation_label, summary
from gui.theme import Theme

# Violet: distinct from the long/short reds and greens and the amber accent; darker on the light theme.
WHAT_IF_COLORS = {"dark": "#b388ff", "light": "#6a3fd0"}


def what_if_color(theme: Theme) -> str:
    return WHAT_IF_COLORS.get(theme.name, WHAT_IF_COLORS["dark"])
Z_LINES = 45  # above candles and heatmap, below the crosshair (50) and the target lines (60)
# Levels this close to the price are kept in view (the chart fits the candles; a liquidation 10% away
# would otherwise sit just off screen). Farther ones would squash the candles: the card still lists them.
KEEP_VISIBLE_PCT = 15.0


@dataclass
class DrawnPosition:
    """The items of one position (tests read the levels back from them)."""

    position: OverlayPosition
    entry_line: pg.InfiniteLine
    liq_line: Optional[pg.InfiniteLine]
    map_entry_line: pg.InfiniteLine
    map_liq_line: Optional[pg.InfiniteLine]


class PositionOverlay:
    def __init__(self, price_panel, liqmap_panel, theme: Theme) -> None:
        self.price = price_panel
        self.liqmap = liqmap_panel
        self.theme = theme
        self.real: tuple[OverlayPosition, ...] = ()
        self.what_ifs: tuple[OverlayPosition, ...] = ()
        self.errors: tuple[str, ...] = ()
        self.balances: tuple[str, ...] = ()  # one line per account: wallet and equity
        self.symbol: Optional[str] = None  # canonical chart symbol; None = show every position
        self.last_price: Optional[float] = None
        self.liq_map = None
        self.drawn: list[DrawnPosition] = []
        self.card = pg.TextItem(anchor=(0, 0))
        self.card.setParentItem(self.price.view)
        self.card.setZValue(70)
        self.card.setPos(4, 22)
        self.card.hide()
        self.card_lines: list[str] = []
        self._widening = False
        self._layout: tuple = ()
        self._card_markup = ""
        self.price.view.sigYRangeChanged.connect(self._keep_levels_visible)

    # -- inputs -----------------------------------------------------------------------------------
    def set_real(self, positions: Sequence[OverlayPosition], errors: Sequence[str] = (), balances: Sequence[str] = ()) -> None:
        self.real = tuple(positions)
        self.errors = tuple(errors)
        self.balances = tuple(balances)
        self.redraw()

    def set_what_ifs(self, positions: Sequence[OverlayPosition]) -> None:
        self.what_ifs = tuple(positions)
        self.redraw()

    def set_market(self, symbol: Optional[str], last_price: Optional[float], liq_map=None) -> None:
        self.symbol = canonical_symbol(symbol) if symbol else None
        self.last_price = last_price
        self.liq_map = liq_map
        self.redraw()

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.redraw()

    # -- drawing ----------------------------------------------------------------------------------
    def shown(self) -> list[OverlayPosition]:
        """The positions on the chart's symbol (all of them when the chart has none yet)."""
        return [p for p in (*self.real, *self.what_ifs) if self.symbol is None or self._on_chart(p)]

    def _on_chart(self, p: OverlayPosition) -> bool:
        # Same coin, whatever the settlement: a USDC-settled BTC position (Hyperliquid) is on the BTC chart.
        return self.symbol is not None and base_asset(p.symbol) == base_asset(self.symbol)

    def _pens(self, p: OverlayPosition):
        t = self.theme
        style = QtCore.Qt.PenStyle.DashLine if p.what_if else QtCore.Qt.PenStyle.SolidLine
        entry_color = what_if_color(t) if p.what_if else (t.up if p.side == "long" else t.down)
        liq_color = what_if_color(t) if p.what_if else t.warning
        return pg.mkPen(entry_color, width=1.5, style=style), pg.mkPen(liq_color, width=2, style=style), entry_color, liq_color

    def _line(self, plot, y: float, pen, color: str, text: str, position: float, below: bool = False) -> pg.InfiniteLine:
        # ``below``: the label hangs under the line (for levels above the price, so it stays in view).
        anchor = (0, 0) if below else (0, 1)
        line = pg.InfiniteLine(pos=y, angle=0, movable=False, pen=pen, label=text or None,
                               labelOpts={"position": position, "color": color, "anchors": [anchor, anchor],
                                          "fill": pg.mkBrush(self.theme.background)} if text else None)
        line.setZValue(Z_LINES)
        plot.addItem(line, ignoreBounds=True)
        return line

    def clear(self) -> None:
        self._layout = ()
        for d in self.drawn:
            for line, plot in ((d.entry_line, self.price.plot), (d.liq_line, self.price.plot),
                               (d.map_entry_line, self.liqmap.plot), (d.map_liq_line, self.liqmap.plot)):
                if line is not None:
                    plot.removeItem(line)
        self.drawn = []

    def redraw(self) -> None:
        """Lines are rebuilt only when what is drawn changes (positions, theme, scale, side of the price a
        liquidation is on); a new price or map only updates the texts: creating pyqtgraph lines costs
        ~2 ms each, and this runs on every analytics result."""
        shown = self.shown()
        above = tuple(p.liquidation_price is not None and self.last_price is not None and p.liquidation_price > self.last_price for p in shown)
        layout = (tuple(shown), above, self.theme.name, bool(self.price.log_scale))
        if layout != self._layout:
            self._rebuild(shown, above)
            self._layout = layout
        else:
            for d in self.drawn:
                if d.liq_line is not None:
                    text = liquidation_label(d.position, self.last_price)
                    if d.liq_line.label.format != text:
                        d.liq_line.label.setFormat(text)
        self._update_card(shown)
        self._keep_levels_visible()

    def _rebuild(self, shown: list[OverlayPosition], above: tuple[bool, ...]) -> None:
        self.clear()
        to_view = self.price.to_view
        for i, p in enumerate(shown):
            entry_pen, liq_pen, entry_color, liq_color = self._pens(p)
            # Entry labels at the left, liquidation labels mid-chart (clear of the card at the top left and of
            # the estimate note at the bottom left); staggered so neighbouring positions do not overlap.
            pos = 0.02 + 0.12 * (i % 3)
            liq_pos = 0.56 + 0.1 * (i % 3)
            entry = self._line(self.price.plot, to_view(p.entry), entry_pen, entry_color, entry_label(p), pos)
            map_entry = self._line(self.liqmap.plot, to_view(p.entry), entry_pen, entry_color, "", 0)
            liq = map_liq = None
            if p.liquidation_price is not None:
                liq = self._line(self.price.plot, to_view(p.liquidation_price), liq_pen, liq_color, liquidation_label(p, self.last_price), liq_pos, above[i])
                map_liq = self._line(self.liqmap.plot, to_view(p.liquidation_price), liq_pen, liq_color,
                                     "your liq" if not p.what_if else "what-if liq", 0.7, above[i])
            self.drawn.append(DrawnPosition(p, entry, liq, map_entry, map_liq))

    def _update_card(self, shown: list[OverlayPosition]) -> None:
        lines: list[str] = []
        t = self.theme
        for p in shown:
            line, context = summary(p, self.last_price, self.liq_map)
            color = what_if_color(t) if p.what_if else (t.up if p.side == "long" else t.down)
            lines.append(f"<span style='color:{color}'>{html.escape(line)}</span>")
            if context:
                lines.append(f"<span style='color:{t.text}'>&nbsp;&nbsp;↳ {html.escape(context)}</span>")
        for line in self.balances:
            lines.append(f"<span style='color:{t.muted}'>{html.escape(line)}</span>")
        elsewhere = sorted({p.symbol for p in self.real if self.symbol is not None and not self._on_chart(p)})
        if elsewhere:
            n = sum(1 for p in self.real if p.symbol in elsewhere)
            lines.append(f"<span style='color:{t.muted}'>{n} open position{'s' if n > 1 else ''} on other symbols: {html.escape(', '.join(elsewhere))}</span>")
        for err in self.errors:
            lines.append(f"<span style='color:{t.error}'>{html.escape(err)}</span>")
        self.card_lines = lines
        markup = ("<div style='font-size:8pt;background-color:%s;padding:3px'>%s</div>" % (t.panel, "<br>".join(lines))) if lines else ""
        if markup != self._card_markup:
            self._card_markup = markup
            self.card.setHtml(markup)
            self.card.setVisible(bool(lines))

    def levels_to_keep(self) -> list[float]:
        ref = self.last_price
        out = []
        for d in self.drawn:
            for level in (d.position.entry, d.position.liquidation_price):
                if level is not None and (ref is None or abs(level / ref - 1.0) * 100.0 <= KEEP_VISIBLE_PCT):
                    out.append(level)
        return out

    def _keep_levels_visible(self, *_args) -> None:
        """Widen the price chart's y range (after it fitted the candles) to show nearby position levels."""
        if self._widening or not self.drawn:
            return
        levels = [self.price.to_view(v) for v in self.levels_to_keep()]
        if not levels:
            return
        _, (y0, y1) = self.price.view.viewRange()
        lo, hi = min(y0, *levels), max(y1, *levels)
        if lo >= y0 and hi <= y1:
            return
        pad = (hi - lo) * 0.05
        self._widening = True
        try:
            self.price.view.setYRange(lo - (pad if lo < y0 else 0), hi + (pad if hi > y1 else 0), padding=0)
        finally:
            self._widening = False
        self._layout: tuple = ()
        self._card_markup = ""

    def card_text(self) -> str:
        """The card as plain text (what the trader reads)."""
        return self.card.textItem.toPlainText()
