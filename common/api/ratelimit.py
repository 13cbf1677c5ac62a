"""Token buckets per caller and entry point, in Firestore, so a limit holds across instances (the reads
too frequent to meter there are readlimits.py's).

One optimistic transaction per limited request: read the bucket, refill it for the time passed,
spend a token, and write it back on the condition that nobody wrote it since the read (a loser
reads again). A refused request writes nothing. Not a server-side transaction: on the emulator ten
concurrent ones on one bucket took 17 s to settle, and 8 of them still lost; with preconditions
the losers retry at once. A request that keeps losing is refused (only a flood does); any other
Firestore fault lets the request through (logged): an outage of the limiter must not take uploads
down with it.

The transaction goes over Firestore's REST API (gcp/firestore_rest.py), not the gRPC client:
signed_url needs nothing else from Firestore, and importing the client would add ~0.35 s to each
of its cold starts (bench/cold_start.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import time

from common.api.auth import Caller
from common.core import clock, logs
from common.core.errors import TooManyRequests
from common.gcp import firestore_rest

log = logs.get_logger(__name__)
RATE_LIMITS = "scan_rate_limits"
ATTEMPTS = 12  # concurrent requests of one caller take turns on its bucket; only a flood runs out


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
            except firestore_rest.Contended:
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
    rest = firestore_rest.client()
    name = f"{rest.documents}/{RATE_LIMITS}/{doc}"
    current = rest.call("POST", ":batchGet", {"documents": [name]})[0].get("found")
    now = clock.now()
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
            "updated_at": {"timestampValue": firestore_rest.rfc3339(now)},
            "expire_at": {"timestampValue": firestore_rest.rfc3339(expire)}}},
        "currentDocument": unchanged}]})
    return 0.0


