"""The real venues' rough edges, switchable (and scalable in time) so tests can meet them in seconds.

Defaults follow the venues where that cannot surprise an existing test (connection rules); the message
shapes that change what is pushed (throttling, batching, foreign instruments) are off unless a test
turns them on. Sources:
- Binance USDⓈ-M WebSocket Market Streams: the server pings every 3 minutes and disconnects a client
  that has not answered with a pong within 10 minutes; a connection is valid for 24 hours only;
  Liquidation Order Streams push "only the latest one liquidation order within 1000ms" per symbol.
- OKX v5 WebSocket: "if there's no data return after connecting or subscribing, the connection will
  break in 30 seconds" (the client keeps it alive with a text 'ping'); liquidation-orders carries every
  SWAP instrument and "is not necessarily in chronological order".
- Bybit v5 all-liquidation: pushed every 500 ms, one message may hold several events in ``data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RoughEdges:
    ping_every_s: dict[str, float] = field(default_factory=lambda: {"binance": 180.0})  # protocol pings; no pong -> closed
    max_age_s: dict[str, float] = field(default_factory=lambda: {"binance": 24 * 3600.0})  # connections cut at this age
    idle_cut_s: dict[str, float] = field(default_factory=lambda: {"okx": 30.0})  # cut after this long with no traffic
    binance_one_per_second: bool = False  # forceOrder: only the latest event of each symbol and second
    bybit_batch: int = 1  # allLiquidation: events per message
    okx_every_instrument: bool = False  # liquidation-orders: other swaps' events in the same messages
    okx_out_of_order: bool = False  # liquidation-orders: details and items not in time order
