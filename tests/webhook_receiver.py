"""A webhook receiver on loopback, as an integrator runs one: it verifies every delivery with the
standardwebhooks library, answers from a script (then 200), and records what it got."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support import eventually


class Receiver:
    """A webhook receiver on loopback: answers from a script (then 200), records every delivery."""

    def __init__(self, secret: str):
        from standardwebhooks.webhooks import Webhook

        self.verifier = Webhook(secret)
        self.script: list[tuple[int, dict]] = []
        self.deliveries: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload, verified = receiver.verifier.verify(raw, headers), True
                except Exception:  # noqa: BLE001 - recorded: a test asserts on it
                    payload, verified = json.loads(raw or b"null"), False
                with receiver.lock:
                    status, extra = receiver.script.pop(0) if receiver.script else (200, {})
                    receiver.deliveries.append({"headers": headers, "payload": payload, "verified": verified, "raw": raw,
                                                "t": time.monotonic(), "path": self.path, "answered": status})
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/menu"

    def wait(self, n: int, timeout: float = 30) -> list[dict]:
        """The deliveries so far, once there are at least n."""
        def arrived() -> list[dict]:
            with self.lock:
                return list(self.deliveries) if len(self.deliveries) >= n else []

        return eventually(arrived, timeout_s=timeout, what=lambda: f"{n} deliveries ({len(self.deliveries)} so far)")

    def close(self):
        self.server.shutdown()
