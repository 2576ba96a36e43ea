"""The main window: lays out the widgets, holds the session state, and turns state changes into view
requests and view results into a redraw.

Small on purpose: the state is ``gui/session_state.py`` (Qt-free), what features may ask of the window
is ``gui/services.py``, the source lifecycle ``gui/source_control.py``, drawing the panels and items,
computing the workers. Features get the services, never this window.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from gui import settings as st
from gui import file_actions, tool_actions, window_state
from gui.alerts_feature import AlertsFeature
from gui.analytics_bridge import ModelSettings
from gui.menus import build_menus
from gui.replay import ReplayBar
from gui.services import WindowServices
from gui.session_state import VIEW_FIELDS, SessionState
from gui.source_control import OFFLINE_NOTE, Session, SourceControl
from gui.sources import SourceSpec
from gui.terminal import Terminal
from gui.theme import Theme, apply_qt_theme, theme_named
from gui.toolbar import Toolbar
from gui.widgets.imbalance import ImbalanceCard
from gui.widgets.readout import ReadoutLabel
from gui.widgets.status_bar import StatusWidgets
from gui.workers import ViewRequest, ViewResult, ViewWorker, WorkerThread
from market.series import EXCHANGES, MINUTE_MS

__all__ = ["MainWindow", "OFFLINE_NOTE", "REDRAW_MS", "Session"]

REDRAW_MS = 100  # at most 10 redraws per second, however fast the data comes
RANGE_PAUSE_MS = 300  # re-run the heatmap for the new visible span once panning/zooming pauses


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, spec: SourceSpec, settings: Optional[QtCore.QSettings] = None) -> None:
        super().__init__()
        self.settings = settings or st.make_settings()
        self.theme: Theme = theme_named(st.read_str(self.settings, "view/theme", "dark"))
        self.setWindowTitle("Cascade — liquidation map terminal")
        self.setAcceptDrops(True)
        saved = tuple(e for e in st.read_list(self.settings, "chart/exchanges", list(EXCHANGES)) if e in EXCHANGES)
        self.state = SessionState(symbol=spec.symbol, timeframe_ms=MINUTE_MS, exchanges=saved or EXCHANGES, model=ModelSettings())
        self._seq = 0

        self.terminal = Terminal(self.theme)
        self.toolbar = Toolbar(self)
        self.addToolBar(self.toolbar)
        self.banner = QtWidgets.QLabel("")
        self.banner.setObjectName("banner")
        self.banner.hide()
        self.readout = ReadoutLabel(self.theme)
        self.card = ImbalanceCard(self.theme)
        self.replay = ReplayBar()
        self.replay.hide()
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(3)
        for widget in (self.banner, self.card, self.readout):
            lay.addWidget(widget)
        lay.addWidget(self.terminal, 1)
        lay.addWidget(self.replay)
        self.setCentralWidget(central)

        self.services = WindowServices(self, self.state, self.settings, self.terminal, self.replay, self.open_spec, lambda: self.theme)
        self.actions_by_name = self.services.actions
        self.result_applied, self.error_shown = self.services.result_applied, self.services.error_shown
        self.status = StatusWidgets(self.statusBar(), self.theme)
        self.sources = SourceControl(self.services, self.status, self.banner, self.toolbar, self.card)

        self._latest_result: Optional[ViewResult] = None
        self._last_redraw = 0.0
        self._redraw_timer = self._single_shot(0, self._apply_latest)
        # State changes in one turn of the event loop (a new source sets frames, clock, targets, ...) cost one request.
        self._view_timer = self._single_shot(0, self.request_view)
        self._range_debounce = self._single_shot(RANGE_PAUSE_MS, self.request_view)
        self.view_worker = ViewWorker()
        self.view_thread = WorkerThread(self.view_worker, "analytics")
        self.view_worker.result.connect(self._on_result)
        self.view_thread.start()

        self.alerts = AlertsFeature(self.services)
        build_menus(self.services, set_theme=self.set_theme, set_time_zone=self.set_time_zone, quit=self.close,
                    alerts_action=self.alerts.dock.toggleViewAction())
        for name in ("measure", "heatmap", "model", "alerts"):
            self.toolbar.addAction(self.actions_by_name[name])
        self._connect_controls()
        window_state.restore(self.services, self, self.toolbar, self.alerts, self.set_time_zone)
        apply_qt_theme(QtWidgets.QApplication.instance(), self.theme)
        from gui.positions import install_positions_ui  # the trader's own positions (accounts, what-if)
        from gui.study import install_study_ui  # Tools → Signal study…
        from gui.symbol_search import install_symbol_search

        for install in (install_positions_ui, install_study_ui, install_symbol_search):
            install(self)
        self.open_spec(spec)

    def _single_shot(self, ms: int, slot) -> QtCore.QTimer:
        timer = QtCore.QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(slot)
        return timer

    # -- wiring: controls write the state; the state drives the controls and the view ------------
    def _connect_controls(self) -> None:
        tb, state = self.toolbar, self.state
        tb.set_exchanges(state.exchanges)
        tb.exchanges_changed.connect(lambda ex: state.update(exchanges=tuple(ex)))
        tb.timeframe_changed.connect(lambda ms: state.update(timeframe_ms=int(ms)))
        tb.lookback_changed.connect(lambda s: state.update(lookback_s=float(s)))
        tb.symbol_changed.connect(self.set_symbol)
        self.terminal.targets_moved.connect(lambda up, down: state.update(targets=(float(up), float(down))))
        self.terminal.hovered.connect(self.readout.set_readout)
        self.terminal.user_range_changed.connect(self._range_debounce.start)
        self.terminal.panels_changed.connect(lambda names: state.update(panels=tuple(names)))
        self.replay.as_of_changed.connect(lambda ms: state.update(as_of_ms=ms))
        state.on({"exchanges"}, lambda: tb.set_exchanges(state.exchanges))
        state.on({"timeframe_ms"}, lambda: tb.set_timeframe_ms(state.timeframe_ms))
        state.on({"lookback_s"}, self._show_lookback)
        state.on(VIEW_FIELDS, self._view_timer.start)
        state.update(panels=self.terminal.shown_panels())

    def _show_lookback(self) -> None:
        self.toolbar.set_lookback_s(self.state.lookback_s)
        self.terminal.show_lookback(self.state.lookback_s)

    # -- sources ---------------------------------------------------------------------------------
    @property
    def session(self) -> Optional[Session]:
        return self.sources.session

    def open_spec(self, spec: SourceSpec) -> None:
        self.sources.open_spec(spec)

    def open_snapshot_path(self, path: str) -> None:
        file_actions.open_snapshot(self.services, path)

    def set_symbol(self, symbol: str) -> None:
        if self.session is not None and symbol and symbol != self.session.spec.symbol:
            self.open_spec(replace(self.session.spec, symbol=symbol))

    def show_error(self, title: str, text: str) -> None:
        self.services.show_error(title, text)

    # -- the state -> a view request; the newest result -> a redraw --------------------------------
    def request_view(self) -> None:
        state = self.state
        if state.frames is None:
            return
        self._seq += 1
        self.view_worker.submit(ViewRequest(
            frames=state.frames, exchanges=state.exchanges, timeframe_ms=state.timeframe_ms, as_of_ms=state.as_of_ms,
            targets=state.targets, model=state.model, heat_range_ms=self._heat_range_ms(),
            session_id=self.session.id if self.session else 0, live=state.is_live_view, seq=self._seq,
            closed_until_ms=state.source_clock_ms, real_liquidations=self.terminal.real_liquidations,
            panels=state.panels,
        ))

    def _heat_range_ms(self) -> Optional[tuple[int, int]]:
        """The heatmap covers the visible time span (about one column per bar up to 480 columns)."""
        if self.terminal.chart is None:
            rng = self.state.frames.time_range() if self.state.frames is not None else None
            if rng is None:
                return None
            return int(rng[1] - self.terminal.lookback_s * 1000), int(rng[1])
        x0, x1 = self.terminal.visible_x()
        return int(x0 * 1000), int(x1 * 1000)

    def _on_result(self, result: ViewResult) -> None:
        """Keep only the newest result and redraw at most REDRAW_MS apart (bursts cost one redraw)."""
        self._latest_result = result
        if not self._redraw_timer.isActive():
            wait = max(0.0, REDRAW_MS - (time.monotonic() - self._last_redraw) * 1000.0)
            self._redraw_timer.start(int(wait))

    def _apply_latest(self) -> None:
        result, self._latest_result = self._latest_result, None
        if result is None:
            return
        self._last_redraw = time.monotonic()
        self.terminal.set_result(result)
        self.card.set_view(result.imbalance)
        self.status.show_analytics(result)
        self.result_applied.emit(result)

    # -- dialogs, settings, theme ------------------------------------------------------------------
    def ask_heatmap_style(self):
        return tool_actions.ask_heatmap_style(self.services)

    def ask_model_settings(self):
        return tool_actions.ask_model_settings(self.services)

    def save_settings(self) -> None:
        window_state.save(self.services, self, self.alerts)

    def set_theme(self, name: str) -> None:
        self.theme = theme_named(name)
        apply_qt_theme(QtWidgets.QApplication.instance(), self.theme)
        self.terminal.apply_theme(self.theme)
        for w in (self.readout, self.status.feed_status):
            w.theme = self.theme
        self.card.apply_theme(self.theme)
        self.actions_by_name["theme_light"].setChecked(self.theme.name == "light")

    def set_time_zone(self, zone: str) -> None:
        self.terminal.set_time_zone(zone)
        self.readout.zone = zone

    # -- drag and drop, close ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if any(u.toLocalFile().endswith(".cascade") for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        for u in event.mimeData().urls():
            if u.toLocalFile():
                self.open_snapshot_path(u.toLocalFile())
                event.acceptProposedAction()
                return

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.sources.shutdown()
        self.view_thread.shutdown()


# Read-only views of the state for older callers; every write goes through ``window.state``.
for _name in ("frames", "model", "exchanges", "timeframe_ms", "as_of_ms", "targets", "source_clock_ms"):
    setattr(MainWindow, _name, property(lambda self, n=_name: getattr(self.state, n)))
