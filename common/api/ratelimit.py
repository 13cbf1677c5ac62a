"""Token buckets per caller and entry point, in Firestore, so a limit holds across instances (the reads
too frequent to meter there are readlimits.py's).

One optimistic transaction per limited request: read the bucket, refill it for the time passed,
spend a token, and write it back on the condition that nobody wrote it since the read (a loser
reads again). A refused request writes nothing. Not a server-side transaction: on the emulator ten
concurrent ones on one bucket took 17 s to settle, and 8 of them still lost; with preconditions
the losers retry at once. A request that keeps losing is refused (only a flood does); any other
Firestore fault lets the request through (logged): an outage of the limiter must not take uploads
down with it. A bucket may also count its caller's requests of the UTC day (job creation's cap per
caller, which the daily budget's reserve reads too), in the same document: no read or write more.

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
from typing import NamedTuple

from common.api.auth import Caller
from common.core import clock, logs
from common.core.errors import TooManyRequests
from common.gcp import firestore_rest

log = logs.get_logger(__name__)
RATE_LIMITS = "scan_rate_limits"
ATTEMPTS = 12  # concurrent requests of one caller take turns on its bucket; only a flood runs out


class Spent(NamedTuple):
    wait_s: float  # > 0: refused, the bucket holds a token again after this long
    today: int  # the caller's requests counted in this bucket today, before this one
    capped: bool = False  # refused: the caller's day is spent


def take(caller: Caller, scope: str, per_min: float, burst: int, *, key: str | None = None,
         daily_cap: int = 0, units: int = 1, day_only: bool = False) -> int:
    """Spend one token of the caller's `scope` bucket, or raise TooManyRequests with Retry-After.

    With a `daily_cap`, the same document also counts the caller's requests of the UTC day (no
    read or write more): past the cap, 429 DAILY_LIMIT_REACHED until midnight. Returns how many
    the day had counted before this one (0 without a cap, or when the limiter could not say).
    `key` scopes the bucket otherwise than `caller.key` (job creation: Caller.wide_key). `units` is what
    the day counts (a multi-page scan's pages); `day_only` counts them without spending a token.
    """
    if per_min <= 0 and daily_cap <= 0:
        return 0
    rate = per_min / 60.0
    doc = hashlib.sha256(f"{scope}\n{key or caller.key}".encode()).hexdigest()
    try:
        for attempt in range(ATTEMPTS):
            try:
                spent = _spend(doc, scope, rate, burst, daily_cap, units, day_only)
                break
            except firestore_rest.Contended:
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # jittered, so the losers spread out
        else:
            log.warning("rate limit contended; refusing", scope=scope)
            spent = Spent(1.0 / rate if rate > 0 else 1.0, 0)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("rate limiter unavailable; letting the request through", scope=scope, error=str(exc)[:200])
        return 0
    if spent.capped:
        raise TooManyRequests(f"this caller's {daily_cap} requests to {scope} for today are spent; they renew at "
                              "00:00 UTC", retry_after_s=_until_midnight_s(clock.now()), code="DAILY_LIMIT_REACHED")
    if spent.wait_s > 0:
        raise TooManyRequests(f"too many requests to {scope}; the limit is {per_min:g} a minute, "
                              f"bursts of {burst}", retry_after_s=math.ceil(spent.wait_s))
    return spent.today


def _until_midnight_s(now: dt.datetime) -> int:
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    return int((midnight - now).total_seconds()) + 1


def _spend(doc: str, scope: str, rate: float, burst: int, daily_cap: int, units: int = 1,
           day_only: bool = False) -> Spent:
    """One optimistic round: read the bucket, then write it on the condition that it is unchanged."""
    rest = firestore_rest.client()
    name = f"{rest.documents}/{RATE_LIMITS}/{doc}"
    current = rest.call("POST", ":batchGet", {"documents": [name]})[0].get("found")
    now = clock.now()
    day = now.strftime("%Y-%m-%d")
    tokens, today = float(burst), 0
    if current:
        fields = current["fields"]
        updated = dt.datetime.fromisoformat(fields["updated_at"]["timestampValue"].replace("Z", "+00:00"))
        elapsed = max(0.0, (now - updated).total_seconds())
        tokens = min(float(burst), float(fields["tokens"]["doubleValue"]) + elapsed * rate)
        if fields.get("day", {}).get("stringValue") == day:
            today = int(fields["day_count"]["integerValue"])
    if daily_cap and today + units > daily_cap:
        return Spent(1.0, today, capped=True)  # refused: nothing to write
    if rate > 0 and tokens < 1.0 and not day_only:
        return Spent((1.0 - tokens) / rate, today)  # refused: nothing to write
    # A full bucket is the same as no bucket: the document may expire once it would be full again
    # (and, with a day counted, once the day is over).
    expire = now + dt.timedelta(seconds=burst / rate + 60 if rate > 0 else 60)
    left = tokens if day_only else tokens - 1.0
    values = {"scope": {"stringValue": scope}, "tokens": {"doubleValue": left if rate > 0 else float(burst)},
              "updated_at": {"timestampValue": firestore_rest.rfc3339(now)}}
    if daily_cap:
        expire = max(expire, now + dt.timedelta(seconds=_until_midnight_s(now) + 60))
        values.update({"day": {"stringValue": day}, "day_count": {"integerValue": str(today + units)}})
    values["expire_at"] = {"timestampValue": firestore_rest.rfc3339(expire)}
    unchanged = {"updateTime": current["updateTime"]} if current else {"exists": False}
    rest.call("POST", ":commit", {"writes": [{"update": {"name": name, "fields": values},
                                              "currentDocument": unchanged}]})
    return Spent(0.0, today)
