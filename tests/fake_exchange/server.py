"""FakeExchange: every registered venue's public endpoints on 127.0.0.1, in their real shapes.

One aiohttp app serves all venues. Each venue's fake is the module the registry names (``market.venues``,
field ``fake``); it declares the path prefixes it owns (``PATH_PREFIXES``: /fapi + /futures/data are
Binance, /api/v5 is OKX, /v5 is Bybit, /info is Hyperliquid; WebSockets live under /<venue>), where a
client finds it (``urls``), and its routes (``register``). It runs in its own thread with its own event
loop so a plain (sync) pytest test can start it, point LiveSource at it and talk to it.

The market it serves is ``state.data`` (MarketFrames, see data.py); ``state.now_ms`` is the venue clock:
only rows at or before it are served, and ``advance()`` moves it, pushing the liquidations of the new
interval to every subscribed WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from aiohttp import web

import market.venues as registry
from market.series import MINUTE_MS, MarketFrames, per_exchange
from tests.fake_exchange.data import generate
from tests.fake_exchange.edges import RoughEdges
from tests.fake_exchange.faults import (CANNED, DELAY, GARBAGE, HTTP, TRUNCATE, WS_DROP, WS_DUPLICATE, WS_REORDER, Fault,
                                        FaultBook)

VENUES = {v.name: registry.load(v.fake) for v in registry.VENUES.values() if v.fake}
DAY_MS = 24 * 60 * MINUTE_MS
from tests.fake_exchange.keys import STATE  # noqa: E402
ExtraRoutes = Callable[[web.Application, "FakeState"], None]


def venue_of(path: str) -> str | None:
    if path.startswith("/fng"):
        return "fear_greed"
    for name, module in VENUES.items():
        if path.startswith(tuple(module.PATH_PREFIXES)):
            return name
    return None


class FakeState:
    """Everything the handlers share. Mutated from the test thread only through FakeExchange's methods."""

    def __init__(self, data: MarketFrames, now_ms: int, symbol_listed: bool = True) -> None:
        self.data = data
        self.now_ms = now_ms
        self.faults = FaultBook()
        self.requests: Counter[str] = Counter()  # per venue, REST requests and WS connections
        self.routes: Counter[str] = Counter()  # per "venue path"
        self.delisted: set[str] = set()
        self.sockets: dict[str, list[web.WebSocketResponse]] = {v: [] for v in VENUES}
        self.subscribed: Counter[str] = Counter()  # liquidation subscriptions accepted, per venue
        self.subscribed_candles: Counter[str] = Counter()  # 1m kline subscriptions accepted, per venue
        self.unrouted_subscriptions: Counter[str] = Counter()  # acked on a path that never serves them
        self.empty_answers: Counter[str] = Counter()  # "venue path" of history answers that held no row
        self.okx_rubik_entries = 1440  # OKX rubik history: rows served per period (the real cap)
        self.edges = RoughEdges()
        self.ws_connections: Counter[str] = Counter()  # WebSocket connections accepted, per venue
        self.ws_cuts: Counter[str] = Counter()  # "venue reason" of connections the fake closed (age, idle)
        self.pushed_liquidations: dict[str, list[pd.DataFrame]] = {v: [] for v in VENUES}
        self.lock = threading.Lock()
        self.extra: dict = {}  # per-venue fake state (e.g. hyperliquid's wallets), keyed by the venue module
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    # ---- the data the venues serve -------------------------------------------------------------
    def venue_rows(self, series: str, venue: str) -> pd.DataFrame:
        """All of one venue's rows of a series, sorted by ts (cached: the market data never changes)."""
        key = (series, venue)
        if key not in self._cache:
            self._cache[key] = per_exchange(self.data.series(series), venue).sort_values("ts", kind="stable").reset_index(drop=True)
        return self._cache[key]

    def rows(self, series: str, venue: str) -> pd.DataFrame:
        """Rows visible now: candles that have closed, other rows measured at or before now."""
        df = self.venue_rows(series, venue)
        limit = self.now_ms - MINUTE_MS if series == "candles" else self.now_ms
        return df.iloc[: int(np.searchsorted(df["ts"].to_numpy(), limit, side="right"))]

    def liquidations_between(self, venue: str, after_ms: int, until_ms: int) -> pd.DataFrame:
        df = per_exchange(self.data.liquidations, venue)
        return df[(df["ts"] > after_ms) & (df["ts"] <= until_ms)].reset_index(drop=True)


