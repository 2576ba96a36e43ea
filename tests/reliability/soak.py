"""Soak: the real window, offscreen, against the fake exchange under random faults, for a bounded time.

    python -m tests.reliability.soak [--seconds 600 | --hours 2] [--speed 150] [--seed 1]     (make soak)

What runs: MainWindow (the app's own window and workers) showing a LiveSource that caches into a real
SQLite store and talks real ccxt HTTP and WebSocket to the FakeExchange on 127.0.0.1. The fake runs in a
child process (soak_fake.py), so its own work does not count in this process's stalls, memory or handles.
The fake market is the demo simulator's; its clock runs ``--speed`` times faster than the wall clock
(default 150x: a 10-minute soak covers 25 simulated hours), and liquidations are pushed on the sockets as
simulated time passes. A chaos thread injects a random fault about every second, on every feed of every
venue: HTTP 429/418 with Retry-After, 5xx, garbage bodies, truncated JSON, stalls (some past the client's
timeout), venue outages, WebSocket drops mid-stream, duplicated and reordered pushes, and garbage frames.

What it measures: RSS, threads, sockets (to the fake exchange, and any others), open file descriptors and Qt objects/scene items at the start (after warm-up) and at the end; GUI stalls (lateness of
a 50 ms QTimer on the GUI thread, worst and p99); reconnects (WebSocket subscriptions after the first) and
feed retries; candle gaps the engine detected and refilled; and, after the faults stop and the feeds catch
up, rows stored vs rows served per series: nothing lost, nothing duplicated, values exact. Liquidations
are compared with what the fake actually sent on a socket (exchanges never re-send them).

The memory timeline samples RSS every ``--sample-s`` seconds (30 s on long runs) together with the bytes
the session's data really occupies (the frames' own sizes, soak_memory.py); after warm-up the slope of
RSS minus data held is what the session leaks. ``--trace-malloc`` adds tracemalloc and object-count diffs
between the end of warm-up and the end of the soak (slow: for short runs that look for a leak).

Prints a table and writes .bench/soak.json. Exit 1 when rows were lost or duplicated, else 0.
"""

from __future__ import annotations

import argparse
import array
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CASCADE_TEST", "1")  # private settings, never the user's

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from market.series import MINUTE_MS, per_exchange  # noqa: E402

DAY_MS = 1440 * MINUTE_MS
OI_STEP_MS = 5 * MINUTE_MS
VENUES = ("binance", "okx", "bybit")
SYMBOL = "BTC/USDT:USDT"
PROBE_MS = 50
SAMPLE_EVERY_S = 5.0
# Substrings of the REST paths each venue's feeds use (tests/fake_exchange/*.py).
ROUTES = {
    "binance": ("/fapi/v1/klines", "openInterestHist", "globalLongShortAccountRatio", "/fapi/v1/fundingRate",
                "/fapi/v1/premiumIndex", "/fapi/v1/openInterest"),
    "okx": ("history-candles", "open-interest-history", "long-short-account-ratio", "funding-rate-history",
            "/public/funding-rate", "/public/open-interest"),
    "bybit": ("/v5/market/kline", "/v5/market/open-interest", "account-ratio", "funding/history", "/v5/market/tickers"),
}
# fault kind -> weight
FAULT_WEIGHTS = {"429": 3, "418": 1, "5xx": 3, "garbage": 2, "truncate": 2, "stall": 2, "outage": 1,
                 "ws_drop": 2, "ws_duplicate": 1, "ws_reorder": 1, "ws_garbage": 2}


@dataclass(frozen=True)
class SoakConfig:
    seconds: float = 600.0
    speed: float = 150.0  # simulated seconds per wall second
    seed: int = 1
    history_days: float = 0.5
    poll_s: float = 0.4  # live poll cycle (wall): ~1 simulated minute at 150x, so a late cycle is a real gap
    fault_every_s: float = 1.0
    timeout_s: float = 2.0
    recovery_s: float = 600.0  # after the faults stop: the most the feeds get to catch up (a bound, not a wait)
    ws_garbage: bool = True
    out: Path = ROOT / ".bench" / "soak.json"
    sample_s: float = 0.0  # 0: 5 s up to 10 minutes, 30 s beyond
    trace_malloc: bool = False
    census_s: float = 0.0  # live objects by type every this many seconds (0: 600 s on runs past 30 minutes, else never)
    faults: Optional[tuple[str, ...]] = None  # fault kinds the chaos draws from (None: all; empty: no faults)

    @property
    def census_every_s(self) -> float:
        return self.census_s if self.census_s > 0 else (600.0 if self.seconds > 1800 else 0.0)

    @property
    def sample_every_s(self) -> float:
        return self.sample_s if self.sample_s > 0 else (SAMPLE_EVERY_S if self.seconds <= 600 else 30.0)

    @property
    def warmup_s(self) -> float:
        # The window's first model fits and the caches of ccxt and pandas settle within minutes; a long soak
        # gets 10 minutes before its slope counts.
        return min(600.0, max(10.0, self.seconds * 0.1))


