"""What the fake servers (Gemini, Expo) share: a threaded loopback HTTP server and its command line."""
from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(handler: type[BaseHTTPRequestHandler], port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(handler: type[BaseHTTPRequestHandler], description: str) -> None:
    """`python -m devstack.fake_x --port N`: serve until killed."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, required=True)
    serve(handler, ap.parse_args().port).serve_forever()
