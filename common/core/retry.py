"""Bounded retries with exponential backoff and full jitter, within an attempt, time and deadline budget."""
from __future__ import annotations

import math
import random
import time
from typing import Callable, TypeVar

from common.core import logs

T = TypeVar("T")
log = logs.get_logger(__name__)

MIN_ATTEMPT_S = 1.0  # an attempt with less time than this left before the deadline is not started


class Retryable(Exception):
    """Raised by a call that may succeed if tried again (429, 5xx, timeout, truncated output)."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class Spent(Exception):
    """The budget ran out: `last` is the final Retryable, after `attempts` tries."""

    def __init__(self, last: Retryable, attempts: int):
        super().__init__(last.message)
        self.last = last
        self.attempts = attempts


def with_budget(fn: Callable[[int], T], *, attempts: int, budget_s: float, initial_s: float, what: str,
                deadline: float = math.inf) -> T:
    """Call fn(attempt) until it returns or raises non-Retryable; Spent once attempts, budget or deadline run out.

    `deadline` is a time.monotonic() value: no wait (a server's Retry-After included) runs past it.
    """
    start = time.monotonic()
    delay = initial_s
    for attempt in range(1, attempts + 1):
        try:
            return fn(attempt)
        except Retryable as exc:
            now = time.monotonic()
            wait = exc.retry_after_s if exc.retry_after_s is not None else random.uniform(0, delay)
            last = (attempt == attempts or now - start + wait >= budget_s
                    or now + wait + MIN_ATTEMPT_S >= deadline)
            log.warning("model call failed", call=what, attempt=attempt, code=exc.code, error=exc.message[:300],
                        giving_up=last)
            if last:
                raise Spent(exc, attempt) from None
            time.sleep(wait)
            delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")