def build_app(state: FakeState, extra_routes: Iterable[ExtraRoutes] = ()) -> web.Application:
    """The aiohttp app: fault middleware, every venue's routes, then any extra routes (private.py)."""
    app = web.Application(middlewares=[_fault_middleware])
    app[STATE] = state
    for module in VENUES.values():
        module.register(app, state)
    for add in extra_routes:
        add(app, state)
    app.router.add_get("/fng/", _fear_greed)
    return app


async def _fear_greed(request: web.Request) -> web.Response:
    # alternative.me's format: https://alternative.me/crypto/fear-and-greed-index/#api
    state: FakeState = request.app[STATE]
    body = {"name": "Fear and Greed Index", "data": [{"value": "27", "value_classification": "Fear",
            "timestamp": str(state.now_ms // 1000), "time_until_update": "3600"}], "metadata": {"error": None}}
    return web.json_response(body)


@web.middleware
async def _fault_middleware(request: web.Request, handler):
    state: FakeState = request.app[STATE]
    venue = venue_of(request.path) or "other"
    with state.lock:
        state.requests[venue] += 1
        state.routes[f"{venue} {request.path}"] += 1
    fault = None if request.headers.get("Upgrade", "").lower() == "websocket" else state.faults.take_rest(venue, request.path)
    if fault is None:
        return await handler(request)
    if fault.kind == DELAY:
        await asyncio.sleep(fault.delay_s)
        return await handler(request)
    if fault.kind == HTTP:
        headers = {} if fault.retry_after_s is None else {"Retry-After": str(int(round(fault.retry_after_s)))}
        body = VENUES[venue].error_body(fault.status) if venue in VENUES else '{"error": "unavailable"}'
        return web.Response(status=fault.status, text=body, headers=headers, content_type="application/json")
    if fault.kind == GARBAGE:
        return web.Response(status=200, text="<html><body>502 Bad Gateway - cloudflare</body></html>", content_type="text/html")
    if fault.kind == CANNED:
        return web.json_response(fault.body)
    if fault.kind == TRUNCATE:
        real = await handler(request)
        text = real.text or ""
        return web.Response(status=200, text=text[: max(1, len(text) // 2)], content_type="application/json")
    return await handler(request)


def ws_route(venue: str, on_message):
    """The aiohttp handler of one venue's WebSocket endpoint: every venue runs the shared ws_session loop."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        return await ws_session(request, venue, on_message)

    return handler


async def ws_session(request: web.Request, venue: str, on_message) -> web.WebSocketResponse:
    """Shared WebSocket loop: register the socket, answer the client's messages via ``on_message(state, text, ws)``."""
    state: FakeState = request.app[STATE]
    edges = state.edges
    # heartbeat: aiohttp pings every N s and closes the socket when no pong comes back within N/2 s.
    ws = web.WebSocketResponse(autoping=True, heartbeat=edges.ping_every_s.get(venue))
    try:
        await ws.prepare(request)
    except ConnectionError:  # the client went away during the handshake (a source closing)
        return ws
    loop = asyncio.get_running_loop()
    ws.cascade_active = loop.time()
    with state.lock:
        state.ws_connections[venue] += 1
    state.sockets[venue].append(ws)
    watchdog = asyncio.ensure_future(_watchdog(state, venue, ws, loop.time()))
    try:
        async for msg in ws:
            if msg.type.name == "TEXT":
                ws.cascade_active = loop.time()
                replies = on_message(state, msg.data, ws)
                for r in replies:
                    await ws.send_str(r if isinstance(r, str) else json.dumps(r))
    finally:
        watchdog.cancel()
        if ws in state.sockets[venue]:
            state.sockets[venue].remove(ws)
    return ws


async def _watchdog(state: FakeState, venue: str, ws: web.WebSocketResponse, opened: float) -> None:
    """Close the connection at its maximum age, or after too long without traffic either way."""
    loop = asyncio.get_running_loop()
    while not ws.closed:
        max_age, idle = state.edges.max_age_s.get(venue), state.edges.idle_cut_s.get(venue)
        now = loop.time()
        waits = [t for t in ((opened + max_age - now) if max_age else None,
                             (ws.cascade_active + idle - now) if idle else None) if t is not None]
        if not waits or min(waits) > 0:
            # wake at the next deadline, at least twice a second so a test's new rules take effect
            await asyncio.sleep(min([0.5] + [max(0.005, t) for t in waits]))
            continue
        reason = "age" if max_age and now - opened >= max_age else "idle"
        with state.lock:
            state.ws_cuts[f"{venue} {reason}"] += 1
        if ws in state.sockets[venue]:
            state.sockets[venue].remove(ws)  # no push goes to a socket being cut
        await ws.close()
        return


async def _push(state: FakeState, venue: str, events: pd.DataFrame, channel: str = "liquidations") -> None:
    flag = "cascade_subscribed" if channel == "liquidations" else "cascade_candles"
    sockets = [ws for ws in state.sockets[venue] if getattr(ws, flag, False) and not ws.closed]
    if not sockets or len(events) == 0:
        return
    faults = state.faults.take_ws(venue, channel)
    kinds = {f.kind for f in faults}
    module = VENUES[venue]
    messages = module.liquidation_messages(events, state.edges) if channel == "liquidations" else module.candle_messages(events)
    if WS_REORDER in kinds:
        messages = list(reversed(messages))
    if WS_DUPLICATE in kinds:
        messages = [m for m in messages for _ in (0, 1)]
    drop_after = min((f.after_messages for f in faults if f.kind == WS_DROP), default=None)
    sent_rows = []
    for ws in sockets:
        for i, (msg, rows) in enumerate(messages):
            if drop_after is not None and i >= drop_after:
                break
            await ws.send_str(json.dumps(msg))
            ws.cascade_active = asyncio.get_running_loop().time()
            sent_rows.append(rows)
        if drop_after is not None:
            await ws.close()  # the drop: mid-stream when there were more messages to send
    if sent_rows and channel == "liquidations":
        state.pushed_liquidations[venue].append(pd.concat(sent_rows, ignore_index=True))


class FakeExchange:
    """The fake venues in a background thread. ``with FakeExchange() as fx: ...`` or start()/stop()."""

    def __init__(self, data: MarketFrames | None = None, now_ms: int | None = None, hours: float = 6.0,
                 extra_routes: Iterable[ExtraRoutes] = (), seed: int = 7, history_minutes: int | None = None) -> None:
        """``hours`` (or ``history_minutes``) of market before ``now_ms`` and two days after it (for advance()).

        ``now_ms`` defaults to the wall clock on the 5-minute grid, so a LiveSource on the wall clock
        finds the market where it looks; tests that move time pass ``clock=lambda: fake.now_ms``.
        """
        if data is None:
            minutes = history_minutes if history_minutes is not None else int(hours * 60)
            end = now_ms if now_ms is not None else int(time.time() * 1000) // (5 * MINUTE_MS) * (5 * MINUTE_MS)
            data = generate(end - minutes * MINUTE_MS, end + 2 * DAY_MS, seed=seed)
            now_ms = end
        self.state = FakeState(data, now_ms if now_ms is not None else int(data.candles["ts"].max()) + MINUTE_MS)
        self._extra = list(extra_routes)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "FakeExchange":
        if self._thread is not None:
            return self
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-exchange", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake exchange did not start")
        return self

    async def _serve(self) -> None:
        self._runner = web.AppRunner(build_app(self.state, self._extra), handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return

        async def shutdown() -> None:
            for socks in self.state.sockets.values():
                for ws in list(socks):
                    await ws.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._thread = None

    def __enter__(self) -> "FakeExchange":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def call(self, coro_fn, timeout: float = 10.0):
        """Run ``coro_fn()`` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro_fn(), self._loop).result(timeout)

    # ---- what LiveSource needs -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_overrides(self) -> dict[str, dict[str, str]]:
        """Per venue: where its REST and WebSocket endpoints are (LiveSource(urls_override=...))."""
        http, ws = self.base_url, f"ws://127.0.0.1:{self.port}"
        out = {name: module.urls(http, ws) for name, module in VENUES.items()}
        out["fear_greed"] = {"rest": f"{http}/fng/"}
        return out

    # ---- the venue clock -----------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        return self.state.now_ms

    def advance(self, ms: int, push: bool = True) -> None:
        """Move the venue clock; with ``push`` send the liquidations of (old now, new now] to subscribers."""
        old = self.state.now_ms
        self.state.now_ms = old + ms
        if push:
            self.push_liquidations(old, self.state.now_ms)
            self.push_candles(old, self.state.now_ms)

    def push_candles(self, after_ms: int, until_ms: int) -> None:
        """Send the 1m candles that closed in (after_ms, until_ms] to kline subscribers, as final klines."""

        async def go() -> None:
            for venue in VENUES:
                df = self.state.venue_rows("candles", venue)
                closes = df["ts"] + MINUTE_MS
                await _push(self.state, venue, df[(closes > after_ms) & (closes <= until_ms)].reset_index(drop=True), "candles")

        self.call(go)

    def push_events(self, venue: str, events: pd.DataFrame) -> None:
        """Push these liquidation rows (the market's columns) to ``venue``'s subscribers, as its messages."""

        async def go() -> None:
            await _push(self.state, venue, events.reset_index(drop=True))

        self.call(go)

    def push_liquidations(self, after_ms: int, until_ms: int) -> None:
        async def go() -> None:
            for venue in VENUES:
                await _push(self.state, venue, self.state.liquidations_between(venue, after_ms, until_ms))

        self.call(go)

    # ---- faults --------------------------------------------------------------------------------
    def inject(self, fault: Fault) -> Fault:
        return self.state.faults.add(fault)

    def fail(self, exchange: str, path_contains: str = "", status: int = 503, retry_after_s: float | None = None,
             times: int | None = 1) -> Fault:
        return self.inject(Fault(exchange, HTTP, path_contains, status=status, retry_after_s=retry_after_s, times=times))

    def delay(self, exchange: str, seconds: float, path_contains: str = "", times: int | None = 1) -> Fault:
        return self.inject(Fault(exchange, DELAY, path_contains, delay_s=seconds, times=times))

    def garbage(self, exchange: str, path_contains: str = "", times: int | None = 1) -> Fault:
        return self.inject(Fault(exchange, GARBAGE, path_contains, times=times))

    def truncate(self, exchange: str, path_contains: str = "", times: int | None = 1) -> Fault:
        return self.inject(Fault(exchange, TRUNCATE, path_contains, times=times))

    def respond(self, exchange: str, path_contains: str, body, times: int | None = 1) -> Fault:
        """Answer matching requests with ``body`` (a real sample response, say) instead of the market."""
        return self.inject(Fault(exchange, CANNED, path_contains, body=body, times=times))

    def push_raw(self, exchange: str, message: dict) -> None:
        """Send one raw WebSocket message to every subscribed socket of ``exchange``."""

        async def go() -> None:
            for ws in list(self.state.sockets[exchange]):
                if getattr(ws, "cascade_subscribed", False) and not ws.closed:
                    await ws.send_str(json.dumps(message))

        self.call(go)

    def drop_ws(self, exchange: str, after_messages: int = 1, times: int | None = 1, channel: str = "liquidations") -> Fault:
        return self.inject(Fault(exchange, WS_DROP, after_messages=after_messages, times=times, channel=channel))

    def duplicate_ws(self, exchange: str, times: int | None = 1, channel: str = "liquidations") -> Fault:
        return self.inject(Fault(exchange, WS_DUPLICATE, times=times, channel=channel))

    def reorder_ws(self, exchange: str, times: int | None = 1, channel: str = "liquidations") -> Fault:
        return self.inject(Fault(exchange, WS_REORDER, times=times, channel=channel))

    def candle_subscriptions(self, exchange: str) -> int:
        return self.state.subscribed_candles[exchange]

    def delist(self, exchange: str, delisted: bool = True) -> None:
        (self.state.delisted.add if delisted else self.state.delisted.discard)(exchange)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    # ---- counters ------------------------------------------------------------------------------
    def requests_served(self) -> dict[str, int]:
        with self.state.lock:
            return {v: self.state.requests[v] for v in VENUES}

    def requests_served_to(self, venue: str) -> int:
        """Requests served to one venue key ("binance", "okx", "bybit", "fear_greed")."""
        with self.state.lock:
            return self.state.requests[venue]

    def route_counts(self) -> dict[str, int]:
        with self.state.lock:
            return dict(self.state.routes)

    def subscriptions(self, exchange: str) -> int:
        return self.state.subscribed[exchange]

    def pushed(self, exchange: str) -> pd.DataFrame:
        """Liquidation rows actually sent to sockets (duplicates included, as sent)."""
        parts = self.state.pushed_liquidations[exchange]
        return pd.concat(parts, ignore_index=True) if parts else per_exchange(self.state.data.liquidations, exchange).iloc[:0]
