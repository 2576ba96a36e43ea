"""The Crypto Fear & Greed index (alternative.me public JSON API), optional sentiment.

Same fault handling as the exchange feeds (market.live.retry); any failure returns None, never raises.
Format (https://alternative.me/crypto/fear-and-greed-index/#api):
{"name": "Fear and Greed Index", "data": [{"value": "40", "value_classification": "Fear",
 "timestamp": "1551157200", "time_until_update": "68499"}], "metadata": {"error": null}}
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Optional

from market.live.retry import GaveUp, MalformedResponse, RetryPolicy, call_with_retries

FEAR_GREED_URL = "https://api.alternative.me/fng/?limit=1"


@dataclass(frozen=True)
class FearGreed:
    value: int  # 0 (extreme fear) .. 100 (extreme greed)
    classification: str  # e.g. "Fear"
    ts_ms: int


class _HttpStatus(Exception):
    def __init__(self, status: int, retry_after: Optional[str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


async def _get(url: str, timeout_s: float) -> tuple[object, dict]:
    import aiohttp
    import ccxt

    timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=timeout_s, sock_read=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            async with session.get(url) as resp:
                text = await resp.text()
                headers = dict(resp.headers)
                # Map statuses to the same exception classes ccxt raises, so classify() treats them alike.
                if resp.status in (418, 429):
                    err = ccxt.RateLimitExceeded(f"HTTP {resp.status}")
                    err.headers = headers
                    raise err
                if resp.status >= 500:
                    raise ccxt.ExchangeNotAvailable(f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise ccxt.ExchangeError(f"HTTP {resp.status}")
        except asyncio.TimeoutError as exc:
            raise ccxt.RequestTimeout(url) from exc
    try:
        return json.loads(text), headers
    except ValueError as exc:
        raise MalformedResponse("fear & greed: not JSON") from exc


def _parse(body) -> FearGreed:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list) or not body["data"]:
        raise MalformedResponse("fear & greed: no data")
    d = body["data"][0]
    return FearGreed(int(d["value"]), str(d.get("value_classification", "")), int(d["timestamp"]) * 1000)


def fetch_fear_greed(url: str = FEAR_GREED_URL, timeout_s: float = 5.0, retry: RetryPolicy = RetryPolicy(attempts=3),
                     rng: Optional[random.Random] = None) -> Optional[FearGreed]:
    """The latest index value, or None when it cannot be had (offline, errors, bad data). Blocks; call off the GUI thread."""
    last_headers: dict = {}

    async def once() -> FearGreed:
        try:
            body, headers = await _get(url, timeout_s)
        except Exception as exc:
            last_headers.clear()
            last_headers.update(getattr(exc, "headers", {}) or {})
            raise
        return _parse(body)

    async def go() -> Optional[FearGreed]:
        try:
            return await call_with_retries(once, retry, rng or random.Random(), headers=lambda: last_headers)
        except GaveUp:
            return None

    try:
        return asyncio.run(go())
    except Exception:  # the index is optional: absent, never an error
        return None
