"""The shown source's lifecycle: start a source in its worker, replace the shown one once the new one
has data, fall back to the demo when live is offline, say what is shown (banner, status, progress).

It writes what the source brings (frames, clock, info) into the session state; the window turns that
into view requests. A Session id comes from a per-controller counter, not a class-level global.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from typing import Optional

from PySide6 import QtCore, QtWidgets

from gui.analytics_bridge import ModelSettings
from gui.services import WindowServices
from gui.sources import DEMO_LABEL, SourceSpec
from gui.widgets.status_bar import StatusWidgets
from gui.workers import MarketWorker
from market.source import SourceInfo
from market.venues import labels_text
from cascade_vocab.names import FEED_DOWN, SourceKind
from cascade_vocab.utc import utc_hhmm

OFFLINE_NOTE = (
    f"Offline — no connection to {labels_text('or')}. Showing the demo market (simulated data); "
    "File → Open snapshot… reviews saved data, File → Live markets tries again."
)


class Session:
    """One source in its worker (a superqt generator worker). A new session replaces the shown one only once it has data."""

    def __init__(self, spec: SourceSpec, session_id: int) -> None:
        self.id = session_id
        self.spec = spec
        self.worker = MarketWorker(spec.factory(), spec.symbol, poll_ms=spec.poll_ms, keep_ms=spec.keep_ms)
        self.info: Optional[SourceInfo] = None
        self.model_settings: Optional[dict] = None  # a snapshot's saved model settings
        self.frames = None

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()


class SourceControl(QtCore.QObject):
    def __init__(self, services: WindowServices, status: StatusWidgets, banner: QtWidgets.QLabel, toolbar, card) -> None:
        super().__init__(services)
        self.services, self.state, self.status = services, services.state, status
        self.banner, self.toolbar, self.card = banner, toolbar, card
        self.session: Optional[Session] = None
        self.pending: Optional[Session] = None
        self._ids = itertools.count(1)
        self._last_update_wall = 0.0
        self._age_timer = QtCore.QTimer(self)
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self.refresh_source_label)
        self._age_timer.start()

    def open_spec(self, spec: SourceSpec) -> None:
        """Start ``spec`` in a new worker; the current data stays on screen until the new one has data."""
        if self.pending is not None:
            self.pending.stop()
        session = Session(spec, next(self._ids))
        self.pending = session
        w = session.worker
        # Bound methods of this QObject (not lambdas): Qt then queues the calls to the GUI thread.
        w.info_ready.connect(self._on_info)
        w.model_settings_ready.connect(self._on_model_settings)
        w.sentiment.connect(self._on_sentiment)
        w.progress.connect(self._on_progress)
        w.history_ready.connect(self._on_history)
        w.updated.connect(self._on_frames)
        w.feeds.connect(self._on_feeds)
        w.failed.connect(self._on_failed)
        self.status.progress.setValue(0)
        self.status.progress.show()
        if self.session is None:
            self.status.source_label.setText(f"Loading {spec.kind}…")
        session.start()

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
            self.status.sentiment_label.hide()
            return
        self.status.sentiment_label.setText(f"Fear & Greed {fg.value} ({fg.classification})")
        self.status.sentiment_label.show()

    def _on_progress(self, fraction: float, what: str) -> None:
        session = self._session_of(self.sender())
        if session is not None and session is self.pending:
            self.status.progress.setValue(int(fraction * 1000))
            self.status.progress.setFormat(f"{what} %p%")

    def _on_history(self, frames, clock_ms) -> None:
        session = self._session_of(self.sender())
        if session is None or session is not self.pending:
            return
        if session.info is not None and session.info.kind == SourceKind.LIVE and frames.is_empty():
            # No exchange answered (offline): say so and show the demo rather than an empty chart.
            self.pending = None
            session.stop()
            self.status.progress.hide()
            self.open_spec(replace(session.spec, kind="demo", fallback_note=OFFLINE_NOTE))
            return
        old, self.session, self.pending = self.session, session, None
        self.status.sentiment_label.hide()  # the new source says its own, if it has any
        if old is not None:
            old.stop()
        self.status.progress.hide()
        info = session.info
        terminal = self.services.terminal
        terminal.real_liquidations = bool(info and info.has_real_liquidations)
        terminal.liquidations_simulated = bool(info and (info.kind == SourceKind.DEMO or info.liquidations_simulated))
        symbols = info.symbols if info else (session.spec.symbol,)
        self.toolbar.set_symbols(tuple(symbols), frames.symbol)
        is_snapshot = info is not None and info.kind == SourceKind.SNAPSHOT
        replay = self.services.replay
        replay.setVisible(is_snapshot)
        model = self.state.model
        if is_snapshot and session.model_settings:
            # Review a snapshot with the model it was saved with, so the map matches what was seen then.
            model = ModelSettings.from_settings(session.model_settings)
        rng = frames.time_range()
        replay.setVisible(is_snapshot and rng is not None)  # a file without candles has no time to replay
        if is_snapshot and rng:
            replay.set_range(rng[0], rng[1])
        terminal.price.heatmap.reset_scale()  # another market: the absolute colour scale is fixed anew
        self._set_banner(session)
        session.frames = frames
        self._last_update_wall = time.time()
        self.state.update(source=info, source_spec=session.spec, symbol=frames.symbol, frames=frames, source_clock_ms=int(clock_ms),
                          as_of_ms=None, targets=None, model=model)

    def _set_banner(self, session: Session) -> None:
        info = session.info
        text = ""
        if info is not None and info.kind == SourceKind.SNAPSHOT:
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
        session.frames = frames
        self._last_update_wall = time.time()
        self.state.update(frames=frames, source_clock_ms=int(clock_ms))

    def _on_feeds(self, states, now_ms: int) -> None:
        session = self._session_of(self.sender())
        if session is not None and session is self.session:
            self.status.feed_status.set_states(states, now_ms)
            if session.info is not None and session.info.kind == SourceKind.LIVE:
                self._live_banner(states)

    def _live_banner(self, states) -> None:
        """While every live feed is down, explain it above the (last) data instead of leaving it stale."""
        down = [s for s in states if s.status in FEED_DOWN]
        if states and len(down) == len(states):
            last = max((s.last_update_ms for s in states if s.last_update_ms), default=None)
            retry = min((s.retry_in_s for s in down if s.retry_in_s), default=None)
            when = utc_hhmm(last) if last else "—"
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
            self.status.progress.hide()
            session.stop()
            what = session.spec.path or session.spec.kind
            self.services.show_error("Could not open", f"Could not open {what}:\n{message}")
            if self.session is None:
                self.status.source_label.setText("No data — open a snapshot (Ctrl+O) or the demo market (Ctrl+D)")
                self.services.terminal.show_empty(f"No data: could not open {what}.\n\nFile → Open snapshot… (Ctrl+O) or File → Demo market (Ctrl+D)")
                self.card.label.setText("no data")
        elif session is self.session:
            self.services.status(message, 8000)

    def refresh_source_label(self) -> None:
        session = self.session
        if session is None or session.info is None:
            return
        info = session.info
        age = time.time() - self._last_update_wall if self._last_update_wall else None
        label = info.label
        if info.kind == SourceKind.DEMO and DEMO_LABEL not in label:
            label = f"{DEMO_LABEL} ({label})"
        if info.kind != SourceKind.SNAPSHOT and age is not None:
            label += f" · updated {age:.0f} s ago"
        self.status.source_label.setText(label)

    def shutdown(self) -> None:
        for s in (self.pending, self.session):
            if s is not None:
                s.stop()
        self.pending = self.session = None
