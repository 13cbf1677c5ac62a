"""Read limits kept in this instance's memory: snapshot and stream reads are too frequent to meter in
Firestore, so each instance keeps its own buckets per caller (docs/security.md)."""
from __future__ import annotations

import collections
import math
import threading
import time

from common.api.auth import Caller
from common.core.errors import TooManyRequests
from common.core.sections import LimitSettings


class LocalBuckets:
    """Token buckets in this instance's memory, for requests too frequent to meter in Firestore.

    Snapshot and stream reads are the app's most frequent calls (it polls every 10 s while a stream
    is quiet): a Firestore bucket would add a read and a write to each. Held per instance, a limit
    becomes N times itself over N instances, so the cost of a flood stays bounded by the instance cap
    deploy.sh sets. At most `max_keys` callers are remembered; the least recently seen go first.
    """

    def __init__(self, scope: str, per_min: float, burst: int, max_keys: int = 50_000):
        self.scope, self.rate, self.burst, self.max_keys = scope, per_min / 60.0, float(burst), max_keys
        self._buckets: "collections.OrderedDict[str, tuple[float, float]]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def give_back(self, key: str) -> None:
        """Return a token taken for what turned out not to be this bucket's (never past the burst)."""
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            if key in self._buckets:
                self._buckets[key] = (min(self.burst, self._level(key, now) + 1.0), now)

    def take(self, key: str) -> None:
        """Spend a token, or refuse with 429 and Retry-After."""
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            tokens = self._level(key, now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self._buckets.move_to_end(key)
                while len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
                return
        self._refuse(tokens)

    def _refuse(self, tokens: float) -> None:
        raise TooManyRequests(f"too many {self.scope}; the limit is {self.rate * 60:g} a minute, bursts of "
                              f"{self.burst:g}", retry_after_s=math.ceil((1.0 - tokens) / self.rate))


class ReadLimiter:
    """Snapshot and stream reads per caller, in two buckets that never draw on each other: reads
    that found their job, and reads that did not (misses); and open streams.

    Many phones share a carrier's address, so one of them guessing must not lock the others out of
    the jobs they hold: a miss is charged to the miss bucket only, and a read that found its job to
    the read bucket only (sized for the phones behind one address). A miss past the miss bucket is
    answered 429 instead of 404, which is what stops probing. A read takes its token before it reads
    (so concurrent reads cannot pass the limit together) and a miss gives it back, taking a miss
    token instead: misses hold read tokens only while they are in flight, milliseconds.
    """

    def __init__(self, per_min: float, burst: int, miss_per_min: float, miss_burst: int, max_open_streams: int):
        self.reads = LocalBuckets("job reads", per_min, burst)
        self.misses = LocalBuckets("reads of jobs that do not exist", miss_per_min, miss_burst)
        self.max_open_streams = max_open_streams
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, limits: LimitSettings) -> "ReadLimiter":
        return cls(limits.rate_read_per_min, limits.rate_read_burst, limits.rate_read_miss_per_min,
                   limits.rate_read_miss_burst, limits.max_open_streams_per_caller)

    def admit(self, caller: Caller) -> None:
        """Before any read: take one of the caller's read tokens, or 429 once they are spent."""
        self.reads.take(caller.key)

    def found(self, caller: Caller) -> None:
        """A read found a job the caller may open: its token, taken at admit, stays spent."""

    def missed(self, caller: Caller) -> None:
        """A read found no job the caller may open: its read token back, a miss token taken, and 429
        (not the 404) once such reads are spent."""
        self.reads.give_back(caller.key)
        self.misses.take(caller.key)

    def open_stream(self, caller: Caller):
        """Count an open stream of the caller's; 429 past the cap. Returns the release function."""
        key = caller.key
        with self._lock:
            if self.max_open_streams and self._open.get(key, 0) >= self.max_open_streams:
                raise TooManyRequests(f"too many open event streams; at most {self.max_open_streams} at a time",
                                      retry_after_s=5)
            self._open[key] = self._open.get(key, 0) + 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                left = self._open.get(key, 1) - 1
                if left > 0:
                    self._open[key] = left
                else:
                    self._open.pop(key, None)

        return release

    def open_streams(self, caller: Caller) -> int:
        with self._lock:
            return self._open.get(caller.key, 0)
