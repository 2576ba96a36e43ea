"""Backoff with jitter, and what each failure means for a feed (retry, offline, or give up).

Shared by the exchange feeds and the Fear & Greed fetch, so every HTTP path behaves the same.
ccxt is imported inside functions only: the GUI must not pay for importing it before the window shows.
"""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterator, Optional, TypeVar

T = TypeVar("T")

RETRY = "retry"  # transient: back off and try again
OFFLINE = "offline"  # no route to the venue at all (DNS failure, connection refused, unreachable)
FATAL = "fatal"  # retrying cannot help (symbol not listed / delisted)


class MalformedResponse(Exception):
    """The venue answered 200 with something that is not the documented shape (garbage, truncated JSON)."""


class SymbolNotListed(Exception):
    """The symbol is not (or no longer) listed on the venue."""


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    attempts: int = 6  # tries per request before the feed gives up until the next cycle

    def delay(self, attempt: int, rng: random.Random, retry_after_s: Optional[float] = None) -> float:
        """Seconds before try ``attempt + 1``: capped exponential with equal jitter, never before Retry-After."""
        cap = min(self.max_s, self.base_s * self.factor ** max(0, attempt))
        delay = cap / 2 + rng.random() * cap / 2
        if retry_after_s is not None:
            delay = max(delay, float(retry_after_s))
        return delay


@dataclass(frozen=True)
class Failure:
    kind: str  # RETRY | OFFLINE | FATAL
    reason: str  # plain words for the status bar
    retry_after_s: Optional[float] = None


def _causes(exc: Optional[BaseException]) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _no_route(exc: BaseException) -> bool:
    import aiohttp

    for e in _causes(exc):
        if isinstance(e, (socket.gaierror, ConnectionRefusedError, aiohttp.ClientConnectorError)):
            return True
        if isinstance(e, OSError) and getattr(e, "errno", None) in (101, 111, 113, 65, 61):  # unreachable / refused
            return True
    return False


def _retry_after(headers) -> Optional[float]:
    if not headers:
        return None
    for k, v in dict(headers).items():
        if k.lower() == "retry-after":
            try:
                return max(0.0, float(v))
            except (TypeError, ValueError):
                return None
    return None


def classify(exc: BaseException, headers=None, status: Optional[int] = None) -> Failure:
    """What a failed request means. ``headers``/``status``: the last HTTP response's (Retry-After, wording)."""
    import aiohttp
    import ccxt

    if isinstance(exc, (SymbolNotListed, ccxt.BadSymbol)):
        return Failure(FATAL, f"symbol not listed ({_short(exc)})")
    if status == 418 or (status != 429 and isinstance(exc, ccxt.DDoSProtection) and not isinstance(exc, ccxt.RateLimitExceeded)):
        # Binance answers 418 to an IP that kept sending after 429s; its Retry-After says for how long.
        return Failure(RETRY, "blocked for too many requests (HTTP 418)", _retry_after(headers))
    if status == 429 or isinstance(exc, (ccxt.RateLimitExceeded, ccxt.DDoSProtection)):
        return Failure(RETRY, "rate limited (HTTP 429)" if status in (None, 429) else f"rate limited (HTTP {status})",
                       _retry_after(headers))
    if isinstance(exc, (ccxt.RequestTimeout, asyncio.TimeoutError)):
        return Failure(RETRY, "timed out")
    if _no_route(exc):
        return Failure(OFFLINE, "no connection")
    if isinstance(exc, ccxt.ExchangeNotAvailable) or (status is not None and status >= 500):
        return Failure(RETRY, f"exchange unavailable (HTTP {status if status and status >= 500 else '5xx'})")
    if isinstance(exc, ccxt.NetworkError) or isinstance(exc, aiohttp.ClientError):
        return Failure(RETRY, f"connection lost ({_short(exc)})")
    if isinstance(exc, (MalformedResponse, ccxt.BadResponse, ValueError, KeyError, IndexError, TypeError,
                        ArithmeticError, AttributeError)):  # absurd numbers (2**63 ms, sellRatio 0), wrong shapes
        return Failure(RETRY, "malformed response")
    if isinstance(exc, ccxt.BadRequest) and "symbol" in str(exc).lower():
        return Failure(FATAL, f"symbol not listed ({_short(exc)})")
    if isinstance(exc, ccxt.ExchangeError):
        return Failure(RETRY, f"exchange error ({_short(exc)})")
    return Failure(RETRY, f"unexpected {type(exc).__name__}")


def _short(exc: BaseException, n: int = 80) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= n else text[: n - 1] + "…"


class GaveUp(Exception):
    """A request failed for good (fatal), for now (attempts used up), or the venue is unreachable."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


async def call_with_retries(
    make: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    rng: random.Random,
    *,
    headers: Callable[[], object] = lambda: None,
    status: Callable[[], Optional[int]] = lambda: None,
    on_retry: Callable[[Failure, float], None] = lambda f, d: None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    offline_gives_up: bool = True,
    attempts: Optional[int] = None,
) -> T:
    """``await make()`` until it succeeds; back off with jitter between tries.

    Raises GaveUp on a fatal failure, on no route (when ``offline_gives_up``: the caller decides how
    to wait for the network) or after ``attempts`` tries.
    """
    limit = policy.attempts if attempts is None else attempts
    attempt = 0
    while True:
        try:
            return await make()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure is classified; none escapes unexplained
            failure = classify(exc, headers(), status())
            if failure.kind == FATAL or (failure.kind == OFFLINE and offline_gives_up):
                raise GaveUp(failure) from exc
            attempt += 1
            if limit and attempt >= limit:
                raise GaveUp(failure) from exc
            delay = policy.delay(attempt - 1, rng, failure.retry_after_s)
            on_retry(failure, delay)
            await sleep(delay)
