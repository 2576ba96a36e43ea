"""The ccxt floor, the version check at start, and Binance's routed stream paths on the fake."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp
import pytest

from market.live import ccxt_version
from market.series import MINUTE_MS
from market.source import FEED_FAILED, FEED_OK
from tests.integration.live.conftest import wait_until

ROOT = Path(__file__).resolve().parents[3]


def test_version_parsing_and_the_plain_line():
    assert ccxt_version.parse("4.5.44") == (4, 5, 44)
    assert ccxt_version.parse("4.5.44rc1") == (4, 5, 44)
    assert ccxt_version.parse("v?") is None
    assert ccxt_version.MIN_CCXT == (4, 5, 77)
    assert ccxt_version.problem("4.5.77") is None and ccxt_version.problem("4.6.0") is None
    line = ccxt_version.problem("4.5.43")
    assert line is not None and "\n" not in line
    assert line.startswith("ccxt 4.5.43 is older than 4.5.77: Binance acknowledges") and "Bybit liquidations" in line
    assert "4.5.77" in line  # the upgrade asks for the floor
    # Per feed: 4.5.60 reaches Binance's /market route but still misreads Bybit's liquidation side.
    assert ccxt_version.problem("4.5.60", venue="binance", feed="liquidations") is None
    assert ccxt_version.problem("4.5.60", venue="bybit", feed="candles_stream") is None
    assert ccxt_version.problem("4.5.60", venue="bybit", feed="liquidations").startswith(
        "ccxt 4.5.60 is older than 4.5.77: Bybit liquidations come out with the wrong side")
    assert ccxt_version.problem("4.5.43", venue="binance", feed="candles_stream").startswith("ccxt 4.5.43 is older than 4.5.44")


def test_pyproject_floor_is_the_checked_minimum():
    text = (ROOT / "pyproject.toml").read_text()
    floor = re.search(r'"ccxt>=([0-9.]+)"', text).group(1)
    assert ccxt_version.parse(floor) == ccxt_version.MIN_CCXT


def test_installed_ccxt_passes_the_check():
    assert ccxt_version.problem() is None, ccxt_version.problem()


def test_old_ccxt_is_said_on_the_command_line(monkeypatch, capsys):
    import main

    monkeypatch.setattr(ccxt_version, "installed", lambda: "4.5.10")
    main._warn_old_ccxt()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ccxt 4.5.10 is older than 4.5.77" in err


def test_old_ccxt_fails_the_affected_streams_in_plain_words(monkeypatch, make_source):
    from gui.widgets.feeds import summarize

    monkeypatch.setattr(ccxt_version, "installed", lambda: "4.5.10")
    src = make_source(exchanges=("binance", "bybit"))
    src.history(src.symbol)
    states = lambda: {s.feed: s for s in src.feed_states()}  # noqa: E731
    assert wait_until(lambda: states()["binance:liquidations"].status == FEED_FAILED == states()["bybit:liquidations"].status)
    st = states()
    assert "ccxt 4.5.10 is older than 4.5.44: Binance acknowledges" in st["binance:liquidations"].detail
    assert st["binance:candles_stream"].status == FEED_FAILED
    assert "older than 4.5.77: Bybit liquidations come out with the wrong side" in st["bybit:liquidations"].detail
    assert st["bybit:candles_stream"].status != FEED_FAILED  # Bybit's candle stream is not affected
    [(venue, text, level)] = [x for x in summarize(src.feed_states(), src.now_ms()) if x[0] == "binance"]
    assert level == "error" and text.startswith("failed: ccxt 4.5.10 is older than 4.5.44")


async def _listen(url: str, params: list[str], seconds: float) -> list[dict]:
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": params, "id": 1}))
        got = []
        try:
            while True:
                msg = await asyncio.wait_for(ws.receive(), seconds)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                got.append(json.loads(msg.data))
        except asyncio.TimeoutError:
            pass
        return got


@pytest.mark.parametrize("path,served", [("/binance/market/ws/0", True), ("/binance/ws/0", False), ("/binance/ws", False),
                                         ("/binance/public/ws/0", False)])
def test_fake_serves_binance_streams_only_under_market(fake, path, served):
    import threading

    url = f"ws://127.0.0.1:{fake.port}{path}"
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("got", asyncio.run(_listen(url, ["btcusdt@forceOrder", "btcusdt@kline_1m"], 1.5))))
    t.start()
    assert wait_until(lambda: fake.subscriptions("binance") + fake.state.unrouted_subscriptions["binance"] >= 1, 5)
    for _ in range(24):  # two hours of market: liquidations and closed candles to push
        fake.advance(5 * MINUTE_MS)
    t.join(10)
    got = out["got"]
    assert got[0] == {"result": None, "id": 1}  # every path acknowledges
    events = [m for m in got[1:] if m.get("e") in ("forceOrder", "kline")]
    assert bool(events) is served, path


def test_the_app_subscribes_on_the_market_path(fake, make_source):
    src = make_source(exchanges=("binance",))
    src.history(src.symbol)
    assert wait_until(lambda: fake.subscriptions("binance") >= 1 and fake.candle_subscriptions("binance") >= 1)
    paths = [k for k in fake.route_counts() if k.startswith("binance /binance/")]
    assert paths and all(p.startswith("binance /binance/market/") for p in paths), paths
    assert fake.state.unrouted_subscriptions["binance"] == 0
