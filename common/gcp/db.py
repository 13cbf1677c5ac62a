"""The Firestore client, created once per process, and the call options of a request path.

Each collection's name lives with its one reader and writer (jobs/store.py, jobs/pages.py, ...)."""
from __future__ import annotations

import datetime as dt
import functools

from common.core import clock, faults, tracing
from common.core.settings import get_settings


@functools.lru_cache(maxsize=1)
def client():
    """Firestore client; FIRESTORE_EMULATOR_HOST points it at the emulator."""
    from google.cloud import (
        firestore,  # here: signed_url uses the names, never the client
    )

    tracing.instrument("grpc")
    return firestore.Client(project=get_settings().cloud.google_cloud_project)


@functools.lru_cache(maxsize=1)
def _fast_retry():
    from google.api_core import retry

    return retry.Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=8.0,
                       predicate=retry.if_exception_type(*faults.store_retryable()))


def fast() -> dict:
    """Call options for a request path: the client's own retry of an outage for 8 s (its default is
    60 s for a commit, 300 s for a read), so a caller gets a 503 instead of a hang."""
    return {"retry": _fast_retry(), "timeout": 5.0}


@functools.lru_cache(maxsize=1)
def _write_retry():
    from google.api_core import retry

    return retry.Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=8.0,
                       predicate=retry.if_exception_type(*faults.store_not_applied()))


def fast_write() -> dict:
    """fast() for a commit that cannot tell its own landing (no precondition to fail on a repeat):
    retried only where the write was surely not applied, as the client's own default does."""
    return {"retry": _write_retry(), "timeout": 10.0}


def expiry() -> dt.datetime:
    """Value for the `expire_at` field that the TTL policies delete on."""
    return clock.now() + dt.timedelta(days=get_settings().cloud.ttl_days)
