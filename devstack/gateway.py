"""The local single origin without Node: routes as the Cloudflare Worker does, from the same route table.

/api/v1/... is proxied to the function that owns the route; responses stream through unbuffered, so
SSE frames reach the client as they are written. /assets/<key> is served from the S3 bucket, the page
(worker/public/) at / with the Worker's headers, and CORS answered as worker/cors.js answers it. The
stack runs worker/index.js itself under workerd by default (STACK_FRONT=python picks this one).
"""
from __future__ import annotations

import argparse
import json
import re
import secrets
import urllib.parse
import uuid
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from common.core import logs, trace_ids
from common.gcp import assets
from common.core.settings import get_settings
from devstack import edge_bodies

log = logs.get_logger("gateway")
ROUTES_FILE = Path(__file__).resolve().parent.parent / "worker" / "routes.json"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}
# Headers only the Worker may set: a client sending them is ignored, as the Worker strips them too.
WORKER_ONLY = {"x-origin-secret", "x-client-ip", "x-internal-secret", "x-forwarded-for", "x-edge-request-key",
               "x-edge-send", "x-client-request-id", "x-client-traceparent", "x-cloud-trace-context", "tracestate"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,128}$")
PUBLIC_DIR = ROUTES_FILE.parent / "public"
PAGE_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
              ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
# As worker/cors.js: no credentials mode (reads carry a bearer token, never a cookie).
CORS_ALLOW_HEADERS = "authorization, content-type, idempotency-key, last-event-id, traceparent, x-request-id"
CORS_EXPOSE_HEADERS = "retry-after, x-request-id, x-job-id"
CORS_MAX_AGE_S = "600"


def load_routes(origins: dict) -> tuple[list, re.Pattern, str, int, dict]:
    table = json.loads(ROUTES_FILE.read_text())
    compiled = []
    for r in table["routes"]:
        pattern = "^" + re.sub(r"\{[a-z_]+\}", "[^/]+", r["path"]) + "/?$"
        compiled.append((r["method"], re.compile(pattern), origins[r["function"]], (r.get("replay"), r.get("body"))))
    return compiled, re.compile(table["asset_key_pattern"]), table["assets_prefix"], table["sends"], table


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def page_headers(upload_origin: str) -> dict[str, str]:
    """worker/page.js's headers: the page may load from this origin only, and PUT photos to the upload host."""
    connect = " ".join(filter(None, ("'self'", upload_origin)))
    return {"content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
                                       f"connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'none'; "
                                       "frame-ancestors 'none'",
            "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-cache"}


def load_page() -> dict[str, tuple[bytes, str]]:
    """URL path -> (body, content type) for every file of worker/public/, index.html at /."""
    files = {f"/{f.name}": (f.read_bytes(), PAGE_TYPES.get(f.suffix, "application/octet-stream"))
             for f in PUBLIC_DIR.iterdir() if f.is_file()}
    files["/"] = files["/index.html"]
    return files


def cors_headers(origin: str) -> dict[str, str]:
    return {"access-control-allow-origin": origin, "access-control-expose-headers": CORS_EXPOSE_HEADERS,
            "vary": "Origin"}


def preflight(request: Request, origin: str | None, methods: list[str]) -> Response:
    if origin is None:
        asked = request.headers.get("origin") or "(none)"
        return error(403, "CORS_ORIGIN_NOT_ALLOWED", f"origin {asked} is not in CORS_ORIGINS")
    method = request.headers["access-control-request-method"]
    if method not in methods:
        return error(405, "METHOD_NOT_ALLOWED",
                     f"{method} is not allowed on this route (allowed: {', '.join(methods)})")
    return Response(None, 204, {**cors_headers(origin), "access-control-allow-methods": ", ".join(methods),
                                "access-control-allow-headers": CORS_ALLOW_HEADERS,
                                "access-control-max-age": CORS_MAX_AGE_S})


