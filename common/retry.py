"""Bounded retries with exponential backoff and full jitter, within an attempt and time budget."""
from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from common import logs

T = TypeVar("T")
log = logs.get_logger(__name__)


class Retryable(Exception):
    """Raised by a call that may succeed if tried again (429, 5xx, timeout, truncated output)."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


def with_budget(fn: Callable[[int], T], *, attempts: int, budget_s: float, initial_s: float,
                on_exhausted: Callable[[Retryable, int], Exception], what: str) -> T:
    """Call fn(attempt) until it returns, raises non-Retryable, or the budget runs out."""
    start = time.monotonic()
    delay = initial_s
    for attempt in range(1, attempts + 1):
        try:
            return fn(attempt)
        except Retryable as exc:
            elapsed = time.monotonic() - start
            wait = exc.retry_after_s if exc.retry_after_s is not None else random.uniform(0, delay)
            last = attempt == attempts or elapsed + wait >= budget_s
            log.warning("model call failed", call=what, attempt=attempt, code=exc.code, error=exc.message[:300],
                        giving_up=last)
            if last:
                raise on_exhausted(exc, attempt) from None
            time.sleep(wait)
            delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")
