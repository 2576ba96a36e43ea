"""What a drawn result may still need: an empty state for data without candles, and a new view when
drawing it moved the time span (the heatmap was computed for the old one).

A snapshot opened from the demo kept the demo's span in its first request; drawing its first result
moved the view to the snapshot's last day, and no user range change followed, so the heatmap stayed
blank over the file's last hours until the replay slider moved. A file of open interest only drew an
empty 0–1 axis under "waiting for the liquidation model…", which never comes.
"""

from __future__ import annotations

from typing import Callable

from gui.services import WindowServices


class ViewFollowUps:
    def __init__(self, sv: WindowServices, request_view: Callable[[], None], card) -> None:
        self.services, self.request_view, self.card = sv, request_view, card
        sv.result_applied.connect(self._on_result)

    def _on_result(self, result) -> None:
        sv = self.services
        state = sv.state
        if not len(result.chart.candles) and state.source_spec is not None:
            spec = state.source_spec
            what = spec.path or (state.source.label if state.source is not None else spec.kind)
            sv.terminal.show_empty(f"No candles in {what}: nothing to chart or to build a liquidation map from."
                                   "\n\nFile → Open snapshot… (Ctrl+O) or File → Demo market (Ctrl+D)")
            self.card.label.setText("no data: no candles")
            return
        heat = result.request.heat_range_ms
        if result.liquidity is None or heat is None or sv.terminal.chart is None:
            return
        x0, x1 = sv.terminal.visible_x()
        if heat != (int(x0 * 1000), int(x1 * 1000)):
            self.request_view()


def install_view_followups(main_window) -> ViewFollowUps:
    sv = main_window.services
    return sv.kept("view_followups") or sv.keep("view_followups", ViewFollowUps(sv, main_window.request_view, main_window.card))
