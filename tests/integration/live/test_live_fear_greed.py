"""Crypto Fear & Greed index through the shared fault-tolerant HTTP path: a value, or None, never an error."""

from __future__ import annotations

import socket
import time

from market.live import FearGreed, fetch_fear_greed
from tests.integration.live.conftest import FAST_RETRY


def _url(fake) -> str:
    return fake.url_overrides()["fear_greed"]["rest"]


def test_value_from_the_public_format(fake):
    assert fetch_fear_greed(_url(fake), retry=FAST_RETRY) == FearGreed(27, "Fear", fake.now_ms // 1000 * 1000)


def test_transient_errors_are_retried(fake):
    fake.fail("fear_greed", "/fng", 503, times=2)
    fake.truncate("fear_greed", "/fng", times=1)
    assert fetch_fear_greed(_url(fake), retry=FAST_RETRY).value == 27
    assert fake.requests_served_to("fear_greed") == 4


def test_rate_limit_honours_retry_after(fake):
    fake.fail("fear_greed", "/fng", 429, retry_after_s=1, times=1)
    t0 = time.monotonic()
    assert fetch_fear_greed(_url(fake), retry=FAST_RETRY).value == 27
    assert time.monotonic() - t0 >= 1.0


def test_absent_without_error_when_broken_or_offline(fake):
    fake.garbage("fear_greed", "/fng", times=None)
    assert fetch_fear_greed(_url(fake), retry=FAST_RETRY) is None
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.monotonic()
    assert fetch_fear_greed(f"http://127.0.0.1:{port}/fng/", retry=FAST_RETRY) is None
    assert time.monotonic() - t0 < 2
