"""Between a front (the Worker, or devstack/gateway.py) and the functions: a hop that loses requests
on cue, as a pooled connection the function closes does.

Each origin URL is `<hop>/fn/<function>`; the hop strips that prefix and sends the request on to the
function. Per request it takes the next step of its plan (then `pass` once the plan is empty):

    pass   relay the function's answer
    drop   reset the connection without sending the request on: the function never sees it
    lose   send it on, then reset the connection instead of answering: the function did the work

A reset is an RST (SO_LINGER 0), what the front sees when it writes onto a connection the function
has closed. Answers are read whole before they are relayed (decoded: no content-encoding), so an
event stream does not pass: tests send snapshots and writes through it.
"""
from __future__ import annotations

import collections
import socket
import struct
import threading
from dataclasses import dataclass

import httpx

# Not relayed: hop-by-hop headers, and what httpx has undone (the length and encoding of a decoded body).
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host", "te",
               "upgrade"}


@dataclass
class Seen:
    step: str
    method: str
    path: str
    headers: dict[str, str]
    status: int | None  # the function's answer (None when it never saw the request)


class LossyOrigin:
    def __init__(self, functions: dict[str, str]):
        self.functions = functions
        self.plan: collections.deque[str] = collections.deque()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._client = httpx.Client(timeout=30)
        threading.Thread(target=self._accept, daemon=True).start()

    def origins(self) -> dict[str, str]:
        """What worker/origins.json would hold, every function reached through this hop."""
        return {name: f"http://127.0.0.1:{self.port}/fn/{name}" for name in self.functions}

    def close(self) -> None:
        self._sock.close()
        self._client.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while True:  # the front keeps connections alive and sends request after request
                request = _read_request(reader)
                if request is None:
                    return
                method, target, headers, body = request
                with self._lock:
                    step = self.plan.popleft() if self.plan else "pass"
                _, _, name, path = target.split("/", 3)
                path = "/" + path
                if step == "drop":
                    self.seen.append(Seen(step, method, path, headers, None))
                    return _reset(conn)
                answer = self._client.request(method, self.functions[name] + path, content=body,
                                              headers={k: v for k, v in headers.items() if k not in _HOP_BY_HOP})
                self.seen.append(Seen(step, method, path, headers, answer.status_code))
                if step == "lose":
                    return _reset(conn)
                head = [f"HTTP/1.1 {answer.status_code} {answer.reason_phrase}"]
                head += [f"{k}: {v}" for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP]
                head += [f"content-length: {len(answer.content)}", "", ""]
                conn.sendall("\r\n".join(head).encode("latin-1") + answer.content)
        except OSError:
            return
        finally:
            reader.close()
            conn.close()


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _read_request(reader) -> tuple[str, str, dict[str, str], bytes] | None:
    line = reader.readline()
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (line := reader.readline().decode("latin-1").rstrip("\r\n")):
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while (size := int(reader.readline().split(b";")[0], 16)):
            body += reader.read(size)
            reader.readline()
        reader.readline()
    else:
        body = reader.read(int(headers.get("content-length", 0)))
    return method, target, headers, body