# ------------------------------------------------------------------------------------------ handles

def _proc_status(key: str) -> Optional[int]:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _socket_inodes() -> list[int]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            out.append(int(m.group(1)))
    return out


def _tcp_ports_by_inode() -> dict[int, tuple[int, int]]:
    """inode -> (local port, remote port) for this network namespace's TCP sockets."""
    out: dict[int, tuple[int, int]] = {}
    for name in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10:
                continue
            local, remote, inode = parts[1], parts[2], int(parts[9])
            out[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16))
    return out


def sample_handles(window, fake_port: int, source=None) -> dict:
    """One sample of what must stay flat: memory (beyond the data held), threads, descriptors, sockets, Qt objects."""
    from PySide6 import QtWidgets

    from tests.reliability.soak_memory import data_held_bytes, malloc_stats, qt_object_count, session_roots, sqlite_memory_mb

    inodes = _socket_inodes()
    ports = _tcp_ports_by_inode()
    server = sum(1 for i in inodes if i in ports and ports[i][0] == fake_port)
    app_side = sum(1 for i in inodes if i in ports and ports[i][1] == fake_port)
    views = window.findChildren(QtWidgets.QGraphicsView)
    rss = (_proc_status("VmRSS") or 0) / 1024.0
    held = data_held_bytes(session_roots(window, source)) / 2**20
    return {
        "t": time.monotonic(),
        "rss_mb": rss,
        "data_held_mb": held,
        "rss_minus_data_mb": rss - held,
        "threads_python": threading.active_count(),
        "threads_os": len(os.listdir("/proc/self/task")),
        "fds": len(os.listdir("/proc/self/fd")),
        "sockets_app": app_side,
        "sockets_fake_server": server,
        "sockets_other": len(inodes) - app_side - server,
        "qt_objects": qt_object_count(window),
        "qt_scene_items": sum(len(v.scene().items()) for v in views if v.scene() is not None),
        "qt_widgets": len(QtWidgets.QApplication.allWidgets()),
        **malloc_stats(),
        **sqlite_memory_mb(),
    }


# ------------------------------------------------------------------------------------------ the fake, in its own process

class RemoteFake:
    """The fake exchange in a child process (soak_fake.py), with the FakeExchange methods the soak uses.

    The soak owns the venue clock (``now_ms``) and tells the child; the market data is regenerated here
    from the same seed (the simulator is deterministic) to know what was served."""

    def __init__(self, seed: int, start_ms: int, end_ms: int, now_ms: int) -> None:
        import subprocess

        from tests.fake_exchange.data import generate

        self._now = now_ms
        self._lock = threading.Lock()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self._proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.soak_fake", "--seed", str(seed),
                                       "--start-ms", str(start_ms), "--end-ms", str(end_ms), "--now-ms", str(now_ms)],
                                      cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.data = generate(start_ms, end_ms, seed=seed)
        line = self._proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "port":
            raise RuntimeError("the fake exchange process did not start")
        self.port = int(line[1])
        self._state: dict = {}

    # -- http
    def _call(self, method: str, path: str, body: Optional[bytes] = None, timeout: float = 30.0) -> dict:
        import urllib.request

        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    # -- what the soak and LiveSource need
    @property
    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int, push: bool = True) -> None:
        with self._lock:
            self._now += int(ms)
            now = self._now
        self._call("POST", f"/soak/clock?now_ms={now}")

    def url_overrides(self) -> dict:
        http, ws = f"http://127.0.0.1:{self.port}", f"ws://127.0.0.1:{self.port}"
        return {"binance": {"rest": http, "ws": f"{ws}/binance/ws"}, "okx": {"rest": http, "ws": f"{ws}/okx/ws/v5"},
                "bybit": {"rest": http, "ws": f"{ws}/bybit/v5/public/linear"}, "fear_greed": {"rest": f"{http}/fng/"}}

    def inject(self, **fault) -> dict:
        self._call("POST", "/soak/fault", json.dumps(fault).encode())
        return fault

    def fail(self, exchange, path_contains="", status=503, retry_after_s=None, times=1):
        return self.inject(exchange=exchange, kind="http", path_contains=path_contains, status=status,
                           retry_after_s=retry_after_s, times=times)

    def delay(self, exchange, seconds, path_contains="", times=1):
        return self.inject(exchange=exchange, kind="delay", path_contains=path_contains, delay_s=seconds, times=times)

    def garbage(self, exchange, path_contains="", times=1):
        return self.inject(exchange=exchange, kind="garbage", path_contains=path_contains, times=times)

    def truncate(self, exchange, path_contains="", times=1):
        return self.inject(exchange=exchange, kind="truncate", path_contains=path_contains, times=times)

    def drop_ws(self, exchange, after_messages=1, times=1):
        return self.inject(exchange=exchange, kind="ws_drop", after_messages=after_messages, times=times)

    def duplicate_ws(self, exchange, times=1):
        return self.inject(exchange=exchange, kind="ws_duplicate", times=times)

    def reorder_ws(self, exchange, times=1):
        return self.inject(exchange=exchange, kind="ws_reorder", times=times)

    def ws_text(self, venue: str, text: str) -> None:
        self._call("POST", f"/soak/ws_text?venue={venue}", text.encode())

    def clear_faults(self) -> None:
        self._call("POST", "/soak/clear")

    def refresh(self) -> dict:
        self._state = self._call("GET", "/soak/state")
        return self._state

    def subscriptions(self, venue: str) -> int:
        return int(self.refresh()["subscriptions"][venue])

    def requests_served(self) -> dict:
        return dict(self.refresh()["requests"])

    def fault_hits(self) -> int:
        return int(self.refresh()["fault_hits"])

    def pushed(self, venue: str) -> pd.DataFrame:
        rows = self._state.get("pushed", {}).get(venue) or self.refresh()["pushed"][venue]
        return pd.DataFrame(rows, columns=["ts", "side", "price", "qty_base"])

    def stop(self) -> None:
        try:
            self._proc.stdin.close()
            self._proc.wait(15)
        except Exception:
            self._proc.kill()


