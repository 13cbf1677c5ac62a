"""Typed errors: each carries a stable code and the HTTP status it maps to."""
from __future__ import annotations

from common.core.text import bounded


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
        # Stored with the error event and on the job: a message quoting a whole answer must not
        # make the failure too large to write (a job document holds 1 MiB).
        message = bounded(message)
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.recoverable = recoverable


class LeaseLost(Exception):
    """This run no longer owns the job; another delivery took over, so it must stop writing."""
