"""Typed errors: each carries a stable code and the HTTP status it maps to."""
from __future__ import annotations


class AppError(Exception):
    """Base for every error the API reports as {"error": {"code", "message"}}."""

    code = "INTERNAL"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}

    def headers(self) -> dict:
        """Response headers the status calls for (Retry-After, WWW-Authenticate)."""
        return {}


class ConfigError(AppError):
    code = "CONFIG_ERROR"
    status = 500


class BadRequest(AppError):
    code = "INVALID_REQUEST"
    status = 400


class InvalidJson(BadRequest):
    code = "INVALID_JSON"


class UnsupportedMediaType(AppError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class NotFound(AppError):
    code = "NOT_FOUND"
    status = 404


class MethodNotAllowed(AppError):
    code = "METHOD_NOT_ALLOWED"
    status = 405


class Unauthorized(AppError):
    """No usable credential. Never says whether the thing asked for exists."""

    code = "UNAUTHORIZED"
    status = 401

    def headers(self) -> dict:
        return {"WWW-Authenticate": 'Bearer realm="menu-scan"'}


class Forbidden(AppError):
    code = "FORBIDDEN"
    status = 403


class Unprocessable(AppError):
    code = "UNPROCESSABLE"
    status = 422


class PayloadTooLarge(AppError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class Unavailable(AppError):
    """A dependency is not ready yet; the caller (often Cloud Tasks) should retry."""

    code = "UNAVAILABLE"
    status = 503

    def __init__(self, message: str, *, retry_after_s: int = 5, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after_s)}


class TooManyRequests(AppError):
    """The caller's rate limit is spent; Retry-After says when a request will be accepted again."""

    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after_s = max(1, int(retry_after_s))

    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after_s)}


class ScanError(Exception):
    """A job-level failure reported to the phone as an `error` event, then done(failed)."""

    def __init__(self, code: str, message: str, *, recoverable: bool = False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.recoverable = recoverable


class LeaseLost(Exception):
    """This run no longer owns the job; another delivery took over, so it must stop writing."""


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
