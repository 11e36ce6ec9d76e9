"""Retrying calls the network lost: exponential back-off with jitter.

Only failures that say nothing about the request are retried: the connection was refused,
reset or timed out, or a proxy in front of the gateway answered 502, 503 or 504. A SOAP
fault is the gateway's answer to *this* request (a wrong secret, a bad package) and
repeating the request would get the same answer, so faults are never retried.

Every gateway operation is safe to repeat: reads change nothing, ``confirmReceived`` twice
is harmless, and ``sendDocument`` of the identical package again is recognised as a
duplicate (the original receipt comes back, nothing is delivered twice), which is exactly
what happens when the first attempt reached the gateway but its answer was lost.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["RetryPolicy", "Retryable", "call_with_retry"]

T = TypeVar("T")
log = logging.getLogger("gateway.client")


class Retryable(Exception):
    """Raised by an attempt that may succeed if made again; ``cause`` says what failed."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    ``attempts`` counts the first try (1 means never retry). Before attempt n+1 the client
    waits between half and all of ``min(backoff * 2**(n-1), max_backoff)`` seconds: the
    random part (jitter) keeps many agents that lost the gateway together from all coming
    back in the same second. ``sleep`` waits; a long-running agent passes one that
    returns early (by raising) when it is told to stop.
    """

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    sleep: Callable[[float], object] = field(default=time.sleep, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff and max_backoff must not be negative")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def call_with_retry(attempt: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """``attempt()``, made again after each ``Retryable`` until ``policy`` runs out.

    When it does, the last ``Retryable`` propagates; anything else propagates at once.
    """
    for number in range(1, policy.attempts + 1):
        try:
            return attempt()
        except Retryable as failure:
            if number == policy.attempts:
                raise
            wait = policy.delay(number)
            log.warning("%s failed (%s); attempt %d of %d in %.1f s", what, failure.cause,
                        number + 1, policy.attempts, wait)
            policy.sleep(wait)
    raise AssertionError("unreachable: attempts >= 1")
