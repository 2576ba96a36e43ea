"""The main window: wires toolbar, menus, terminal, replay bar and status bar to the two workers.

Small on purpose: drawing lives in panels/items, computing in workers, sources in sources.py.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from gui import settings as st
from gui import tool_actions, window_state
from gui import alert_rules
from gui.alert_rules import AlertState
from gui.analytics_bridge import ModelSettings
from gui.dialogs.alerts import AlertsDock, Notifier, rules_to_json
from gui.menus import build_menus
from gui.replay import ReplayBar
from gui.sources import DEMO_LABEL, SourceSpec
from gui.terminal import Terminal
from gui.theme import Theme, apply_qt_theme, theme_named
from gui.toolbar import Toolbar
from gui.widgets.feeds import FeedStatus
from gui.widgets.imbalance import ImbalanceCard
from gui.widgets.readout import ReadoutLabel
from gui.workers import MarketWorker, ViewRequest, ViewResult, ViewWorker, WorkerThread
from market.series import EXCHANGES, MINUTE_MS
from market.source import SourceInfo


OFFLINE_NOTE = (
    "Offline — no connection to Binance, OKX or Bybit. Showing the demo market (simulated data); "
    "File → Open snapshot… reviews saved data, File → Live markets tries again."
)

REDRAW_MS = 100  # at most 10 redraws per second, however fast the data comes


class Session:
    """One source in its worker thread. A new session replaces the shown one only once it has data."""

    _ids = 0

    def __init__(self, spec: SourceSpec) -> None:
        Session._ids += 1
        self.id = Session._ids
        self.spec = spec
        self.worker = MarketWorker(spec.factory(), spec.symbol, poll_ms=spec.poll_ms)
        self.thread = WorkerThread(self.worker, f"market-{spec.kind}")
        self.info: Optional[SourceInfo] = None
        self.model_settings: Optional[dict] = None  # a snapshot's saved model settings
        self.frames = None

    def start(self) -> None:
        self.thread.start(self.worker.start)

    def stop(self) -> None:
        self.worker.request_stop()
        self.thread.shutdown("stop")


class MainWindow(QtWidgets.QMainWindow):
    result_applied = QtCore.Signal(object)  # ViewResult, after the panels took it
    error_shown = QtCore.Signal(str)

    def __init__(self, spec: SourceSpec, settings: Optional[QtCore.QSettings] = None) -> None:
        super().__init__()
        self.settings = settings or st.make_settings()
        self.theme: Theme = theme_named(st.read_str(self.settings, "view/theme", "dark"))
        self.setWindowTitle("Cascade — liquidation map terminal")
        self.setAcceptDrops(True)
        self.model = ModelSettings()
        self.timeframe_ms = MINUTE_MS
        self.exchanges: tuple[str, ...] = tuple(e for e in st.read_list(self.settings, "chart/exchanges", list(EXCHANGES)) if e in EXCHANGES) or EXCHANGES
        self.targets: Optional[tuple[float, float]] = None
        self.as_of_ms: Optional[int] = None
        self.session: Optional[Session] = None
        self.pending: Optional[Session] = None
        self.frames = None
        self.source_clock_ms: Optional[int] = None
        self.last_error = ""
        self._seq = 0
        self._last_update_wall = 0.0

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
        lay.addWidget(self.banner)
        lay.addWidget(self.card)
        lay.addWidget(self.readout)
        lay.addWidget(self.terminal, 1)
        lay.addWidget(self.replay)
        self.setCentralWidget(central)

        self.source_label = QtWidgets.QLabel("starting…")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.feed_status = FeedStatus(self.theme)
        self.analytics_label = QtWidgets.QLabel("")
        self.sentiment_label = QtWidgets.QLabel("")  # Fear & Greed, live only; hidden when unavailable
        self.sentiment_label.hide()
        sb = self.statusBar()
        sb.addWidget(self.source_label)
        sb.addWidget(self.progress)
        sb.addWidget(self.feed_status, 1)
        sb.addPermanentWidget(self.sentiment_label)
        sb.addPermanentWidget(self.analytics_label)

        self._latest_result: Optional[ViewResult] = None
        self._last_redraw = 0.0
        self._redraw_timer = QtCore.QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self._apply_latest)
        self.view_worker = ViewWorker()
        self.view_thread = WorkerThread(self.view_worker, "analytics")
        self.view_worker.result.connect(self._on_result)
        self.view_thread.start()

        self.alerts_dock = AlertsDock(self)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.alerts_dock)
        self.alerts_dock.hide()
        self.notifier = Notifier(self)
        self.alert_state = AlertState()
        self._previous_map = None
        self.alerts_dock.rules_changed.connect(self._save_rules)
        self.actions_by_name = build_menus(self)
        for name in ("measure", "heatmap", "model", "alerts"):
            self.toolbar.addAction(self.actions_by_name[name])
        self._connect_controls()
        window_state.restore(self)
        apply_qt_theme(QtWidgets.QApplication.instance(), self.theme)
        self._age_timer = QtCore.QTimer(self)
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self._refresh_source_label)
        self._age_timer.start()
        from gui.positions import install_positions_ui  # the trader's own positions (accounts, what-if)

        install_positions_ui(self)
        from gui.study import install_study_ui  # Tools → Signal study…

        install_study_ui(self)
        from gui.symbol_search import install_symbol_search

        install_symbol_search(self)
        from gui.widgets.liq_feed import install_liquidation_feed  # View → Liquidation feed

        install_liquidation_feed(self)
        from gui.leverage_layers import install_leverage_layers  # View → Leverage layers

        install_leverage_layers(self)
        from gui.alert_outputs import install_alert_outputs  # alerts: sound and webhook

        install_alert_outputs(self)
        self.open_spec(spec)

    # -- wiring -----------------------------------------------------------------------------------
    def _connect_controls(self) -> None:
        tb = self.toolbar
        tb.set_exchanges(self.exchanges)
        tb.exchanges_changed.connect(self.set_exchanges)
        tb.timeframe_changed.connect(self.set_timeframe)
        tb.lookback_changed.connect(self.terminal.show_lookback)
        tb.symbol_changed.connect(self.set_symbol)
        self.terminal.targets_moved.connect(self.set_targets)
        self.terminal.hovered.connect(self.readout.set_readout)
        # Re-run the heatmap for the new visible span once panning/zooming pauses.
        self._range_debounce = QtCore.QTimer(self)
        self._range_debounce.setSingleShot(True)
        self._range_debounce.setInterval(300)
        self._range_debounce.timeout.connect(self.request_view)
        self.terminal.user_range_changed.connect(self._range_debounce.start)
        self.replay.as_of_changed.connect(self.set_as_of)

    # -- sources ---------------------------------------------------------------------------------
    def open_spec(self, spec: SourceSpec) -> None:
        """Start ``spec`` in a new worker; the current data stays on screen until the new one has data."""
        if self.pending is not None:
            self.pending.stop()
        session = Session(spec)
        self.pending = session
        w = session.worker
        # Bound methods of this window (not lambdas): Qt then queues the calls to the GUI thread.
        w.info_ready.connect(self._on_info)
        w.model_settings_ready.connect(self._on_model_settings)
        w.sentiment.connect(self._on_sentiment)
        w.progress.connect(self._on_progress)
        w.history_ready.connect(self._on_history)
        w.updated.connect(self._on_frames)
        w.feeds.connect(self._on_feeds)
        w.failed.connect(self._on_failed)
        self.progress.setValue(0)
        self.progress.show()
        if self.session is None:
            self.source_label.setText(f"Loading {spec.kind}…")
        session.start()

    def open_snapshot_path(self, path: str) -> None:
        base = self.session.spec if self.session else SourceSpec("demo")
        self.open_spec(replace(base, kind="snapshot", path=str(path), fallback_note=""))

    def _session_of(self, worker) -> Optional[Session]:
        for s in (self.pending, self.session):
            if s is not None and s.worker is worker:
                return s
        return None

    def _on_info(self, info: SourceInfo) -> None:
        session = self._session_of(self.sender())
        if session is not None:
            session.info = info

    def _on_model_settings(self, saved: dict) -> None:
        session = self._session_of(self.sender())
        if session is not None:
            session.model_settings = saved

    def _on_sentiment(self, fg) -> None:
        session = self._session_of(self.sender())
        if session is None or session is not self.session:
            return
        if fg is None:
            self.sentiment_label.hide()
            return
        self.sentiment_label.setText(f"Fear & Greed {fg.value} ({fg.classification})")
        self.sentiment_label.show()

    def _on_progress(self, fraction: float, what: str) -> None:
        session = self._session_of(self.sender())
        if session is not None and session is self.pending:
            self.progress.setValue(int(fraction * 1000))
            self.progress.setFormat(f"{what} %p%")

    def _on_history(self, frames, clock_ms) -> None:
        session = self._session_of(self.sender())
        if session is None or session is not self.pending:
            return
        if session.info is not None and session.info.kind == "live" and frames.is_empty():
            # No exchange answered (offline): say so and show the demo rather than an empty chart.
            self.pending = None
            session.stop()
            self.progress.hide()
            self.open_spec(replace(session.spec, kind="demo", fallback_note=OFFLINE_NOTE))
            return
        old, self.session, self.pending = self.session, session, None
        self.sentiment_label.hide()  # the new source says its own, if it has any
        if old is not None:
            old.stop()
        self.progress.hide()
        info = session.info
        self.terminal.real_liquidations = bool(info and info.has_real_liquidations)
        self.terminal.liquidations_simulated = bool(info and (info.kind == "demo" or info.liquidations_simulated))
        symbols = info.symbols if info else (session.spec.symbol,)
        self.toolbar.set_symbols(tuple(symbols), frames.symbol)
        self.as_of_ms = None
        self.targets = None
        self.terminal.price.heatmap.reset_scale()  # another market: the absolute colour scale is fixed anew
        is_snapshot = info is not None and info.kind == "snapshot"
        self.replay.setVisible(is_snapshot)
        if is_snapshot and session.model_settings:
            # Review a snapshot with the model it was saved with, so the map matches what was seen then.
            self.model = ModelSettings.from_settings(session.model_settings)
        rng = frames.time_range()
        self.replay.setVisible(is_snapshot and rng is not None)
        if is_snapshot and rng:
            self.replay.set_range(rng[0], rng[1])
        self._set_banner(session)
        session.frames = self.frames = frames
        self.source_clock_ms = int(clock_ms)
        self._last_update_wall = time.time()
        self.request_view()

    def _set_banner(self, session: Session) -> None:
        info = session.info
        text = ""
        if info is not None and info.kind == "snapshot":
            text = f"Showing a {info.label[0].lower()}{info.label[1:]}"
            if not text.lower().startswith("showing a snapshot of"):
                text = "Showing a snapshot: " + info.label
        elif session.spec.fallback_note:
            text = session.spec.fallback_note
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def _on_frames(self, frames, clock_ms) -> None:
        session = self._session_of(self.sender())
        if session is None or session is not self.session:
            return
        session.frames = self.frames = frames
        self.source_clock_ms = int(clock_ms)
        self._last_update_wall = time.time()
        self.request_view()

    def _on_feeds(self, states, now_ms: int) -> None:
        session = self._session_of(self.sender())
        if session is not None and session is self.session:
            self.feed_status.set_states(states, now_ms)
            if session.info is not None and session.info.kind == "live":
                self._live_banner(states)

    def _live_banner(self, states) -> None:
        """While every live feed is down, explain it above the (last) data instead of leaving it stale."""
        down = [s for s in states if s.status in ("offline", "failed", "retrying")]
        if states and len(down) == len(states):
            last = max((s.last_update_ms for s in states if s.last_update_ms), default=None)
            retry = min((s.retry_in_s for s in down if s.retry_in_s), default=None)
            when = time.strftime("%H:%M UTC", time.gmtime(last / 1000)) if last else "—"
            text = "No connection to the exchanges"
            if retry:
                text += f" — retrying in {retry:.0f} s"
            text += f"; showing last data from {when}"
            self.banner.setText(text)
            self.banner.show()
        elif not self.session.spec.fallback_note:
            self.banner.hide()

    def _on_failed(self, message: str) -> None:
        session = self._session_of(self.sender())
        if session is None:
            return
        if session is self.pending:
            self.pending = None
            self.progress.hide()
            session.stop()
            what = session.spec.path or session.spec.kind
            self.show_error("Could not open", f"Could not open {what}:\n{message}")
            if self.session is None:
                self.source_label.setText("No data — open a snapshot (Ctrl+O) or the demo market (Ctrl+D)")
                self.terminal.show_empty(f"No data: could not open {what}.\n\nFile → Open snapshot… (Ctrl+O) or File → Demo market (Ctrl+D)")
                self.card.label.setText("no data")
        elif session is self.session:
            self.statusBar().showMessage(message, 8000)

    def show_error(self, title: str, text: str) -> None:
        """A non-modal message box: never blocks the event loop (or a test)."""
        self.last_error = text
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, title, text, QtWidgets.QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # file names and messages from outside: never HTML
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        self.error_box = box
        self.error_shown.emit(text)

    def _refresh_source_label(self) -> None:
        session = self.session
        if session is None or session.info is None:
            return
        info = session.info
        age = time.time() - self._last_update_wall if self._last_update_wall else None
        label = info.label
        if info.kind == "demo" and DEMO_LABEL not in label:
            label = f"{DEMO_LABEL} ({label})"
        if info.kind != "snapshot" and age is not None:
            label += f" · updated {age:.0f} s ago"
        self.source_label.setText(label)

    # -- selections -> view requests ---------------------------------------------------------------
    def request_view(self) -> None:
        if self.frames is None:
            return
        self._seq += 1
        session = self.session
        live = session is not None and session.info is not None and session.info.kind != "snapshot"
        self.view_worker.submit(
            ViewRequest(
                self.frames,
                self.exchanges,
                self.timeframe_ms,
                self.as_of_ms,
                self.targets,
                self.model,
                self._heat_range_ms(),
                session.id if session else 0,
                live,
                self._seq,
                self.source_clock_ms,
                self.terminal.real_liquidations,
                tiers=getattr(self, "leverage_tiers", None),
            )
        )

    def _heat_range_ms(self) -> Optional[tuple[int, int]]:
        """The heatmap covers the visible time span (about one column per bar up to 480 columns)."""
        if self.terminal.chart is None:
            rng = self.frames.time_range() if self.frames is not None else None
            if rng is None:
                return None
            return int(rng[1] - self.terminal.lookback_s * 1000), int(rng[1])
        x0, x1 = self.terminal.visible_x()
        return int(x0 * 1000), int(x1 * 1000)

    def set_exchanges(self, exchanges: tuple[str, ...]) -> None:
        self.exchanges = tuple(exchanges)
        self.toolbar.set_exchanges(self.exchanges)
        self.request_view()

    def set_timeframe(self, ms: int) -> None:
        self.timeframe_ms = int(ms)
        self.toolbar.set_timeframe_ms(self.timeframe_ms)
        self.request_view()

    def set_symbol(self, symbol: str) -> None:
        if self.session is not None and symbol and symbol != self.session.spec.symbol:
            self.open_spec(replace(self.session.spec, symbol=symbol))

    def set_targets(self, up: float, down: float) -> None:
        self.targets = (float(up), float(down))
        self.request_view()

    def set_as_of(self, ms: Optional[int]) -> None:
        self.as_of_ms = ms
        self.request_view()

    def set_model(self, model: ModelSettings) -> None:
        self.model = model
        self.request_view()

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
        if not len(result.chart.candles) and self.session is not None and result.request.session_id == self.session.id:
            # Data without candles (a file of open interest only): say so, not an empty 0–1 axis under
            # "waiting for the liquidation model…", which never comes.
            what = self.session.spec.path or (self.session.info.label if self.session.info else self.session.spec.kind)
            self.terminal.show_empty(f"No candles in {what}: nothing to chart or to build a liquidation map from."
                                     "\n\nFile → Open snapshot… (Ctrl+O) or File → Demo market (Ctrl+D)")
            self.card.label.setText("no data: no candles")
        if result.liquidity is not None and result.request.heat_range_ms != self._heat_range_ms():
            # Drawing it moved the view (a new source's first data, a timeframe change): its heatmap
            # covers the old span, and no user range change follows to recompute it (a snapshot opened
            # from the demo stayed blank over its last hours until the slider moved).
            self.request_view()
        self._check_alerts(result)
        self.card.set_view(result.imbalance)
        when = time.strftime("%H:%M:%S", time.localtime(result.computed_at))
        text = f"analytics {when} in {result.elapsed_ms:.0f} ms"
        if result.liquidity is None:
            text = f"chart {when} in {result.elapsed_ms:.0f} ms · liquidation model not available"
        if result.error:
            text += f" · {result.error}"
        self.analytics_label.setText(text)
        self.result_applied.emit(result)

    # -- alerts, model, heatmap ----------------------------------------------------------------------
    def _check_alerts(self, result: ViewResult) -> None:
        if result.liquidity is None or not self.alerts_dock.rules:
            return
        m = result.liquidity.map
        for alert in alert_rules.evaluate(self.alerts_dock.rules, m, self._previous_map, self.alert_state):
            self.alerts_dock.add_alert(alert)
            self.notifier.notify("Cascade alert", alert.message)
            self.alert_outputs.deliver(alert, self.frames.symbol if self.frames is not None else "")
        self._previous_map = m

    def _save_rules(self, rules) -> None:
        self.settings.setValue("alerts/rules", rules_to_json(rules))
        self.alert_state = AlertState()

    def ask_heatmap_style(self):
        return tool_actions.ask_heatmap_style(self)

    def ask_model_settings(self):
        return tool_actions.ask_model_settings(self)

    def save_settings(self) -> None:
        window_state.save(self)

    # -- theme, view ------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        self.theme = theme_named(name)
        apply_qt_theme(QtWidgets.QApplication.instance(), self.theme)
        self.terminal.apply_theme(self.theme)
        for w in (self.readout, self.feed_status):
            w.theme = self.theme
        self.card.apply_theme(self.theme)
        self.actions_by_name["theme_light"].setChecked(self.theme.name == "light")

    def set_time_zone(self, zone: str) -> None:
        self.terminal.set_time_zone(zone)
        self.readout.zone = zone

    # -- drag and drop ----------------------------------------------------------------------------
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
        for s in (self.pending, self.session):
            if s is not None:
                s.stop()
        self.pending = self.session = None
        self.view_thread.shutdown()
