"""Retries with exponential back-off for calls to a Qdrant server.

A cluster has short hiccups that a single request should ride over: a node restarting, a leader election, a proxy
answering 502/503/504 for a moment, a connection reset. Those, and only those, are retried: a bad request or a
missing collection fails at once, as retrying it cannot help. Waits double from `base_delay` up to `max_delay`,
with a little random jitter so that several API replicas do not retry in lockstep, for at most `attempts` tries.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

logger = logging.getLogger("kb.storage")
T = TypeVar("T")
TRANSIENT_STATUS = frozenset({502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """True for errors that may pass by themselves: connection failures, timeouts, 502/503/504."""
    if isinstance(exc, UnexpectedResponse):
        return exc.status_code in TRANSIENT_STATUS
    if isinstance(exc, ResponseHandlingException):  # qdrant-client wraps what httpx raised while sending
        return is_transient(exc.source)
    return isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    jitter: float = 0.1
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts deve essere almeno 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("serve 0 <= base_delay <= max_delay")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter deve essere tra 0 e 1")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 = the second attempt), jitter included."""
        base = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return base * (1 + self.jitter * self.rand())

    def call(self, fn: Callable[[], T], what: str = "richiesta") -> T:
        """Run `fn`, retrying transient errors; the last error is raised unchanged once attempts run out."""
        attempt = 1
        while True:
            try:
                return fn()
            except Exception as exc:
                if attempt >= self.attempts or not is_transient(exc):
                    raise
                wait = self.delay(attempt)
                logger.warning("%s: transient error (%s), retry %d/%d in %.2f s", what, type(exc).__name__,
                               attempt, self.attempts - 1, wait)
                self.sleep(wait)
                attempt += 1


# Searches must answer quickly or fail (the API then says 503 with Retry-After); writes may wait for a node to
# come back, as a batch of ingestion would otherwise be lost: 0.5 + 1 + 2 + 4 + 8 s = at most ~17 s of waiting.
READ_RETRY = RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0)
WRITE_RETRY = RetryPolicy(attempts=6, base_delay=0.5, max_delay=8.0)
