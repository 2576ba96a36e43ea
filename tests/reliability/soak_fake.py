"""The soak's fake exchange in its own process, steered over a few control routes.

The soak measures the app's GUI stalls, memory, threads and sockets: a fake exchange in the same process
would add its own (its pandas work per request holds the GIL). So it runs here, and the soak talks to it:

    python -m tests.reliability.soak_fake --seed S --start-ms A --end-ms B --now-ms N

prints "port P" once listening, then serves the three venues plus:

    POST /soak/clock?now_ms=T     move the venue clock to T, pushing the liquidations of (old, T]
    POST /soak/fault              JSON: the fields of tests.fake_exchange.faults.Fault
    POST /soak/clear              remove every fault
    POST /soak/ws_text?venue=V    send the body as one raw frame to V's subscribed sockets (liquidations, klines)
    GET  /soak/state              now_ms, subscriptions, requests, fault hits, pushed liquidations
"""

from __future__ import annotations

import argparse
import sys
import threading

from aiohttp import web

from market.series import MINUTE_MS
from tests.fake_exchange.faults import Fault
from tests.fake_exchange.server import VENUES, FakeExchange, _push


def _control_routes(app: web.Application, state) -> None:
    hits: list[Fault] = []

    async def clock(request: web.Request) -> web.Response:
        """What FakeExchange.advance does, on this process's loop: liquidations and closed 1m klines."""
        new = int(request.query["now_ms"])
        old = state.now_ms
        if new > old:
            state.now_ms = new
            for venue in VENUES:
                try:
                    await _push(state, venue, state.liquidations_between(venue, old, new))
                    if hasattr(state, "venue_rows"):  # a fake exchange with kline streams
                        df = state.venue_rows("candles", venue)
                        closes = df["ts"] + MINUTE_MS
                        await _push(state, venue, df[(closes > old) & (closes <= new)].reset_index(drop=True), "candles")
                except (ConnectionError, RuntimeError):  # a socket closing under a drop: the rest still go
                    pass
        return web.json_response({"now_ms": state.now_ms})

    async def fault(request: web.Request) -> web.Response:
        f = state.faults.add(Fault(**(await request.json())))
        hits.append(f)
        return web.json_response({"ok": True})

    async def clear(request: web.Request) -> web.Response:
        state.faults.clear()
        return web.json_response({"ok": True})

    async def ws_text(request: web.Request) -> web.Response:
        venue, text = request.query["venue"], await request.text()
        sent = 0
        for ws in list(state.sockets[venue]):
            if (getattr(ws, "cascade_subscribed", False) or getattr(ws, "cascade_candles", False)) and not ws.closed:
                try:
                    await ws.send_str(text)
                    sent += 1
                except (ConnectionError, RuntimeError):
                    pass
        return web.json_response({"sent": sent})

    async def snapshot(request: web.Request) -> web.Response:
        pushed = {}
        for v in VENUES:
            parts = state.pushed_liquidations[v]
            rows = []
            for df in parts:
                rows += df[["ts", "side", "price", "qty_base"]].to_dict("records")
            pushed[v] = rows
        with state.lock:
            requests = {v: state.requests[v] for v in VENUES}
        return web.json_response({"now_ms": state.now_ms, "subscriptions": {v: state.subscribed[v] for v in VENUES},
                                  "requests": requests, "fault_hits": sum(f.hits for f in hits), "pushed": pushed})

    app.router.add_post("/soak/clock", clock)
    app.router.add_post("/soak/fault", fault)
    app.router.add_post("/soak/clear", clear)
    app.router.add_post("/soak/ws_text", ws_text)
    app.router.add_get("/soak/state", snapshot)


def main(argv: list[str] | None = None) -> int:
    from tests.fake_exchange.data import generate

    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--start-ms", type=int, required=True)
    p.add_argument("--end-ms", type=int, required=True)
    p.add_argument("--now-ms", type=int, required=True)
    a = p.parse_args(argv)
    data = generate(a.start_ms, a.end_ms, seed=a.seed)
    fake = FakeExchange(data=data, now_ms=a.now_ms, extra_routes=[_control_routes]).start()
    print(f"port {fake.port}", flush=True)
    threading.Event().wait() if sys.stdin is None else sys.stdin.read()  # until the soak closes our stdin
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