# ------------------------------------------------------------------------------------------ market clock and chaos

class MarketClock:
    """Advances the fake exchange's clock ``speed`` times faster than the wall, pushing liquidations."""

    def __init__(self, fake, speed: float, tick_s: float = 0.25) -> None:
        self.fake, self.speed, self.tick_s = fake, speed, tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-clock", daemon=True)
        self.errors = 0
        self.simulated_ms = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        last = time.monotonic()
        carry = 0.0
        while not self._stop.wait(self.tick_s):
            now = time.monotonic()
            carry += (now - last) * self.speed * 1000.0
            last = now
            step = int(carry)
            carry -= step
            try:
                self.fake.advance(step, push=True)
                self.simulated_ms += step
            except Exception:  # a push to a socket closing under a drop: the next tick goes on
                self.errors += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


class Chaos:
    """Injects one random fault every ``every_s`` seconds (wall) on a random venue and feed."""

    def __init__(self, fake, rng: random.Random, every_s: float, timeout_s: float, ws_garbage: bool,
                 kinds: Optional[tuple[str, ...]] = None) -> None:
        self.fake, self.rng, self.every_s, self.timeout_s = fake, rng, every_s, timeout_s
        weights = dict(FAULT_WEIGHTS)
        if kinds is not None:
            weights = {k: w for k, w in weights.items() if k in kinds}
        if not ws_garbage:
            weights.pop("ws_garbage", None)
        self.kinds, self.weights = list(weights), list(weights.values())
        self.injected: dict[str, int] = {k: 0 for k in self.kinds}
        self.last_fault: Optional[dict] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-chaos", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        if not self.kinds:  # a soak with the faults off, to tell fault churn from poll churn
            return
        while not self._stop.wait(self.every_s * self.rng.uniform(0.5, 1.5)):
            try:
                self.inject_one()
            except Exception:  # a socket closing under us during a ws_garbage push: skip that one
                pass

    def inject_one(self) -> None:
        fx, rng = self.fake, self.rng
        kind = rng.choices(self.kinds, self.weights)[0]
        venue = rng.choice(VENUES)
        route = rng.choice(ROUTES[venue])
        times = rng.choice((1, 1, 2, 3))
        if kind == "429":
            f = fx.fail(venue, route, 429, retry_after_s=rng.choice((1, 2)), times=times)
        elif kind == "418":
            f = fx.fail(venue, route, 418, retry_after_s=1, times=1)
        elif kind == "5xx":
            f = fx.fail(venue, route, rng.choice((500, 502, 503, 504)), times=times)
        elif kind == "garbage":
            f = fx.garbage(venue, route, times=times)
        elif kind == "truncate":
            f = fx.truncate(venue, route, times=times)
        elif kind == "stall":  # some answer late, some past the client's timeout
            f = fx.delay(venue, rng.uniform(0.2, self.timeout_s * 1.5), route, times=1)
        elif kind == "outage":  # the whole venue answers 503 for a while
            f = fx.fail(venue, "", 503, times=rng.randint(6, 20))
        elif kind == "ws_drop":
            f = fx.drop_ws(venue, after_messages=rng.randint(0, 3))
        elif kind == "ws_duplicate":
            f = fx.duplicate_ws(venue)
        elif kind == "ws_reorder":
            f = fx.reorder_ws(venue)
        else:
            f = None
            self._push_garbage(venue)
        if f is not None:
            self.last_fault = f
        self.injected[kind] += 1

    def _push_garbage(self, venue: str) -> None:
        """Frames a real socket can carry on a bad day: not JSON, cut JSON, JSON of another shape."""
        frames = ("<html>502 Bad Gateway</html>", '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SE', "[]", "null",
                  '{"unexpected": true}')
        self.fake.ws_text(venue, self.rng.choice(frames))

    def hits(self) -> int:
        return self.fake.fault_hits()


