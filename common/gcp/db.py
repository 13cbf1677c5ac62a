"""The Firestore client and collection names, created once per process."""
from __future__ import annotations

import datetime as dt
import functools

from common.core import tracing
from common.core.settings import get_settings

JOBS = "scan_jobs"
EVENTS = "scan_events"
CACHE = "scan_cache"
KNOWLEDGE = "dish_knowledge"  # what scans taught about dishes, by name and reader language (knowledge.py)
IDEMPOTENCY = "scan_idempotency"
LEASES = "scan_leases"
RATE_LIMITS = "scan_rate_limits"
BUDGET = "scan_budget"  # the daily job budget's counters (budget.py)


@functools.lru_cache(maxsize=1)
def client():
    """Firestore client; FIRESTORE_EMULATOR_HOST points it at the emulator."""
    from google.cloud import firestore  # here: signed_url uses the names, never the client

    tracing.instrument("grpc")
    return firestore.Client(project=get_settings().google_cloud_project)


@functools.lru_cache(maxsize=1)
def _fast_retry():
    from google.api_core import exceptions as gexc
    from google.api_core import retry

    return retry.Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=8.0,
                       predicate=retry.if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded,
                                                         gexc.InternalServerError, gexc.TooManyRequests))


def fast() -> dict:
    """Call options for a request path: the client's own retry of an outage for 8 s (its default is
    60 s for a commit, 300 s for a read), so a caller gets a 503 instead of a hang."""
    return {"retry": _fast_retry(), "timeout": 5.0}


@functools.lru_cache(maxsize=1)
def _write_retry():
    from google.api_core import exceptions as gexc
    from google.api_core import retry

    return retry.Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=8.0,
                       predicate=retry.if_exception_type(gexc.ServiceUnavailable, gexc.TooManyRequests))


def fast_write() -> dict:
    """fast() for a commit that cannot tell its own landing (no precondition to fail on a repeat):
    retried only where the write was surely not applied, as the client's own default does."""
    return {"retry": _write_retry(), "timeout": 10.0}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def expiry() -> dt.datetime:
    """Value for the `expire_at` field that the TTL policies delete on."""
    return now() + dt.timedelta(days=get_settings().ttl_days)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
