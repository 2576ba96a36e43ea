"""Switchable faults for the fake exchange: what a trader's connection and the venues really do."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# REST fault kinds
DELAY = "delay"  # answer late (a timeout when longer than the client's timeout)
HTTP = "http"  # answer with an HTTP error status (429/418 with Retry-After, 5xx)
GARBAGE = "garbage"  # 200 with a body that is not JSON
TRUNCATE = "truncate"  # 200 with the real JSON cut in half
CANNED = "canned"  # 200 with a given JSON body (e.g. a real sample from the exchange's docs)
# WebSocket fault kinds
WS_DROP = "ws_drop"  # close the socket after sending `after_messages` messages
WS_DUPLICATE = "ws_duplicate"  # send every message twice
WS_REORDER = "ws_reorder"  # send each batch of messages in reverse order

REST_KINDS = (DELAY, HTTP, GARBAGE, TRUNCATE, CANNED)
WS_KINDS = (WS_DROP, WS_DUPLICATE, WS_REORDER)


@dataclass
class Fault:
    exchange: str  # "binance" | "okx" | "bybit"
    kind: str
    path_contains: str = ""  # REST: the fault hits requests whose path contains this ("" = every route)
    status: int = 503
    retry_after_s: float | None = None
    delay_s: float = 0.0
    after_messages: int = 0  # WS_DROP: messages sent before the socket is closed
    times: int | None = 1  # how many requests/pushes it hits; None = until cleared
    body: object = None  # CANNED: the JSON value to answer with
    channel: str = "liquidations"  # WS faults: which stream they hit ("liquidations" | "candles")
    hits: int = field(default=0, compare=False)

    def active(self) -> bool:
        return self.times is None or self.hits < self.times


class FaultBook:
    """Thread-safe list of faults; tests add them from the pytest thread, the server consumes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in REST_KINDS + WS_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_rest(self, exchange: str, path: str) -> Fault | None:
        """The first active REST fault matching this request, counted as one hit."""
        with self._lock:
            for f in self._faults:
                if f.kind in REST_KINDS and f.exchange == exchange and f.path_contains in path and f.active():
                    f.hits += 1
                    return f
        return None

    def take_ws(self, exchange: str, channel: str = "liquidations") -> list[Fault]:
        """Active WebSocket faults for one push to this exchange's sockets, each counted as one hit."""
        out = []
        with self._lock:
            for f in self._faults:
                if f.kind in WS_KINDS and f.exchange == exchange and f.channel == channel and f.active():
                    f.hits += 1
                    out.append(f)
        return out