# ------------------------------------------------------------------------------------------ stored vs served

def _keyset(df: pd.DataFrame, cols: tuple[str, ...]) -> set:
    # Floats rounded to 1e-8: OKX sizes arrive in contracts and are multiplied by 0.01, one ulp off the
    # decimal the fake started from (0.29 -> 0.29000000000000004). Same event, same key.
    return set(zip(*(np.round(df[c].to_numpy(), 8).tolist() if df[c].dtype.kind == "f" else df[c].tolist()
                     for c in cols))) if len(df) else set()


def compare_store(store, fake, start_ms: int) -> dict:
    """Per series: rows the fake serves in [start_ms, now] vs rows in the store; missing, extra, wrong values."""
    now = fake.now_ms
    stored_all = store.read(SYMBOL)
    data = fake.data
    fake.refresh()
    out: dict = {}
    for series in ("candles", "open_interest", "long_short", "funding"):
        res = {"served": 0, "stored": 0, "missing": 0, "extra": 0, "wrong_values": 0, "current_rows": 0, "missing_by_exchange": {}}
        for ex in VENUES:
            want = per_exchange(data.series(series), ex)
            want = want[(want["ts"] >= start_ms) & (want["ts"] <= now)]
            got = per_exchange(stored_all.series(series), ex)
            got = got[got["ts"] >= start_ms]
            if series == "candles":
                want = want[want["ts"] + MINUTE_MS <= now]
            if series in ("open_interest", "long_short"):
                want = want[want["ts"] % OI_STEP_MS == 0]
                current = got[got["ts"] % OI_STEP_MS != 0]  # "current OI" snapshots between history points
                got = got[got["ts"] % OI_STEP_MS == 0]
                res["current_rows"] += len(current)
            if series == "funding":
                res["current_rows"] += int((got["ts"] > now).sum())  # the announced next funding
                got = got[got["ts"] <= now]
            wk, gk = _keyset(want, ("ts",)), _keyset(got, ("ts",))
            res["served"] += len(wk)
            res["stored"] += len(got)
            res["missing"] += len(wk - gk)
            if wk - gk:
                res["missing_by_exchange"][ex] = len(wk - gk)
                res.setdefault("first_missing_ts", {})[ex] = int(min(wk - gk)[0])
            res["extra"] += len(gk - wk) + int(got.duplicated(["ts"]).sum())
            value = {"candles": "close", "open_interest": "oi_base", "long_short": "ratio", "funding": "rate"}[series]
            both = want.merge(got, on="ts", suffixes=("_w", "_g"))
            res["wrong_values"] += int((~np.isclose(both[f"{value}_w"].to_numpy(float), both[f"{value}_g"].to_numpy(float),
                                                    rtol=1e-9, equal_nan=True)).sum())
        out[series] = res
    res = {"served": 0, "stored": 0, "missing": 0, "extra": 0, "wrong_values": 0, "current_rows": 0, "sent_duplicates": 0,
           "missing_by_exchange": {}}
    key = ("ts", "side", "price", "qty_base")
    for ex in VENUES:
        sent = fake.pushed(ex)
        sk = _keyset(sent, key)
        got = per_exchange(stored_all.liquidations, ex)
        gk = _keyset(got, key)
        res["served"] += len(sk)
        res["sent_duplicates"] += len(sent) - len(sk)
        res["stored"] += len(got)
        res["missing"] += len(sk - gk)
        if sk - gk:
            res["missing_by_exchange"][ex] = len(sk - gk)
        res["extra"] += len(gk - sk) + (len(got) - len(gk))
    out["liquidations"] = res
    return out


def behind(store, fake) -> dict:
    """Feeds whose newest stored row is older than the newest row the fake serves: ``venue:series`` -> ms behind.

    Holes are refilled by paging forward from the newest stored row, so once no feed is behind, whatever is
    still missing is a real hole and waiting longer would not change the count."""
    now = fake.now_ms
    stored_all = store.read(SYMBOL)
    out = {}
    for series in ("candles", "open_interest", "long_short", "funding"):
        rows = fake.data.series(series)
        for ex in VENUES:
            want = per_exchange(rows, ex)["ts"]
            got = per_exchange(stored_all.series(series), ex)["ts"]
            want = want[want <= now]
            if series in ("open_interest", "long_short"):  # 'current OI' rows off the grid are newer than history
                want, got = want[want % OI_STEP_MS == 0], got[got % OI_STEP_MS == 0]
            if series == "candles":
                want = want[want + MINUTE_MS <= now]
            if len(want) == 0:
                continue
            last = int(got.max()) if len(got) else None
            if last is None or last < int(want.max()):
                out[f"{ex}:{series}"] = int(want.max()) - (last if last is not None else int(want.min()))
    return out


