"""Request bodies at the front (worker/bodies.js; devstack/edge_bodies.py): refused past their route's
bound before they are read whole, and held in memory only when the request may be sent again."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from devstack.stack import ENTRY_POINTS, HOST
from tests import fronts

STALL_S = 10  # a front that waits for the rest of a body it will refuse never answers within this


@pytest.fixture(params=fronts.KINDS)
def front(request, stack, tmp_path):
    with fronts.front(request.param, stack, tmp_path, {n: stack.function_url(n) for n in ENTRY_POINTS}) as url:
        yield url


def _open(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=STALL_S)
    return sock


def _answer(sock: socket.socket) -> str:
    """The status line of whatever the front answers while the client sends nothing more."""
    try:
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]
    except socket.timeout:
        return "(no answer)"


def _photo_limit(stack) -> int:
    from common.core.settings import get_settings

    return (get_settings().uploads.max_upload_bytes * 4) // 3 + 64 * 1024


@pytest.mark.parametrize("path, declared", [("/api/v1/scan/stream", 100 * 1024 * 1024),
                                            ("/api/v2/scan/jobs", 65537), ("/api/v1/uploads/signed-url", 10 ** 9),
                                            ("/api/v2/profiles", 1024 * 1024)])
def test_a_declared_length_over_the_routes_bound_is_refused_before_any_of_the_body(front, path, declared):
    with _open(front) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode())
        assert _answer(sock).startswith("HTTP/1.1 413")


@pytest.mark.parametrize("path", ["/api/v1/scan/stream", "/api/v1/scan/jobs", "/api/v2/uploads/signed-url"])
def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_bound_not_when_it_ends(front, stack, path):
    bound = _photo_limit(stack) if path.endswith("/stream") else 64 * 1024
    chunk = b"a" * 65536
    with _open(front) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n").encode())
        for _ in range(bound // len(chunk) + 2):  # past the bound, then nothing more: a stalled upload
            sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        assert _answer(sock).startswith("HTTP/1.1 413")


class _Recorder:
    """An origin that counts the body bytes it receives and never answers."""

    def __init__(self):
        self.sock = socket.create_server((HOST, 0))
        self.url = f"http://{HOST}:{self.sock.getsockname()[1]}"
        self.received = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        with conn:
            while chunk := conn.recv(65536):
                self.received += len(chunk)


@pytest.mark.parametrize("kind", fronts.KINDS)
def test_a_photo_too_large_to_hold_streams_through_to_the_function_as_it_arrives(stack, tmp_path, kind):
    """What is not held cannot fill the front's memory: the function sees it before the client is done."""
    recorder = _Recorder()
    origins = {**{n: stack.function_url(n) for n in ENTRY_POINTS}, "scan-stream": recorder.url}
    # A deployment's photo bound (10 MB, 13.4 MB as base64): above what a front holds to send again.
    with fronts.front(kind, stack, tmp_path, origins, env={"MAX_UPLOAD_BYTES": str(10 * 1024 * 1024)}) as url:
        with _open(url) as sock:
            sock.sendall((f"POST /api/v1/scan/stream HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n").encode())
            chunk = b"a" * 65536
            for _ in range(6 * 16):  # 6 MiB of a body that does not end
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            deadline = time.monotonic() + STALL_S
            while recorder.received < 5 * 1024 * 1024 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert recorder.received >= 5 * 1024 * 1024, recorder.received
    recorder.sock.close()


def test_oversized_bodies_to_every_write_route_are_413_and_never_5xx(front, stack, campaign):
    import httpx

    paths = ["/api/v1/uploads/signed-url", "/api/v2/uploads/signed-url", "/api/v1/scan/jobs", "/api/v2/scan/jobs",
             "/api/v1/scan/stream", "/api/v2/profiles", "/api/v2/profiles/prf_x/versions"]
    statuses = []
    for path in paths:
        bound = _photo_limit(stack) if path.endswith("/stream") else 64 * 1024
        for size in (bound + 1, bound * 2, 8 * 1024 * 1024):
            r = httpx.post(front + path, content=b"a" * size, headers={"Content-Type": "application/json"}, timeout=30)
            statuses.append(r.status_code)
            assert r.status_code == 413 and r.json()["error"]["code"] == "BODY_TOO_LARGE", (path, size, r.text[:200])

            def chunks(n=size):
                for at in range(0, n, 65536):
                    yield b"a" * min(65536, n - at)

            if "/profiles" in path:
                continue  # streamed, never held: its function may answer (403 without sign-in) before the bound
            r = httpx.post(front + path, content=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
            statuses.append(r.status_code)
            assert r.status_code == 413, (path, size, "chunked", r.text[:200])
    campaign.count("oversized bodies sent through the fronts", len(statuses))
    campaign.count("oversized bodies refused 413 as they should be", statuses.count(413))
    campaign.count("oversized bodies 5xx", sum(s >= 500 for s in statuses))
