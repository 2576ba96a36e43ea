"""What the window shows, as one Qt-free, evented model (napari's EventedModel in miniature).

The selections (symbol, timeframe, lookback, venues, shown panels), the replay instant, the targets,
the model parameters, the shown source's frames and clock. Views and features read it and subscribe
to ``changed``; they write it with ``state.x = v`` or ``state.update(x=v, y=w)`` (one event for all).
Nothing here knows Qt, so the rules (what a change means, which ones need a new view) are testable
headless; the window turns "state changed" into "debounce, then submit a view request".
"""

from __future__ import annotations

from typing import Any, Callable, Optional

Slot = Callable[..., Any]


class Signal:
    """A list of callbacks, called in connection order on ``emit`` (same thread; no queueing)."""

    def __init__(self) -> None:
        self._slots: list[Slot] = []

    def connect(self, slot: Slot) -> Slot:
        if slot not in self._slots:
            self._slots.append(slot)
        return slot

    def disconnect(self, slot: Slot) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):  # a slot may disconnect itself
            slot(*args)


# Field -> default. Frames and the source are compared by identity (a DataFrame has no truth value;
# a new object is new data); everything else by value.
FIELDS: dict[str, Any] = {
    "symbol": "",
    "timeframe_ms": 60_000,
    "lookback_s": 24 * 3600.0,
    "exchanges": (),
    "panels": (),  # the shown lower panels, by registry name
    "as_of_ms": None,  # replay: what was known at this instant; None = everything
    "targets": None,  # (up, down) prices dragged by the user; None = the largest nearby clusters
    "model": None,  # ModelParams
    "frames": None,  # the shown source's MarketFrames
    "source_clock_ms": None,  # the shown source's clock at its last update
    "source": None,  # the shown source's SourceInfo (kind, label, capabilities), None until it has data
    "source_spec": None,  # the recipe (SourceSpec) of the shown source
}
IDENTITY_FIELDS = frozenset({"frames", "source"})
# What the view worker's result depends on: a change of any of these asks for a new view.
VIEW_FIELDS = frozenset({"timeframe_ms", "exchanges", "panels", "as_of_ms", "targets", "model", "frames", "source_clock_ms"})


def _same(name: str, a: Any, b: Any) -> bool:
    if a is b or name in IDENTITY_FIELDS:
        return a is b
    return type(a) is type(b) and bool(a == b)


class SessionState:
    """The window's state. ``changed`` emits the frozenset of the names that changed, once per update."""

    symbol: str
    timeframe_ms: int
    lookback_s: float
    exchanges: tuple[str, ...]
    panels: tuple[str, ...]
    as_of_ms: Optional[int]
    targets: Optional[tuple[float, float]]
    model: Any
    frames: Any
    source_clock_ms: Optional[int]
    source: Any
    source_spec: Any

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "changed", Signal())
        for name, default in FIELDS.items():
            object.__setattr__(self, name, default)
        for name, value in values.items():
            self._check(name)
            object.__setattr__(self, name, value)

    @staticmethod
    def _check(name: str) -> None:
        if name not in FIELDS:
            raise AttributeError(f"SessionState has no field {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self.update(**{name: value})

    def update(self, **values: Any) -> frozenset[str]:
        """Set the given fields; emit ``changed`` once with the names whose value really changed."""
        names = []
        for name, value in values.items():
            self._check(name)
            if not _same(name, getattr(self, name), value):
                object.__setattr__(self, name, value)
                names.append(name)
        done = frozenset(names)
        if done:
            self.changed.emit(done)
        return done

    def on(self, names: frozenset[str] | set[str] | tuple[str, ...], slot: Callable[[], Any]) -> Slot:
        """Call ``slot()`` after any update that changed one of ``names``; returns the connection."""
        wanted = frozenset(names)
        for name in wanted:
            self._check(name)

        def relay(changed: frozenset[str]) -> None:
            if changed & wanted:
                slot()

        return self.changed.connect(relay)

    @property
    def source_kind(self) -> str:
        """"demo", "live" or "snapshot" of the shown source; "" before one has data."""
        return str(getattr(self.source, "kind", "") or "")

    @property
    def is_live_view(self) -> bool:
        """The data still grows (demo or live), unlike a snapshot."""
        return self.source is not None and self.source_kind != "snapshot"