def _lost(cmp: dict) -> int:
    return sum(r["missing"] + r["extra"] + r["wrong_values"] for r in cmp.values())


class DrawTimer:
    """Wraps the terminal's set_result (called on the GUI thread per redraw) to time each redraw."""

    def __init__(self, terminal) -> None:
        self.ms = array.array("f")
        inner = terminal.set_result

        def timed(result, *a, **kw):
            t = time.perf_counter()
            try:
                return inner(result, *a, **kw)
            finally:
                self.ms.append((time.perf_counter() - t) * 1000.0)

        terminal.set_result = timed


# ------------------------------------------------------------------------------------------ the run

class StallProbe:
    """A 50 ms QTimer on the GUI thread: how late each tick fires is how long the GUI could not respond."""

    def __init__(self) -> None:
        from PySide6 import QtCore

        self.late_ms = array.array("f")  # compact: 20 ticks a second for hours must not be the leak we measure
        self.active = False
        self._last = time.perf_counter()
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.active:
            self.late_ms.append(max(0.0, (now - self._last) * 1000.0 - PROBE_MS))
        self._last = now


def run(cfg: SoakConfig, log: Callable[[str], None] = print) -> dict:
    from PySide6 import QtCore

    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.sources import SourceSpec
    from market.live import LiveSource, RetryPolicy
    from market.store import Store
    rng = random.Random(cfg.seed)
    work = Path(tempfile.mkdtemp(prefix="cascade-soak-"))
    os.environ["CASCADE_SETTINGS_DIR"] = str(work)
    # past the end: the venues announce the next funding (8-hourly), so the data must reach beyond it
    sim_span_ms = int(cfg.seconds * cfg.speed * 1000 * 1.3) + 10 * 3_600_000
    now0 = int(time.time() * 1000) // OI_STEP_MS * OI_STEP_MS
    t_gen = time.perf_counter()
    fake = RemoteFake(cfg.seed, now0 - int((cfg.history_days + 0.1) * DAY_MS), now0 + sim_span_ms, now0)
    log(f"market: {sum(fake.data.row_counts().values()):,} rows simulated; fake exchange process on port {fake.port} "
        f"({time.perf_counter() - t_gen:.1f} s)")
    store = Store(work / "cascade-store.sqlite")
    made: dict = {}

    def make_source():
        src = LiveSource(SYMBOL, VENUES, store=store, history_days=cfg.history_days, urls_override=fake.url_overrides(),
                         clock=lambda: fake.now_ms, timeout_s=cfg.timeout_s,
                         retry=RetryPolicy(base_s=0.25, factor=2.0, max_s=4.0, attempts=4), rng=random.Random(cfg.seed),
                         poll_interval_s=cfg.poll_s, rate_limit_ms=5)
        made["source"] = src
        return src

    @dataclass(frozen=True)
    class SoakSpec(SourceSpec):
        make: Optional[Callable] = field(default=None, compare=False)

        def factory(self):
            return self.make

    app = make_app()
    settings = QtCore.QSettings(str(work / "cascade.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(SoakSpec("live", symbol=SYMBOL, history_days=cfg.history_days, make=make_source), settings=settings)
    window.resize(1440, 900)
    window.show()
    probe = StallProbe()
    draws = DrawTimer(window.terminal)
    redraws = [0]
    window.result_applied.connect(lambda _r: redraws.__setitem__(0, redraws[0] + 1))

    # Phase 1: backfill (no faults, no clock): the window gets its history.
    t0 = time.monotonic()
    while window.frames is None and time.monotonic() - t0 < 120:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    if window.frames is None:
        raise RuntimeError(f"the window never showed data (last error: {window.services.last_error!r})")
    backfill_s = time.monotonic() - t0
    log(f"backfill: {backfill_s:.1f} s; soak {cfg.seconds:.0f} s at {cfg.speed:g}x "
        f"({cfg.seconds * cfg.speed / 3600:.1f} simulated hours), a fault every ~{cfg.fault_every_s:g} s")
    start_ms = now0 - int(cfg.history_days * DAY_MS) + 10 * MINUTE_MS  # clear of the backfill's first window

    clock = MarketClock(fake, cfg.speed)
    chaos = Chaos(fake, rng, cfg.fault_every_s, cfg.timeout_s, cfg.ws_garbage, cfg.faults)
    clock.start()
    chaos.start()
    probe.active = True
    del draws.ms[:]
    samples: list[dict] = []
    warmup_s = cfg.warmup_s
    tracer = None
    if cfg.trace_malloc:
        from tests.reliability.soak_memory import Tracer

        tracer = Tracer()
        tracer.start()
    marked = False
    census: list[dict] = []
    t_start = time.monotonic()
    next_sample = t_start
    next_census = t_start + warmup_s if cfg.census_every_s else float("inf")
    next_note = t_start + 60
    while time.monotonic() - t_start < cfg.seconds:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        now = time.monotonic()
        if now >= next_sample:
            s = sample_handles(window, fake.port, made.get("source"))
            s["phase"] = "warmup" if now - t_start < warmup_s else "soak"
            s["wall_s"] = now - t_start
            s["simulated_h"] = clock.simulated_ms / 3_600_000
            samples.append(s)
            next_sample = now + cfg.sample_every_s
            if tracer is not None and not marked and s["phase"] == "soak":
                tracer.mark()
                marked = True
        if now >= next_census:
            from tests.reliability.soak_memory import type_counts

            census.append({"wall_s": round(now - t_start, 1), "types": type_counts(25)})
            next_census = now + cfg.census_every_s
        if now >= next_note:
            last = samples[-1]
            log(f"  {now - t_start:4.0f} s: rss {last['rss_mb']:.0f} MB, data held {last['data_held_mb']:.1f} MB, "
                f"threads {last['threads_os']}, sockets {last['sockets_app']}, Qt objects {last['qt_objects']}, "
                f"faults {sum(chaos.injected.values())}, redraws {redraws[0]}, "
                f"simulated {clock.simulated_ms / 3_600_000:.1f} h")
            next_note = now + (60 if cfg.seconds <= 1800 else 300)
    trace = tracer.diff() if tracer is not None and marked else None
    probe.active = False
    draw_ms = list(draws.ms)
    chaos.stop()
    fake.clear_faults()
    clock.stop()
    simulated_ms = clock.simulated_ms

    # Phase 3: recovery. The market clock is frozen; the feeds catch up; then stored vs served.
    t_rec = time.monotonic()
    # Wait while rows are missing and some feed is still behind the fake's now (a slow machine is not data
    # loss); stop as soon as every feed has caught up, since a hole left then is real. 'Behind' is read
    # before the rows are compared: the other order races a poll that lands in between (rows counted
    # missing, then the feed found caught up), which reported a late feed's last rows as lost.
    late = behind(store, fake)
    cmp = compare_store(store, fake, start_ms)
    while (_lost({k: v for k, v in cmp.items() if k != "liquidations"}) and late
           and time.monotonic() - t_rec < cfg.recovery_s):
        end_wait = time.monotonic() + 2.0
        while time.monotonic() < end_wait:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        late = behind(store, fake)
        cmp = compare_store(store, fake, start_ms)
    recovery_s = time.monotonic() - t_rec
    end_wait = time.monotonic() + 3.0
    while time.monotonic() < end_wait:  # the window takes the last updates
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    final = sample_handles(window, fake.port, made.get("source"))
    final["phase"] = "end"
    final["wall_s"] = time.monotonic() - t_start
    final["simulated_h"] = simulated_ms / 3_600_000
    samples.append(final)

    # How much of RSS is heap glibc keeps free (fragmentation) rather than memory in use: give it back once.
    from tests.reliability.soak_memory import trim_heap

    final.update(trim_heap())
    src = made["source"]
    gap_count, gap_candles = src.gap_totals()
    feed_log = src.feed_log()
    states = {s.feed: f"{s.status}{': ' + s.detail if s.detail else ''}" for s in src.feed_states()}
    subscriptions = {v: fake.subscriptions(v) for v in VENUES}
    result = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()},
        "wall_s": round(cfg.seconds, 1),
        "simulated_hours": round(simulated_ms / 3_600_000, 2),
        "backfill_s": round(backfill_s, 1),
        "recovery_s": round(recovery_s, 1),
        "feeds_behind_at_compare_ms": late,  # non-empty: the bound ran out before these caught up
        "faults_injected": dict(chaos.injected),
        "faults_injected_total": sum(chaos.injected.values()),
        "fault_hits": chaos.hits(),
        "requests_served": fake.requests_served(),
        "reconnects_ws": {v: max(0, n - 1) for v, n in subscriptions.items()},
        "feed_retries": sum(1 for s in feed_log if s.status in ("retrying", "offline")),
        "feed_states_end": states,
        "gaps_detected_refilled": gap_count,
        "gap_candles_refilled": gap_candles,
        "rows": cmp,
        "rows_served_total": sum(r["served"] for r in cmp.values()),
        "rows_stored_total": sum(r["served"] - r["missing"] for r in cmp.values()),
        "rows_lost_or_duplicated": _lost(cmp),
        "gui_stall_worst_ms": round(max(probe.late_ms, default=0.0), 1),
        "gui_stall_p99_ms": round(float(np.percentile(probe.late_ms, 99)) if probe.late_ms else 0.0, 1),
        "gui_stall_p50_ms": round(float(np.percentile(probe.late_ms, 50)) if probe.late_ms else 0.0, 1),
        "gui_probe_ticks": len(probe.late_ms),
        "redraws": redraws[0],
        "redraw_ms_p50": round(float(np.percentile(draw_ms, 50)), 1) if draw_ms else None,
        "redraw_ms_p99": round(float(np.percentile(draw_ms, 99)), 1) if draw_ms else None,
        "redraw_ms_worst": round(max(draw_ms), 1) if draw_ms else None,
        "clock_push_errors": clock.errors,
    }
    soak = [s for s in samples if s["phase"] != "warmup"]
    first, last = soak[0], samples[-1]
    for key in ("rss_mb", "data_held_mb", "rss_minus_data_mb", "threads_python", "threads_os", "fds", "sockets_app", "sockets_other", "qt_objects",
                "qt_scene_items", "qt_widgets"):
        series = [s[key] for s in soak]
        result[key] = {"start": round(first[key], 1), "end": round(last[key], 1), "growth": round(last[key] - first[key], 1),
                       "max": round(max(series), 1)}
    if len(soak) >= 3:
        t = np.array([s["t"] for s in soak]) - soak[0]["t"]
        slope = np.polyfit(t, np.array([s["rss_mb"] for s in soak]), 1)[0]
        result["rss_slope_mb_per_hour"] = round(float(slope) * 3600, 1)
        held = np.array([s["data_held_mb"] for s in soak])
        result["data_held_slope_mb_per_hour"] = round(float(np.polyfit(t, held, 1)[0]) * 3600, 1)
        beyond = np.array([s["rss_minus_data_mb"] for s in soak])
        result["rss_minus_data_slope_mb_per_hour"] = round(float(np.polyfit(t, beyond, 1)[0]) * 3600, 1)
    result["warmup_s"] = warmup_s
    if trace is not None:
        result["trace"] = trace
    if census:
        result["census"] = census
    result["timeline"] = [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in s.items()} for s in samples]

    window.shutdown()
    window.close()
    store.close()
    fake.stop()
    return result


