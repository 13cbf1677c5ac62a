"""A front for fake-gcs-server that checks V4 signed URLs the way Cloud Storage does.

fake-gcs-server accepts any request, signed or not, so a URL that real GCS would refuse (a signed
header the client does not send, an expired URL, a body outside the signed size range) passes every
local test. Phones upload through this front instead: it rebuilds the canonical request from the
request it actually received, verifies the RSA signature with the local signing key's public half,
enforces expiry and x-goog-content-length-range, answers refusals in GCS's XML error form, and only
then forwards the request to the emulator. The functions' own storage calls (JSON API, trusted
credentials in production) go to the emulator directly. Browsers upload from the page's origin: the
front answers CORS as a bucket with deploy.sh's CORS configuration does (PUT, the signed headers).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import urllib.parse
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from common.gcp import signing

MAX_BODY = 64 * 1024 * 1024  # the front's own cap on a body it buffers, far above any photo
MAX_EXPIRES_S = 7 * 24 * 3600  # V4's longest validity
_DATE = re.compile(r"^\d{8}T\d{6}Z$")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}
# deploy.sh's bucket CORS configuration: what a browser may PUT, with which headers, from the origins given.
CORS_METHODS = ("PUT",)
CORS_HEADERS = ("content-type", "x-goog-content-length-range")
CORS_MAX_AGE_S = "3600"


class Refusal(Exception):
    """A request GCS would refuse: status, XML error code, message and details."""

    def __init__(self, status: int, code: str, message: str, details: str = "", **extra: str):
        super().__init__(code)
        self.status, self.code, self.message, self.details, self.extra = status, code, message, details, extra

    def xml(self) -> bytes:
        parts = [f"<Code>{self.code}</Code>", f"<Message>{escape(self.message)}</Message>"]
        if self.details:
            parts.append(f"<Details>{escape(self.details)}</Details>")
        parts += [f"<{k}>{escape(v)}</{k}>" for k, v in self.extra.items()]
        return ("<?xml version='1.0' encoding='UTF-8'?><Error>" + "".join(parts) + "</Error>").encode()


def load_public_keys(key_files: list[Path]) -> dict:
    """client_email -> RSA public key, from service-account key files."""
    from cryptography.hazmat.primitives import serialization

    keys = {}
    for path in key_files:
        info = json.loads(path.read_text())
        private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        keys[info["client_email"]] = private.public_key()
    return keys


def verify(method: str, raw_path: str, raw_query: str, headers: dict[str, list[str]], keys: dict,
           now: dt.datetime | None = None) -> str | None:
    """Raise Refusal unless the request carries a valid V4 signature for exactly what it is.

    `headers` maps lower-case names to every value received. Returns the signed
    x-goog-content-length-range, which the body must then satisfy, or None.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    params = {k: v for k, v in pairs}
    lower = {k.lower(): k for k in params}
    if "x-goog-signature" not in lower:
        raise Refusal(403, "AccessDenied", "Access denied.",
                      "Anonymous caller does not have storage.objects.create access to the Google Cloud Storage "
                      "object.")

    def param(name: str) -> str:
        key = lower.get(name.lower())
        if key is None or not params[key]:
            raise Refusal(400, "MalformedSecurityHeader", "Your request has a malformed header.",
                          f"Missing required parameter: {name}", ParameterName=name)
        return params[key]

    algorithm, credential = param("X-Goog-Algorithm"), param("X-Goog-Credential")
    timestamp, expires_raw = param("X-Goog-Date"), param("X-Goog-Expires")
    signed_names, signature = param("X-Goog-SignedHeaders"), param("X-Goog-Signature")
    if algorithm != signing.ALGORITHM:
        raise Refusal(400, "MalformedSecurityHeader", "Your request has a malformed header.",
                      f"Unsupported algorithm: {algorithm}", ParameterName="X-Goog-Algorithm")
    if not _DATE.match(timestamp):
        raise Refusal(400, "MalformedSecurityHeader", "Your request has a malformed header.",
                      f"Invalid X-Goog-Date: {timestamp}", ParameterName="X-Goog-Date")
    if not expires_raw.isdigit() or not 1 <= int(expires_raw) <= MAX_EXPIRES_S:
        raise Refusal(400, "MalformedSecurityHeader", "Your request has a malformed header.",
                      f"X-Goog-Expires must be 1 to {MAX_EXPIRES_S} seconds", ParameterName="X-Goog-Expires")
    email, _, scope = credential.partition("/")
    if not scope.startswith(timestamp[:8] + "/") or not scope.endswith("/storage/goog4_request"):
        raise Refusal(400, "MalformedSecurityHeader", "Your request has a malformed header.",
                      "X-Goog-Credential's scope does not match X-Goog-Date", ParameterName="X-Goog-Credential")
    signed_at = dt.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    if now > signed_at + dt.timedelta(seconds=int(expires_raw)):
        raise Refusal(400, "ExpiredToken", "Invalid argument.", f"Request has expired: {timestamp}")
    names = [n for n in signed_names.lower().split(";") if n]
    if "host" not in names:
        raise Refusal(400, "MalformedSecurityHeader", "Your request has a malformed header.",
                      "host must be a signed header", ParameterName="X-Goog-SignedHeaders")
    # The canonical request is rebuilt from what arrived: a signed header that is missing, or sent
    # with another value, makes another string to sign, and the signature no longer matches.
    received = {n: ",".join(headers.get(n, [])) for n in names}
    query = {k: v for k, v in pairs if k.lower() != "x-goog-signature"}
    request = signing.canonical_request(method, raw_path, query, received)
    to_sign = signing.string_to_sign(timestamp, scope, request)
    key = keys.get(urllib.parse.unquote(email))
    if key is None or not _valid(key, signature, to_sign):
        raise Refusal(403, "SignatureDoesNotMatch", "Access denied.",
                      "The request signature we calculated does not match the signature you provided. Check your "
                      "Google secret key and signing method.", StringToSign=to_sign, CanonicalRequest=request)
    return received.get("x-goog-content-length-range")


