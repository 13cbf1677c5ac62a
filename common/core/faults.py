"""Which failures are a dependency's passing fault rather than a bug or a refusal: defined here once.

Three questions, three answers, all from the same class lists:
- `outage(exc)`: does this exception mean a dependency is down (answer 503 with Retry-After)?
- `store_unsure()`: Firestore errors after which a write may or may not have been applied (retry,
  then read to find out);
- `store_retryable()` / `store_not_applied()`: what the clients' own retries may repeat, for a read
  and for a write that cannot tell its own landing.
Classes are named, not imported, where they are only compared: signed_url must not load the Google
clients to classify an error.
"""
from __future__ import annotations

import functools

from common.core.errors import Unavailable

# A dependency's failure, by the class that reports it: Firestore and Cloud Tasks (google.api_core,
# gRPC), GCS (google.api_core over requests), R2 (botocore), IAM signBlob and the metadata server
# (urllib), our own HTTP calls (httpx), and the network itself. Named, not imported: signed_url must
# not load the Google clients to classify an error.
_OUTAGE_CLASSES = frozenset({
    "google.api_core.exceptions.ServerError", "google.api_core.exceptions.TooManyRequests",
    "google.api_core.exceptions.RetryError", "google.api_core.exceptions.Aborted",
    "google.api_core.exceptions.Cancelled", "ssl.SSLEOFError", "http.client.IncompleteRead",
    "urllib3.exceptions.ProtocolError", "urllib3.exceptions.TimeoutError",
    "google.auth.exceptions.TransportError", "google.auth.exceptions.RefreshError",
    "botocore.exceptions.HTTPClientError", "botocore.exceptions.ConnectionError",
    "requests.exceptions.ConnectionError", "requests.exceptions.Timeout",
    "httpx.TransportError", "builtins.ConnectionError", "builtins.TimeoutError",
})
_GRPC_OUTAGES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "INTERNAL", "ABORTED", "UNKNOWN"})
RETRY_AFTER_OUTAGE_S = 5


def outage(exc: BaseException) -> Unavailable | None:
    """A 503 for an exception that says a dependency is down or overloaded; None for anything else."""
    names = {f"{c.__module__}.{c.__name__}" for c in type(exc).__mro__}
    what = None
    if names & _OUTAGE_CLASSES:
        what = type(exc).__name__
    elif "urllib.error.HTTPError" in names:
        what = f"HTTP {exc.code}" if exc.code >= 500 or exc.code == 429 else None
    elif "urllib.error.URLError" in names:
        what = f"unreachable ({str(getattr(exc, 'reason', ''))[:80]})"
    elif "botocore.exceptions.ClientError" in names:
        status = (getattr(exc, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        what = f"HTTP {status}" if status >= 500 or status == 429 else None
    elif "google.api_core.exceptions.FailedPrecondition" in names and "currently building" in str(exc).lower():
        what = "an index still building"  # right after a deploy (deploy.sh creates indexes --async)
    elif "google.resumable_media.common.InvalidResponse" in names:
        status = getattr(getattr(exc, "response", None), "status_code", 0) or 0
        what = f"HTTP {status}" if status >= 500 or status == 429 else None
    elif "grpc.RpcError" in names and callable(getattr(exc, "code", None)):
        code = getattr(exc.code(), "name", "")
        what = code if code in _GRPC_OUTAGES else None
    if what is None:
        return None
    return Unavailable(f"a service this request needs is unavailable ({what}); retry shortly",
                       retry_after_s=RETRY_AFTER_OUTAGE_S, code="SERVICE_UNAVAILABLE")


@functools.lru_cache(maxsize=1)
def store_retryable() -> tuple[type[BaseException], ...]:
    """Firestore errors a read, or a write with a precondition, may simply be tried again on."""
    from google.api_core import exceptions as gexc

    return (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError, gexc.TooManyRequests)


@functools.lru_cache(maxsize=1)
def store_not_applied() -> tuple[type[BaseException], ...]:
    """Firestore errors that say a write was surely not applied: safe to repeat a write with no precondition."""
    from google.api_core import exceptions as gexc

    return (gexc.ServiceUnavailable, gexc.TooManyRequests)


@functools.lru_cache(maxsize=1)
def store_unsure() -> tuple[type[BaseException], ...]:
    """Firestore errors after which a commit may or may not have landed: retry, and read to tell."""
    from google.api_core import exceptions as gexc

    return (*store_retryable(), gexc.Unknown, gexc.RetryError, gexc.Aborted, gexc.Cancelled)
