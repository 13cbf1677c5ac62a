"""A local server speaking Expo's push API (POST /--/api/v2/push/send and /getReceipts), with
scripted faults. It refuses what Expo refuses: more than 100 messages in a request (400
PUSH_TOO_MANY_NOTIFICATIONS), a `to` that is not an Expo push token (400 VALIDATION_ERROR), a
message over 4096 bytes (ticket error MessageTooBig), a token the test marked unregistered (ticket
or receipt error DeviceNotRegistered), and a wrong access token when one is required.

Control under /_control/: script {kind: send|receipts, responses: [{status, retry_after},
{ticket_error}, {receipt_error}, {no_receipt}]}, unregister {token, when: ticket|receipt},
require_token {token}, messages (what was accepted), reset.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devstack import fake_server

TOKEN = re.compile(r"^(ExponentPushToken|ExpoPushToken)\[[^\]]+\]$")
MAX_MESSAGES = 100
MAX_PAYLOAD_BYTES = 4096


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.scripts: dict[str, deque] = defaultdict(deque)
            self.messages: list[dict] = []
            self.receipts: dict[str, dict] = {}
            self.unregistered: dict[str, str] = {}  # token -> "ticket" or "receipt"
            self.access_token: str | None = None
            self.calls: dict[str, int] = defaultdict(int)

    def next(self, kind: str) -> dict:
        with self.lock:
            self.calls[kind] += 1
            return self.scripts[kind].popleft() if self.scripts[kind] else {}


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return json.loads(raw or b"null")

    def do_GET(self):
        if self.path == "/_control/health":
            return self._send(200, {"ok": True})
        if self.path == "/_control/messages":
            with STATE.lock:
                return self._send(200, {"messages": STATE.messages, "calls": dict(STATE.calls),
                                        "receipts": STATE.receipts})
        return self._send(404, {"errors": [{"code": "NOT_FOUND", "message": self.path}]})

    def do_POST(self):
        path = self.path.split("?")[0]
        if path.startswith("/_control/"):
            return self._control(path[len("/_control/"):], self._json() or {})
        if path not in ("/--/api/v2/push/send", "/--/api/v2/push/getReceipts"):
            return self._send(404, {"errors": [{"code": "NOT_FOUND", "message": path}]})
        if STATE.access_token and self.headers.get("Authorization") != f"Bearer {STATE.access_token}":
            return self._send(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "The bearer token is invalid"}]})
        try:
            body = self._json()
        except ValueError:
            return self._send(400, {"errors": [{"code": "VALIDATION_ERROR", "message": "invalid JSON"}]})
        kind = "send" if path.endswith("/send") else "receipts"
        action = STATE.next(kind)
        if action.get("status"):
            headers = {"Retry-After": str(action["retry_after"])} if action.get("retry_after") else None
            return self._send(int(action["status"]), {"errors": [{"code": "INTERNAL_SERVER_ERROR" if
                                                                  int(action["status"]) >= 500 else "TOO_MANY_REQUESTS",
                                                                  "message": "scripted"}]}, headers)
        return self._push(body, action) if kind == "send" else self._receipts(body, action)

    def _push(self, body, action: dict) -> None:
        messages = body if isinstance(body, list) else [body]
        if len(messages) > MAX_MESSAGES:
            return self._send(400, {"errors": [{"code": "PUSH_TOO_MANY_NOTIFICATIONS",
                                                "message": f"more than {MAX_MESSAGES} notifications"}]})
        for m in messages:
            if not isinstance(m, dict) or not isinstance(m.get("to"), str) or not TOKEN.match(m["to"]):
                return self._send(400, {"errors": [{"code": "VALIDATION_ERROR",
                                                    "message": '"to" must be an Expo push token'}]})
        tickets = []
        with STATE.lock:
            for m in messages:
                size = len(json.dumps(m, ensure_ascii=False).encode())
                error = action.get("ticket_error")
                if STATE.unregistered.get(m["to"]) == "ticket":
                    error = "DeviceNotRegistered"
                elif size > MAX_PAYLOAD_BYTES:
                    error = "MessageTooBig"
                if error:
                    tickets.append({"status": "error", "message": f"scripted {error}", "details": {"error": error}})
                    continue
                ticket_id = str(uuid.uuid4())
                STATE.messages.append({**m, "ticket_id": ticket_id})
                if not action.get("no_receipt"):
                    if STATE.unregistered.get(m["to"]) == "receipt" or action.get("receipt_error"):
                        code = action.get("receipt_error") or "DeviceNotRegistered"
                        STATE.receipts[ticket_id] = {"status": "error", "message": code, "details": {"error": code}}
                    else:
                        STATE.receipts[ticket_id] = {"status": "ok"}
                tickets.append({"status": "ok", "id": ticket_id})
        return self._send(200, {"data": tickets})

    def _receipts(self, body, action: dict) -> None:
        ids = (body or {}).get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return self._send(400, {"errors": [{"code": "VALIDATION_ERROR", "message": '"ids" must be a list'}]})
        with STATE.lock:
            found = {i: STATE.receipts[i] for i in ids if i in STATE.receipts}
        return self._send(200, {"data": found})

    def _control(self, what: str, body: dict) -> None:
        with STATE.lock:
            if what == "script":
                STATE.scripts[body["kind"]].extend(body["responses"])
            elif what == "unregister":
                STATE.unregistered[body["token"]] = body.get("when", "ticket")
            elif what == "require_token":
                STATE.access_token = body.get("token")
        if what == "reset":
            STATE.reset()
        return self._send(200, {"ok": True})


def serve(port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    return fake_server.serve(Handler, port, host)


if __name__ == "__main__":
    fake_server.main(Handler, __doc__)
