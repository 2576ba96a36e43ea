"""The session state: one change event per update, naming only what really changed; no Qt needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gui.session_state import VIEW_FIELDS, SessionState
from market.series import MarketFrames


def recorder(state: SessionState) -> list[frozenset[str]]:
    seen: list[frozenset[str]] = []
    state.changed.connect(seen.append)
    return seen


def test_an_update_emits_once_with_the_changed_names():
    s = SessionState(timeframe_ms=60_000, exchanges=("binance",))
    seen = recorder(s)
    assert s.update(timeframe_ms=300_000, exchanges=("binance",), targets=(101.0, 99.0)) == {"timeframe_ms", "targets"}
    assert seen == [frozenset({"timeframe_ms", "targets"})]
    assert s.timeframe_ms == 300_000 and s.targets == (101.0, 99.0)


def test_setting_a_field_is_an_update_and_an_equal_value_is_no_event():
    s = SessionState(as_of_ms=None)
    seen = recorder(s)
    s.as_of_ms = 1_000
    s.as_of_ms = 1_000
    s.exchanges = ()
    assert seen == [frozenset({"as_of_ms"})]


def test_frames_change_by_identity_not_by_value():
    """A DataFrame has no truth value (== would raise); a new frames object is new data even if equal."""
    a, b = MarketFrames.build(), MarketFrames.build()
    s = SessionState(frames=a)
    seen = recorder(s)
    s.frames = a
    s.frames = b
    assert seen == [frozenset({"frames"})]


def test_on_calls_only_for_the_names_it_watches_and_disconnects():
    s = SessionState()
    calls = []
    relay = s.on({"targets", "model"}, lambda: calls.append(s.targets))
    s.lookback_s = 3600.0
    s.targets = (2.0, 1.0)
    s.changed.disconnect(relay)
    s.targets = (3.0, 1.0)
    assert calls == [(2.0, 1.0)]


def test_unknown_fields_are_refused():
    s = SessionState()
    with pytest.raises(AttributeError):
        s.timeframe = 60_000  # a typo must not create a field nobody reads
    with pytest.raises(AttributeError):
        SessionState(simbol="BTC")
    with pytest.raises(AttributeError):
        s.on({"nope"}, lambda: None)


def test_what_needs_a_new_view_and_what_does_not():
    assert {"frames", "timeframe_ms", "exchanges", "as_of_ms", "targets", "model", "panels"} <= VIEW_FIELDS
    assert "lookback_s" not in VIEW_FIELDS  # the view range, not the data: the terminal re-fits itself
    s = SessionState()
    assert s.source_kind == "" and not s.is_live_view


def test_the_state_module_imports_no_qt():
    code = "import sys, gui.session_state; print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_slots_may_disconnect_while_being_called():
    s = SessionState()
    calls = []

    def once(names):
        calls.append(names)
        s.changed.disconnect(once)

    s.changed.connect(once)
    s.changed.connect(lambda names: calls.append("second"))
    s.as_of_ms = 5
    s.as_of_ms = 6
    assert calls == [frozenset({"as_of_ms"}), "second", "second"]
