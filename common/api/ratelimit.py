"""Token buckets per caller and entry point: in Firestore, so a limit holds across instances, and
in memory (LocalBuckets) for the reads that are too frequent to meter there.

One optimistic transaction per limited request: read the bucket, refill it for the time passed,
spend a token, and write it back on the condition that nobody wrote it since the read (a loser
reads again). A refused request writes nothing. Not a server-side transaction: on the emulator ten
concurrent ones on one bucket took 17 s to settle, and 8 of them still lost; with preconditions
the losers retry at once. A request that keeps losing is refused (only a flood does); any other
Firestore fault lets the request through (logged): an outage of the limiter must not take uploads
down with it.

The transaction goes over Firestore's REST API with the standard library, not the gRPC client:
signed_url needs nothing else from Firestore, and importing the client would add ~0.35 s to each
of its cold starts (bench/cold_start.py). On Cloud Run the token comes from the metadata server.
"""
from __future__ import annotations

import collections
import datetime as dt
import hashlib
import http.client
import json
import math
import os
import random
import threading
import time

from common.core import logs
from common.gcp import db, metadata
from common.api.auth import Caller
from common.core.settings import get_settings
from common.core.errors import TooManyRequests

log = logs.get_logger(__name__)
ATTEMPTS = 12  # concurrent requests of one caller take turns on its bucket; only a flood runs out


class _Contended(Exception):
    pass


def take(caller: Caller, scope: str, per_min: float, burst: int) -> None:
    """Spend one token of the caller's `scope` bucket, or raise TooManyRequests with Retry-After."""
    if per_min <= 0:
        return
    rate = per_min / 60.0
    doc = hashlib.sha256(f"{scope}\n{caller.key}".encode()).hexdigest()
    try:
        for attempt in range(ATTEMPTS):
            try:
                wait_s = _spend(doc, scope, rate, burst)
                break
            except _Contended:
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # jittered, so the losers spread out
        else:
            log.warning("rate limit contended; refusing", scope=scope)
            wait_s = 1.0 / rate
    except (OSError, ValueError, KeyError) as exc:
        log.warning("rate limiter unavailable; letting the request through", scope=scope, error=str(exc)[:200])
        return
    if wait_s > 0:
        raise TooManyRequests(f"too many requests to {scope}; the limit is {per_min:g} a minute, "
                              f"bursts of {burst}", retry_after_s=math.ceil(wait_s))


def _spend(doc: str, scope: str, rate: float, burst: int) -> float:
    """One optimistic round: read the bucket, then write it on the condition that it is unchanged."""
    rest = _rest()
    name = f"{rest.documents}/{db.RATE_LIMITS}/{doc}"
    current = rest.call("POST", ":batchGet", {"documents": [name]})[0].get("found")
    now = db.now()
    tokens = float(burst)
    if current:
        fields = current["fields"]
        updated = dt.datetime.fromisoformat(fields["updated_at"]["timestampValue"].replace("Z", "+00:00"))
        elapsed = max(0.0, (now - updated).total_seconds())
        tokens = min(float(burst), float(fields["tokens"]["doubleValue"]) + elapsed * rate)
    if tokens < 1.0:
        return (1.0 - tokens) / rate  # refused: nothing to write
    # A full bucket is the same as no bucket: the document may expire once it would be full again.
    expire = now + dt.timedelta(seconds=burst / rate + 60)
    unchanged = {"updateTime": current["updateTime"]} if current else {"exists": False}
    rest.call("POST", ":commit", {"writes": [{
        "update": {"name": name, "fields": {
            "scope": {"stringValue": scope}, "tokens": {"doubleValue": tokens - 1.0},
            "updated_at": {"timestampValue": _rfc3339(now)}, "expire_at": {"timestampValue": _rfc3339(expire)}}},
        "currentDocument": unchanged}]})
    return 0.0


def _rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Rest:
    """Just enough of the Firestore REST API for one optimistic transaction; the emulator or production.

    One kept-alive connection per thread: a new TCP (and, in production, TLS) connection for each
    of the two calls would cost more than the calls themselves.
    """

    def __init__(self, project: str):
        # The REST address may differ from the gRPC one (bench/firestore_cost.py meters each).
        emulator = os.environ.get("FIRESTORE_EMULATOR_REST_HOST") or os.environ.get("FIRESTORE_EMULATOR_HOST")
        self._host, self._tls = (emulator, False) if emulator else ("firestore.googleapis.com", True)
        self.documents = f"projects/{project}/databases/(default)/documents"
        self._path = f"/v1/{self.documents}"
        self._emulator = bool(emulator)
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._tls else http.client.HTTPConnection
            conn = self._local.conn = kind(self._host, timeout=5)
        return conn

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self._bearer()}"}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, self._path + path, body=data, headers=headers)
                resp = conn.getresponse()
                status, raw = resp.status, resp.read()
                break
            except (http.client.HTTPException, ConnectionError) as exc:
                conn.close()  # a kept-alive connection the server closed meanwhile: one fresh try
                self._local.conn = None
                if attempt == 2:
                    raise OSError(f"Firestore unreachable: {exc}") from None
        if status == 200:
            return json.loads(raw or b"{}")
        detail = raw[:300]
        if status in (400, 409) and any(s in detail for s in (b"FAILED_PRECONDITION", b"ALREADY_EXISTS", b"ABORTED")):
            raise _Contended()  # another request spent from the bucket since our read
        raise OSError(f"Firestore answered {status}: {detail[:200]!r}")

    def _bearer(self) -> str:
        return "owner" if self._emulator else metadata.access_token()


_client: _Rest | None = None
_client_lock = threading.Lock()


def _rest() -> _Rest:
    global _client
    with _client_lock:
        if _client is None:
            _client = _Rest(get_settings().google_cloud_project)
        return _client


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

    def check(self, key: str) -> None:
        """Refuse (429) when the caller has no token left, without spending one."""
        if self.rate <= 0:
            return
        with self._lock:
            tokens = self._level(key, time.monotonic())
        if tokens < 1.0:
            self._refuse(tokens)

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
    """Snapshot and stream reads per caller: all of them, the misses among them, and open streams.

    A read that finds its job is never refused for misses: many phones share a carrier's address,
    and one of them guessing must not lock the others out of the jobs they hold. A miss past the
    miss bucket is answered 429 instead of 404, which is what stops probing.
    """

    def __init__(self, per_min: float, burst: int, miss_per_min: float, miss_burst: int, max_open_streams: int):
        self.reads = LocalBuckets("job reads", per_min, burst)
        self.misses = LocalBuckets("reads of jobs that do not exist", miss_per_min, miss_burst)
        self.max_open_streams = max_open_streams
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def admit(self, caller: Caller) -> None:
        """Before any read: 429 once the caller's reads are spent."""
        self.reads.take(caller.key)

    def missed(self, caller: Caller) -> None:
        """A read found no job the caller may open: 429 (not the 404) once such reads are spent."""
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
