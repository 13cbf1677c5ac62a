"""A TCP proxy that injects outages between the functions and one dependency, for the outage campaign.

    python -m devstack.fault_proxy --listen PORT --target HOST:PORT --control PORT

It forwards bytes both ways (gRPC to Firestore, HTTP to GCS and the S3 server alike) until told,
through its control port, to misbehave for a while:

    POST /fault {"mode": "refuse", "seconds": 5}   new connections are reset, open ones cut
    POST /fault {"mode": "error", "seconds": 5, "status": 503}
                                                   (HTTP upstreams) each request is answered with
                                                   that status; open connections are cut
    POST /fault {"mode": "delay", "seconds": 5, "delay_ms": 800}
                                                   every chunk is held that long, both ways
    POST /fault {"mode": "pass"}                   back to normal now
    GET  /stats                                    connections seen, cut and refused

A fault ends by itself after `seconds`, so a test that dies cannot leave the stack broken.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time


class Proxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.mode, self.until, self.status, self.delay_s = "pass", 0.0, 503, 0.0
        self.open: set[asyncio.StreamWriter] = set()
        self.stats = {"connections": 0, "refused": 0, "cut": 0, "errors_answered": 0}

    def fault(self) -> str:
        if self.mode != "pass" and time.monotonic() >= self.until:
            self.mode = "pass"
        return self.mode

    def set_fault(self, body: dict) -> None:
        self.mode = body.get("mode", "pass")
        self.until = time.monotonic() + float(body.get("seconds", 0))
        self.status = int(body.get("status", 503))
        self.delay_s = float(body.get("delay_ms", 0)) / 1000
        if self.mode in ("refuse", "error"):
            for writer in list(self.open):  # open connections die with the outage
                self.stats["cut"] += 1
                writer.transport.abort()

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        mode = self.fault()
        if mode == "refuse":
            self.stats["refused"] += 1
            writer.transport.abort()
            return
        if mode == "error":
            await self._answer_error(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.open.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.open.discard(writer)
            self.open.discard(up_writer)
            for w in (writer, up_writer):
                w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if self.fault() == "delay":
                    await asyncio.sleep(self.delay_s)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def _answer_error(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            body = json.dumps({"error": {"code": self.status, "message": "injected outage"}}).encode()
            writer.write(b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (self.status, len(body), body))
            await writer.drain()
            self.stats["errors_answered"] += 1
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


async def control(proxy: Proxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        method, path = head.split(" ")[:2]
        length = next((int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length")),
                      0)
        body = json.loads(await reader.readexactly(length)) if length else {}
        if method == "POST" and path == "/fault":
            proxy.set_fault(body)
            answer = {"mode": proxy.mode}
        else:
            answer = {**proxy.stats, "mode": proxy.fault()}
        data = json.dumps(answer).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(data), data))
        await writer.drain()
    finally:
        writer.close()


async def serve(listen: int, target: str, control_port: int) -> None:
    host, _, port = target.rpartition(":")
    proxy = Proxy(host, int(port))
    await asyncio.start_server(proxy.client, "127.0.0.1", listen)
    server = await asyncio.start_server(lambda r, w: control(proxy, r, w), "127.0.0.1", control_port)
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--control", type=int, required=True)
    args = ap.parse_args()
    asyncio.run(serve(args.listen, args.target, args.control))


if __name__ == "__main__":
    main()
