"""Just enough of Firestore's REST API for one optimistic transaction, with the standard library: the
rate limiter's path, where importing the gRPC client would add ~0.35 s to signed_url's cold start.
On Cloud Run the token comes from the metadata server."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import threading

from common.core.settings import get_settings
from common.gcp import metadata


class Contended(Exception):
    """A write's precondition failed: another request wrote the document since our read."""


def rfc3339(t: dt.datetime) -> str:
    """A timestamp as the REST API writes one."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Rest:
    """Just enough of the Firestore REST API for one optimistic transaction; the emulator or production.

    One kept-alive connection per thread: a new TCP (and, in production, TLS) connection for each
    of the two calls would cost more than the calls themselves.
    """

    def __init__(self, project: str):
        # The REST address may differ from the gRPC one (bench/firestore_cost.py meters each).
        emulator = os.environ.get("FIRESTORE_EMULATOR_REST_HOST") or os.environ.get("FIRESTORE_EMULATOR_HOST")
        self._host, self._tls = (emulator, False) if emulator else ("firestore.googleapis.com", True)
        self.documents = f"projects/{project}/databases/(default)/documents"
        self._path = f"/v1/{self.documents}"
        self._emulator = bool(emulator)
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._tls else http.client.HTTPConnection
            conn = self._local.conn = kind(self._host, timeout=5)
        return conn

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self._bearer()}"}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, self._path + path, body=data, headers=headers)
                resp = conn.getresponse()
                status, raw = resp.status, resp.read()
                break
            except (http.client.HTTPException, ConnectionError) as exc:
                conn.close()  # a kept-alive connection the server closed meanwhile: one fresh try
                self._local.conn = None
                if attempt == 2:
                    raise OSError(f"Firestore unreachable: {exc}") from None
        if status == 200:
            return json.loads(raw or b"{}")
        detail = raw[:300]
        if status in (400, 409) and any(s in detail for s in (b"FAILED_PRECONDITION", b"ALREADY_EXISTS", b"ABORTED")):
            raise Contended()  # another request spent from the bucket since our read
        raise OSError(f"Firestore answered {status}: {detail[:200]!r}")

    def _bearer(self) -> str:
        return "owner" if self._emulator else metadata.access_token()


_client: Rest | None = None
_client_lock = threading.Lock()


def client() -> Rest:
    """The process's REST client, built once."""
    global _client
    with _client_lock:
        if _client is None:
            _client = Rest(get_settings().cloud.google_cloud_project)
        return _client
