"""Wall-clock time in UTC, the one source every stored timestamp and lease judgement reads.

Code that judges time (a lease's end, a deadline) takes a `now` callable defaulting to `now` here,
so unit tests pass a clock of their own instead of sleeping.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

Clock = Callable[[], dt.datetime]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(value: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, as the API shows times; None stays None."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


class FrozenClock:
    """A clock that moves only when told: for tests of time-judging code."""

    def __init__(self, start: dt.datetime | None = None):
        self.value = start or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += dt.timedelta(seconds=seconds)