def build_app(origins: dict):
    routes, asset_key, assets_prefix, sends, table = load_routes(origins)
    # A fresh upstream connection per request. With a pool, a create-job POST now and then died
    # unanswered under the 200-job load test (502 ReadError; twice in seven runs, both with idle
    # connections already dropped after 1 s): the likeliest cause is gunicorn closing a kept-alive
    # connection as a stalled gateway writes onto it (gunicorn 27 also stalled its own accept loop
    # for 2 s at a time, since pinned away: tests/stack/test_contract.py). A new connection has no such race,
    # and on loopback costs well under a millisecond. Production has no such hop: the Worker reaches
    # Cloud Run through Google's front end. Any upstream failure is logged with its cause.
    client = httpx.AsyncClient(timeout=httpx.Timeout(connect=5, read=None, write=30, pool=None),
                               limits=httpx.Limits(max_connections=4000, max_keepalive_connections=0))
    settings = get_settings()
    page, headers_of_page = load_page(), page_headers(settings.uploads.upload_origin)
    allowed_origins = set(settings.access.cors_origin_list)

    async def proxy(request: Request) -> Response:
        path = request.url.path
        if path == "/_gateway/health":
            return JSONResponse({"status": "ok"})
        if path.startswith(assets_prefix):
            return await asset(request, path[len(assets_prefix):])
        if not _valid_percent_encoding(request.scope.get("raw_path", b"").decode("latin-1")):
            return error(400, "INVALID_REQUEST", "the request path is not valid percent-encoding")
        # scope["path"], not request.url.path: building the URL silently drops tabs and newlines.
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in request.scope.get("path", path)):
            # No route has control characters; refused here so no server's plain-text 404 leaks out.
            return error(400, "INVALID_REQUEST", "the request path contains control characters")
        if path in page and request.method in ("GET", "HEAD"):
            body, kind = page[path]
            return Response(b"" if request.method == "HEAD" else body, 200,
                            {"content-type": kind, **headers_of_page})
        matches = [(m, origin, replay) for m, rx, origin, replay in routes if rx.match(path)]
        if not matches:
            return error(404, "NOT_FOUND", f"no route for {path}")
        cors_origin = request.headers.get("origin")
        cors_origin = cors_origin if cors_origin in allowed_origins else None
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return preflight(request, cors_origin, [m for m, *_ in matches])
        response = await forward(request, path, matches)
        if cors_origin:
            response.headers.update(cors_headers(cors_origin))
        return response

    async def forward(request: Request, path: str, matches: list) -> Response:
        origin, (replay, body_kind) = next(((o, r) for m, o, r in matches if m == request.method), (None, (None, None)))
        if origin is None:
            return error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {path}")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | WORKER_ONLY}
        # As the Worker does (routes.json `replay`): a write is sent again only where its repeat converges,
        # and the front's own key is given (and a create-job sent again without the client's) only with
        # an origin secret, the only way a function honours that key.
        edge_key = replay == "keyed" and "idempotency-key" not in headers and bool(settings.access.origin_secret)
        replayable = request.method in ("GET", "HEAD") or replay == "safe" or (
            replay == "keyed" and (edge_key or "idempotency-key" in headers))
        if edge_key:
            headers["x-edge-request-key"] = secrets.token_hex(32)
        # As the Worker does: the request id and the trace minted here, the client's passed on beside them.
        client_id = request.headers.get("x-request-id")
        if client_id and _REQUEST_ID.match(client_id):
            headers["x-client-request-id"] = client_id
        headers["x-request-id"] = uuid.uuid4().hex
        client_trace = trace_ids.parse_traceparent(request.headers.get("traceparent"))
        if client_trace:
            headers["x-client-traceparent"] = client_trace.traceparent
        headers["traceparent"] = trace_ids.mint(settings.cloud.trace_sample_ratio).traceparent
        # Cloudflare's edge sets CF-Connecting-IP from the TCP peer; locally there is no edge, so a
        # client may state it (tests play many phones). The Worker's proof rides along with it.
        peer = request.client.host if request.client else ""
        headers["x-client-ip"] = request.headers.get("cf-connecting-ip") or peer
        headers["x-forwarded-for"] = peer
        if settings.access.origin_secret:
            headers["x-origin-secret"] = settings.access.origin_secret.get_secret_value()
        # Forward the path as the client sent it (still percent-encoded), as the Worker does.
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or path
        url = origin + raw_path + (f"?{request.url.query}" if request.url.query else "")
        sending = edge_bodies.Sending(None, True)
        if request.method not in ("GET", "HEAD"):
            limit = edge_bodies.body_limit(table, body_kind, settings.uploads.max_upload_bytes)
            try:
                sending = await edge_bodies.bounded(request.headers, request.stream, limit, replayable,
                                                    table["replay_buffer_bytes"])
            except edge_bodies.BodyTooLarge as exc:
                return error(413, "BODY_TOO_LARGE", str(exc))
        try:
            upstream_req = client.build_request(request.method, url, headers=headers, content=sending.body)
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            return error(400, "INVALID_REQUEST", f"malformed request URL: {type(exc).__name__}")
        for send in range(1, sends + 1):
            if edge_key:
                upstream_req.headers["x-edge-send"] = str(send)
            try:
                upstream = await client.send(upstream_req, stream=True)
                break
            # Also a connect or write timeout, which the Worker has none of: neither means an answer began.
            except (httpx.HTTPError, edge_bodies.BodyTooLarge) as exc:
                if sending.over:
                    limit = edge_bodies.body_limit(table, body_kind, settings.uploads.max_upload_bytes)
                    return error(413, "BODY_TOO_LARGE", str(edge_bodies.BodyTooLarge(limit)))
                # Type and cause only: a message could quote the URL, and its query may hold an access token.
                cause = exc.__cause__ or exc.__context__
                again = replayable and sending.replayable and send < sends
                log.warning("upstream failed, sending again" if again else "upstream failed", method=request.method,
                            path=path, send=send, error=type(exc).__name__,
                            cause=f"{type(cause).__name__}: {cause}"[:200] if cause else None)
                if not again:
                    return error(502, "BAD_GATEWAY", f"upstream unavailable: {type(exc).__name__}")
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(upstream.aiter_raw(), status_code=upstream.status_code, headers=out_headers,
                                 background=_close(upstream))

    async def asset(request: Request, key: str) -> Response:
        if request.method not in ("GET", "HEAD"):
            return error(405, "METHOD_NOT_ALLOWED", "assets are read-only")
        if not asset_key.match(key):
            return error(404, "NOT_FOUND", "no such asset")
        url = assets.client().generate_presigned_url(
            "get_object", Params={"Bucket": settings.assets.r2_bucket, "Key": key}, ExpiresIn=60)
        upstream = await client.get(url)
        if upstream.status_code == 404 or upstream.status_code == 403 and b"NoSuchKey" in upstream.content:
            return error(404, "NOT_FOUND", "no such asset")
        if upstream.status_code != 200:
            return error(502, "BAD_GATEWAY", f"asset store answered {upstream.status_code}")
        keep = ("content-type", "cache-control", "etag", "last-modified")
        return Response(upstream.content, 200, {k: v for k, v in upstream.headers.items() if k.lower() in keep})

    async def app(scope, receive, send) -> None:
        # A bare ASGI app, not Starlette routing: its path patterns do not match a path holding a
        # newline, and would answer such a request with a plain-text 404 of their own.
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        response = await proxy(Request(scope, receive))
        await response(scope, receive, send)

    return app


def _valid_percent_encoding(raw_path: str) -> bool:
    """What decodeURIComponent accepts in the Worker: every % followed by two hex digits, decoding to UTF-8."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw_path):
        return False
    try:
        urllib.parse.unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _close(upstream: httpx.Response):
    from starlette.background import BackgroundTask

    return BackgroundTask(upstream.aclose)


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--origins", required=True, help="JSON file: function name -> base URL")
    args = ap.parse_args()
    logs.configure("WARNING")
    app = build_app(json.loads(Path(args.origins).read_text()))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_keep_alive=75)


if __name__ == "__main__":
    main()
