"""HTTP plumbing for the asyncio entry point (events): the same routes, errors and request ids as web.py."""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from common.api import web
from common.core import logs, tracing
from common.core.errors import AppError


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/json",
                    headers=headers)


def error_response(err: AppError) -> Response:
    return json_response(err.to_dict(), err.status, err.headers())


class Router(web.Dispatch):
    """web.Router for async handlers: `await handler(request, **path_args)`."""

    def __init__(self, name: str, public: bool = True):
        super().__init__(name, public)

    async def _health(self, request):
        return json_response(self.health_body())

    async def __call__(self, request: Request) -> Response:
        rid, client_rid, client_trace = self.identify_request(request.headers)
        token = logs.request_id_var.set(rid)
        client_token = logs.client_request_id_var.set(client_rid)
        path = request.url.path
        try:
            with tracing.request(f"{request.method} {path}", request.headers, self.trusts_trace(request.headers),
                                 links=client_trace, request_id=rid) as sp:
                try:
                    handler, args = self.resolve(request.method, path, request.headers)
                    resp = await handler(request, **args)
                except Exception as exc:  # noqa: BLE001 - the last line of defence: JSON, never an HTML 500 page
                    err = web.failure(exc, path)
                    resp = error_response(err) if err is not None else json_response(web.INTERNAL_ERROR, 500)
                tracing.answered(sp, resp.status_code)
        finally:
            logs.client_request_id_var.reset(client_token)
            logs.request_id_var.reset(token)
        resp.headers.setdefault("X-Request-Id", rid)
        return resp
