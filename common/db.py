"""The Firestore client and collection names, created once per process."""
from __future__ import annotations

import datetime as dt
import functools

from common.config import get_settings

JOBS = "scan_jobs"
EVENTS = "scan_events"
CACHE = "scan_cache"
IDEMPOTENCY = "scan_idempotency"
LEASES = "scan_leases"
RATE_LIMITS = "scan_rate_limits"
BUDGET = "scan_budget"  # the daily job budget's counters (budget.py)


@functools.lru_cache(maxsize=1)
def client():
    """Firestore client; FIRESTORE_EMULATOR_HOST points it at the emulator."""
    from google.cloud import firestore  # here: signed_url uses the names, never the client

    return firestore.Client(project=get_settings().google_cloud_project)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def expiry() -> dt.datetime:
    """Value for the `expire_at` field that the TTL policies delete on."""
    return now() + dt.timedelta(days=get_settings().ttl_days)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
