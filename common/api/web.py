"""HTTP plumbing shared by every function: routing, errors as JSON, request ids (bodies.py reads bodies)."""
from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any, Callable, Iterable

import flask
from werkzeug.exceptions import MethodNotAllowed as WzMethodNotAllowed
from werkzeug.exceptions import NotFound as WzNotFound
from werkzeug.routing import Map, Rule

from common.api import auth, bodies
from common.core import logs, trace_ids, tracing
from common.core.errors import (
    AppError,
    MethodNotAllowed,
    NotFound,
)
from common.core.faults import outage
from common.core.settings import get_settings

log = logs.get_logger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,128}$")


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> flask.Response:
    resp = flask.Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def error_response(err: AppError) -> flask.Response:
    return json_response(err.to_dict(), err.status, err.headers())


def request_id(headers, trusted: bool = True) -> str:
    """The id the Worker minted (or Cloud Run's trace header) when the request came from a caller we
    trust, and it is sane; else a new one: a client never chooses the id its request is logged under."""
    for header in ("X-Request-Id", "X-Cloud-Trace-Context") if trusted else ():
        value = (headers.get(header) or "").split("/")[0]
        if value and _REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


CLIENT_REQUEST_ID_HEADER = "X-Client-Request-Id"
CLIENT_TRACE_HEADER = "X-Client-Traceparent"


Handler = Callable[..., flask.Response | tuple | Iterable]


class Routes:
    """A path table for one function: which handler serves a method and path, or a typed 404/405."""

    def __init__(self):
        self._map = Map(strict_slashes=False)
        self._handlers: dict[str, Handler] = {}

    def route(self, path: str, methods: list[str]):
        def register(fn: Handler) -> Handler:
            endpoint = f"{fn.__name__}:{path}"
            self._map.add(Rule(path, endpoint=endpoint, methods=methods))
            self._handlers[endpoint] = fn
            return fn

        return register

    def match(self, method: str, path: str) -> tuple[Handler, dict]:
        try:
            endpoint, args = self._map.bind("localhost", path_info=path).match(method=method)
        except WzNotFound:
            raise NotFound(f"no route for {path}") from None
        except WzMethodNotAllowed as exc:
            raise MethodNotAllowed(
                f"{method} is not allowed on {path}; allowed: {', '.join(sorted(exc.valid_methods or []))}"
            ) from None
        return self._handlers[endpoint], args


def log_refusal(err: AppError, path: str) -> None:
    if err.status >= 500:
        log.error("request failed", code=err.code, error=err.message, path=path)
    else:
        log.info("request refused", code=err.code, error=err.message, path=path, status=err.status)


INTERNAL_ERROR = {"error": {"code": "INTERNAL", "message": "internal error"}}


def failure(exc: Exception, path: str) -> AppError | None:
    """What a handler's exception answers: its own 4xx/503, a 503 for a dependency's outage, or
    None for a bug (a JSON 500). Logged here, once, for every router."""
    if isinstance(exc, AppError):
        log_refusal(exc, path)
        return exc
    down = outage(exc)
    if down is not None:
        log.warning("dependency unavailable", path=path, error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return down
    log.exception("unhandled error", path=path)
    return None


def service_name(default: str) -> str:
    """The deployed entry point's name (Cloud Run's K_SERVICE), which one source may serve several of."""
    return os.environ.get("K_SERVICE") or os.environ.get("FUNCTION_TARGET") or default


class Dispatch(Routes):
    """What every router does, WSGI or ASGI: /health, the route table, and the gate in front of it.

    `public` entry points refuse requests that did not come through the Worker once ORIGIN_SECRET
    is set (health checks aside): the functions' own URLs must not be a way around the Worker's
    routing, client addresses and limits.
    """

    def __init__(self, name: str, public: bool):
        super().__init__()
        self.name, self.public = name, public
        if public and os.environ.get("K_SERVICE") and not get_settings().access.origin_secret:
            # On Cloud Run without it, anyone may call the function's own URL past the Worker, and
            # every caller looks like the Worker's address to the rate limits.
            log.error("ORIGIN_SECRET is not set on a public function: requests are not checked for the Worker",
                      function=name)
        tracing.setup(service_name(name))

    def trusts_trace(self, headers) -> bool:
        """Whether the caller's trace (and its sampled flag) is ours to follow: the Worker's, which
        decides sampling at the edge, or an internal caller's (IAM stands before private entry points)."""
        return not self.public or auth.through_origin(headers)

    def identify_request(self, headers) -> tuple[str, str, tuple]:
        """(request id, the client's own id, the client's trace to link): the ids the Worker minted, and
        the client's that it passed on beside them, from a trusted caller only."""
        trusted = self.trusts_trace(headers)
        client_id = (headers.get(CLIENT_REQUEST_ID_HEADER) or "") if trusted else ""
        client_trace = trace_ids.parse_traceparent(headers.get(CLIENT_TRACE_HEADER)) if trusted else None
        return (request_id(headers, trusted), client_id if _REQUEST_ID.match(client_id) else "",
                (client_trace,) if client_trace else ())

    def resolve(self, method: str, path: str, headers) -> tuple[Handler, dict]:
        if path.rstrip("/") == "/health" and method == "GET":
            return self._health, {}
        if self.public:
            auth.require_origin(headers)
        return self.match(method, path)

    def health_body(self) -> dict:
        return {"status": "ok", "function": self.name}

    def _health(self, request):
        raise NotImplementedError


class Router(Dispatch):
    """Routes one deployed entry point's paths to its handlers (Flask, under gunicorn)."""

    def __init__(self, name: str, public: bool = True):
        super().__init__(name, public)

    def _health(self, request):
        return json_response(self.health_body())

    def __call__(self, request: flask.Request):
        rid, client_rid, client_trace = self.identify_request(request.headers)
        token = logs.request_id_var.set(rid)
        client_token = logs.client_request_id_var.set(client_rid)
        job_token = logs.job_id_var.set("")
        try:
            with tracing.request(f"{request.method} {request.path}", request.headers, self.trusts_trace(request.headers),
                                 links=client_trace, request_id=rid) as sp:
                try:
                    handler, args = self.resolve(request.method, request.path, request.headers)
                    resp = handler(request, **args)
                except bodies.DroppedTask as dropped:
                    log.warning("task dropped", code=dropped.err.code, error=dropped.err.message)
                    resp = json_response({"dropped": dropped.err.code, "message": dropped.err.message}, 200)
                except Exception as exc:  # noqa: BLE001 - the last line of defence: JSON, never an HTML 500 page
                    err = failure(exc, request.path)
                    resp = error_response(err) if err is not None else json_response(INTERNAL_ERROR, 500)
                tracing.answered(sp, getattr(resp, "status_code", None))
        finally:
            logs.job_id_var.reset(job_token)
            logs.client_request_id_var.reset(client_token)
            logs.request_id_var.reset(token)
        if isinstance(resp, flask.Response):
            resp.headers.setdefault("X-Request-Id", rid)
            _leave_body_unread(request, resp)
        return resp


def _leave_body_unread(request: flask.Request, resp: flask.Response) -> None:
    """functions-framework reads whatever body is left after every answer (read_request): for a
    request refused before its body was read (origin, size, type, rate), that would pull the whole
    upload into memory anyway. Mark it read."""
    if resp.status_code >= 400 and not getattr(request, "_body_read", False) and "_cached_data" not in vars(request):
        # gunicorn then discards what is left of the body as it arrives (memory-free). Shutting the
        # socket's read side instead would save that time, but resets a client or proxy still
        # sending, which then never sees the 413 (tried: the gateway answered 502).
        request._cached_data = b""