# ------------------------------------------------------------------------------------------ report

def format_report(r: dict) -> str:
    lines = [
        f"Soak: {r['wall_s']:.0f} s wall, {r['simulated_hours']:.1f} simulated hours, "
        f"{r['faults_injected_total']} faults injected ({r['fault_hits']} hits): "
        + ", ".join(f"{k} {v}" for k, v in r["faults_injected"].items()),
        f"  RSS            {r['rss_mb']['start']:.0f} -> {r['rss_mb']['end']:.0f} MB (growth {r['rss_mb']['growth']:+.0f} MB"
        + (f", trend {r['rss_slope_mb_per_hour']:+.0f} MB/h" if "rss_slope_mb_per_hour" in r else "") + ")",
        f"  data held      {r['data_held_mb']['start']:.1f} -> {r['data_held_mb']['end']:.1f} MB"
        + (f" (trend {r['data_held_slope_mb_per_hour']:+.1f} MB/h)" if "data_held_slope_mb_per_hour" in r else ""),
        f"  RSS - data     {r['rss_minus_data_mb']['start']:.0f} -> {r['rss_minus_data_mb']['end']:.0f} MB"
        + (f" (trend after {r['warmup_s']:.0f} s warm-up {r['rss_minus_data_slope_mb_per_hour']:+.1f} MB/h)"
           if "rss_minus_data_slope_mb_per_hour" in r else ""),
        f"  GUI stall      worst {r['gui_stall_worst_ms']:.0f} ms, p99 {r['gui_stall_p99_ms']:.0f} ms, "
        f"p50 {r['gui_stall_p50_ms']:.0f} ms ({r['gui_probe_ticks']} probe ticks); {r['redraws']} redraws, "
        f"each p50 {r['redraw_ms_p50']} / p99 {r['redraw_ms_p99']} / worst {r['redraw_ms_worst']} ms on the GUI thread",
        f"  reconnects     WebSocket " + ", ".join(f"{v} {n}" for v, n in r["reconnects_ws"].items())
        + f"; feed retries {r['feed_retries']}",
        f"  gaps           {r['gaps_detected_refilled']} detected and refilled ({r['gap_candles_refilled']} candles)",
        f"  rows           served {r['rows_served_total']:,}, stored {r['rows_stored_total']:,}, "
        f"lost/duplicated/wrong {r['rows_lost_or_duplicated']} (recovery {r['recovery_s']:.0f} s)",
    ]
    for series, c in r["rows"].items():
        lines.append(f"    {series:<14} served {c['served']:>7,}  missing {c['missing']:>4}  extra {c['extra']:>4}  "
                     f"wrong {c['wrong_values']:>4}" + (f"  (+{c['current_rows']} current-value rows)" if c.get("current_rows") else "")
                     + (f"  missing on {c['missing_by_exchange']}" if c.get("missing_by_exchange") else ""))
    for key, label in (("threads_python", "threads (py)"), ("threads_os", "threads (os)"), ("fds", "open fds"),
                       ("sockets_app", "sockets app"), ("sockets_other", "other sockets"), ("qt_objects", "Qt objects"),
                       ("qt_scene_items", "scene items"), ("qt_widgets", "Qt widgets")):
        h = r[key]
        lines.append(f"  {label:<14} {h['start']:g} -> {h['end']:g} (max {h['max']:g})")
    bad = {k: v for k, v in r["feed_states_end"].items() if not v.startswith("ok")}
    lines.append(f"  feeds at end   {'all ok' if not bad else bad}")
    lines.append(timeline_table(r))
    return "\n".join(lines)