def check_length(signed_range: str, size: int) -> None:
    low, _, high = signed_range.partition(",")
    try:
        low_n, high_n = int(low), int(high)
    except ValueError:
        raise Refusal(400, "InvalidArgument", "Invalid argument.",
                      f"x-goog-content-length-range is not min,max: {signed_range}") from None
    if size > high_n:
        raise Refusal(400, "EntityTooLarge", "Your proposed upload is larger than the maximum object size specified "
                                             "in your Policy Document.", "Content-length exceeds upper bound on range")
    if size < low_n:
        raise Refusal(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum object size specified "
                                             "in your Policy Document.", "Content-length is smaller than lower bound "
                                                                         "on range")


def _valid(key, signature_hex: str, to_sign: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key.verify(bytes.fromhex(signature_hex), to_sign.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def cors_preflight(origin: str, method: str, asked: str, allowed: set[str]) -> tuple[int, list, bytes]:
    """GCS's answer to a browser's preflight: the CORS headers, or a refusal naming what is not allowed."""
    wanted = [h.strip().lower() for h in asked.split(",") if h.strip()]
    missing = [h for h in wanted if h not in CORS_HEADERS]
    if origin not in allowed or method not in CORS_METHODS or missing:
        why = (f"origin {origin}" if origin not in allowed else f"method {method}" if method not in CORS_METHODS
               else f"headers {', '.join(missing)}")
        return 403, [], Refusal(403, "AccessDenied", "CORS request not allowed.", f"{why} is not allowed").xml()
    headers = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
               (b"access-control-allow-methods", ", ".join(CORS_METHODS).encode()),
               (b"access-control-allow-headers", ", ".join(wanted).encode()),
               (b"access-control-max-age", CORS_MAX_AGE_S.encode())]
    return 200, headers, b""


def build_app(upstream: str, keys: dict, cors_origins: set[str] = frozenset()):
    """The ASGI app: verify, then forward to the emulator and stream its answer back."""
    client = httpx.AsyncClient(timeout=httpx.Timeout(60), limits=httpx.Limits(max_keepalive_connections=0))

    async def app(scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                done = "startup" if message["type"] == "lifespan.startup" else "shutdown"
                await send({"type": f"lifespan.{done}.complete"})
                if done == "shutdown":
                    return
        headers: dict[str, list[str]] = {}
        for k, v in scope["headers"]:
            headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
        raw_path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        declared = headers.get("content-length", [None])[0]
        origin = headers.get("origin", [""])[0]
        cors = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin")] if origin in cors_origins else []
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            status, preflight, body = cors_preflight(origin, headers["access-control-request-method"][0],
                                                     ",".join(headers.get("access-control-request-headers", [])),
                                                     cors_origins)
            return await _answer(send, status, body, "application/xml; charset=UTF-8", preflight)
        body = None
        try:
            if raw_path == "/_front/health":
                return await _answer(send, 200, b'{"status":"ok"}', "application/json")
            length_range = verify(scope["method"], raw_path, raw_query, headers, keys)
            if length_range is not None and declared and declared.isdigit():
                check_length(length_range, int(declared))  # refused before the body is read, as GCS does
            body = await _read_body(receive)  # past MAX_BODY it refuses, the rest unread (drained above)
            if length_range is not None:
                check_length(length_range, len(body))
        except Refusal as refusal:
            if body is None:  # a client still writing its body would otherwise never read the answer
                await _drain(receive)
            return await _answer(send, refusal.status, refusal.xml(), "application/xml; charset=UTF-8", cors)
        forward = {k: ",".join(v) for k, v in headers.items() if k not in HOP_BY_HOP}
        url = upstream + raw_path + (f"?{raw_query}" if raw_query else "")
        try:
            resp = await client.request(scope["method"], url, headers=forward, content=body)
        except httpx.HTTPError as exc:
            return await _answer(send, 503, Refusal(503, "ServiceUnavailable", "Service unavailable.",
                                                    type(exc).__name__).xml(), "application/xml; charset=UTF-8", cors)
        # fake-gcs-server allows every origin; GCS answers by the bucket's CORS configuration alone.
        out = [(k.encode(), v.encode()) for k, v in resp.headers.items()
               if k.lower() not in HOP_BY_HOP and not k.lower().startswith("access-control-")] + cors
        await send({"type": "http.response.start", "status": resp.status_code,
                    "headers": out + [(b"content-length", str(len(resp.content)).encode())]})
        await send({"type": "http.response.body", "body": resp.content})

    return app


async def _read_body(receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _drain(receive, limit: int = MAX_BODY) -> None:
    seen = 0
    while seen <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body"):
            return


async def _answer(send, status: int, body: bytes, content_type: str, extra: list = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="the emulator's base URL")
    ap.add_argument("--key-file", action="append", required=True, type=Path,
                    help="a service-account key file whose signatures are accepted")
    ap.add_argument("--cors-origin", action="append", default=[], help="an origin browsers may upload from")
    args = ap.parse_args()
    app = build_app(args.upstream.rstrip("/"), load_public_keys(args.key_file), set(args.cors_origin))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
