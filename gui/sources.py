"""Which source the window shows, made lazily inside the market worker's thread (ccxt is heavy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from market.source import MarketSource
from cascade_vocab.names import SourceKind
from cascade_vocab.units import DAY_MS

DEMO_LABEL = "Demo market — simulated data"


@dataclass(frozen=True)
class SourceSpec:
    """A recipe for a source: what to build and with which options. Cheap, made on the GUI thread."""

    kind: str  # "demo" | "live" | "snapshot"
    symbol: str = "BTC/USDT:USDT"
    seed: int = 7
    speed: float = 1.0
    history_days: float = 30.0
    path: str = ""
    fallback_note: str = ""  # why this is not what was asked for (e.g. live unavailable)
    poll_ms: int = 200  # how often the worker asks the source for new rows

    @property
    def keep_ms(self) -> Optional[int]:
        """How much history a running session keeps in memory: the window it opened with (older rows of a
        live session stay in its store). A snapshot is a fixed file and keeps all of it."""
        return None if self.kind == SourceKind.SNAPSHOT else int(self.history_days * DAY_MS)

    def factory(self) -> Callable[[], MarketSource]:
        spec = self

        def make() -> MarketSource:
            if spec.kind == SourceKind.SNAPSHOT:
                from market.store import open_snapshot

                return open_snapshot(spec.path)
            if spec.kind == SourceKind.LIVE:
                from market.live import LiveSource  # lazily: ccxt costs a second to import
                from market.store import Store, default_store_path

                # The local store: a restart does not download again, and liquidation events (which no
                # exchange serves as history) accumulate. The source closes it when it closes.
                try:
                    store = Store(default_store_path())
                except Exception:  # an unwritable data dir: live data still shows, only uncached
                    store = None
                return LiveSource(symbol=spec.symbol, history_days=spec.history_days, store=store, owns_store=True)
            from market.demo_cache import DemoHistoryCache
            from market.simulator import DemoSource

            # The month simulated at the first start is kept: later starts draw it at once.
            return DemoSource(seed=spec.seed, speed=spec.speed, symbol=spec.symbol, history_days=spec.history_days,
                              history_cache=DemoHistoryCache.default())

        return make


def live_available() -> bool:
    """True where the live package is part of this build (it imports ccxt only when used)."""
    try:
        from market.live import LiveSource  # noqa: F401
    except ImportError:
        return False
    return True


# A month of demo history, the same market as `report --demo` (DemoSource default): 14d/30d views show it all
# (simulating it takes a few seconds; the window shows progress meanwhile).
DEMO_HISTORY_DAYS = 30.0


def spec_from_args(args, history_days: float = DEMO_HISTORY_DAYS) -> SourceSpec:
    """--open FILE, --demo, --live, or the default (live when it exists, otherwise the demo, said clearly)."""
    common = dict(symbol=args.symbol, seed=args.seed, speed=args.speed, history_days=history_days)
    if getattr(args, "open", None):
        return SourceSpec("snapshot", path=args.open, **common)
    if args.demo:
        return SourceSpec("demo", **common)
    # --live and the default: live exchanges; offline, the window falls back to the demo and says so.
    if live_available():
        return SourceSpec("live", **common)
    return SourceSpec("demo", fallback_note="Live exchanges are not available in this build — showing the demo market", **common)