def timeline_table(r: dict, rows: int = 13) -> str:
    """The memory timeline, thinned to about ``rows`` lines (hours on long runs, seconds on short ones)."""
    tl = [s for s in r.get("timeline", []) if "wall_s" in s]
    if not tl:
        return ""
    step = max(1, len(tl) // max(1, rows - 1))
    picked = tl[::step]
    if picked[-1] is not tl[-1]:
        picked.append(tl[-1])
    hours = tl[-1]["wall_s"] >= 3600
    head = "  timeline       " + ("wall h" if hours else "wall s") + "  sim h    RSS MB  data MB  RSS-data  threads  sockets  Qt objects"
    out = [head]
    for s in picked:
        w = s["wall_s"] / 3600 if hours else s["wall_s"]
        out.append(f"                 {w:6.2f}  {s.get('simulated_h', 0):6.1f}  {s['rss_mb']:7.0f}  {s['data_held_mb']:7.1f}  "
                   f"{s['rss_minus_data_mb']:8.0f}  {s['threads_os']:7d}  {s['sockets_app']:7d}  {s['qt_objects']:10d}  {s['phase']}")
    return "\n".join(out)


def parse_args(argv: Optional[list[str]] = None) -> SoakConfig:
    env = os.environ
    p = argparse.ArgumentParser(prog="python -m tests.reliability.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=float(env.get("SOAK_SECONDS", 600)), help="wall time (env SOAK_SECONDS)")
    p.add_argument("--hours", type=float, default=None, help="wall time in hours (a long soak; overrides --seconds)")
    p.add_argument("--sample-s", type=float, default=0.0, help="memory timeline interval (default 5 s, 30 s past 10 minutes)")
    p.add_argument("--trace-malloc", action="store_true", help="tracemalloc and object-count diffs after warm-up (slow)")
    p.add_argument("--census-s", type=float, default=0.0, help="live objects by type every N s (default 600 s past 30 min)")
    p.add_argument("--speed", type=float, default=float(env.get("SOAK_SPEED", 150)), help="market time factor (env SOAK_SPEED)")
    p.add_argument("--seed", type=int, default=int(env.get("SOAK_SEED", 1)))
    p.add_argument("--no-ws-garbage", action="store_true", help="no garbage WebSocket frames (they deafen ccxt.pro today)")
    p.add_argument("--faults", default=None,
                   help=f"comma-separated fault kinds to inject, or 'none' (default all: {','.join(FAULT_WEIGHTS)})")
    p.add_argument("--out", default=str(ROOT / ".bench" / "soak.json"))
    a = p.parse_args(argv)
    faults: Optional[tuple[str, ...]] = None
    if a.faults is not None:
        faults = () if a.faults.strip().lower() == "none" else tuple(k.strip() for k in a.faults.split(",") if k.strip())
        unknown = [k for k in faults if k not in FAULT_WEIGHTS]
        if unknown:
            p.error(f"unknown fault kinds {unknown}; known: {', '.join(FAULT_WEIGHTS)}")
    seconds = a.hours * 3600.0 if a.hours is not None else a.seconds
    if seconds <= 0 or a.speed <= 0 or a.sample_s < 0:
        p.error("--seconds (or --hours) and --speed must be positive")
    return SoakConfig(seconds=seconds, speed=a.speed, seed=a.seed, ws_garbage=not a.no_ws_garbage, out=Path(a.out),
                      sample_s=a.sample_s, trace_malloc=a.trace_malloc, census_s=a.census_s, faults=faults)


def main(argv: Optional[list[str]] = None) -> int:
    cfg = parse_args(argv)
    result = run(cfg)
    print(format_report(result))
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    cfg.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {cfg.out}")
    return 1 if result["rows_lost_or_duplicated"] else 0


if __name__ == "__main__":
    sys.exit(main())
