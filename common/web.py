"""HTTP plumbing shared by every function: routing, JSON bodies, errors as JSON, request ids."""
from __future__ import annotations

import json
import re
import uuid
from typing import Any, Callable, Iterable, TypeVar

import flask
from werkzeug.exceptions import MethodNotAllowed as WzMethodNotAllowed
from werkzeug.exceptions import NotFound as WzNotFound
from werkzeug.routing import Map, Rule

from common import logs
from common.errors import AppError, InvalidJson, MethodNotAllowed, NotFound, UnsupportedMediaType

log = logs.get_logger(__name__)
M = TypeVar("M")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,128}$")


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> flask.Response:
    resp = flask.Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def error_response(err: AppError) -> flask.Response:
    return json_response(err.to_dict(), err.status, err.headers())


def request_id(request: flask.Request) -> str:
    """The caller's id when it is sane (Worker or Cloud Run trace header), else a new one."""
    for header in ("X-Request-Id", "X-Cloud-Trace-Context"):
        value = (request.headers.get(header) or "").split("/")[0]
        if value and _REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


def parse_json(request: flask.Request, model: type[M], *args) -> M:
    """Parse the body with `model.from_json(data, *args)` (common/schemas.py); a 4xx naming the offending field."""
    ctype = request.mimetype or ""
    if ctype != "application/json":
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {ctype or 'none'}")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidJson("request body must be a JSON object")
    return model.from_json(data, *args)


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


class Router(Routes):
    """Routes one function's paths to handlers, so each deployed entry point can serve several."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.route("/health", ["GET"])(lambda request: json_response({"status": "ok", "function": name}))

    def __call__(self, request: flask.Request):
        rid = request_id(request)
        token = logs.request_id_var.set(rid)
        try:
            handler, args = self.match(request.method, request.path)
            resp = handler(request, **args)
        except AppError as err:
            log_refusal(err, request.path)
            resp = error_response(err)
        except Exception:  # noqa: BLE001 - the last line of defence: JSON, never an HTML 500 page
            log.exception("unhandled error", path=request.path)
            resp = json_response(INTERNAL_ERROR, 500)
        finally:
            logs.request_id_var.reset(token)
        if isinstance(resp, flask.Response):
            resp.headers.setdefault("X-Request-Id", rid)
        return resp
