"""A gRPC proxy in front of the Firestore emulator that counts what Firestore bills.

Point FIRESTORE_EMULATOR_HOST at it and every client's traffic passes through unchanged, while the
meter counts, per collection:
- writes: each Write in a Commit or BatchWrite (a create, update, set or delete is one write);
- reads: each document a GetDocument or BatchGetDocuments returns, found or missing; each document a
  RunQuery returns, and one for a query that returns none; one per aggregation; and, on a Listen
  stream, each document a target receives that is new to it or changed since it last received it.
Index entries, which Firestore does not bill as writes, are not counted.

Why the Listen rule: the emulator re-sends a query target's whole result set on every change, where
Firestore sends (and bills) only the documents added to or changed in the result. Counting every
document the emulator sends would bill a 6-page job 21 reads instead of 6.
"""
from __future__ import annotations

import collections
import threading
from concurrent import futures

import grpc
from google.cloud.firestore_v1.types import firestore as fs

_SERVICE = "/google.firestore.v1.Firestore/"
_UNARY_STREAM = {"BatchGetDocuments", "RunQuery", "RunAggregationQuery"}
_STREAM_STREAM = {"Listen", "Write"}


def collection_of(document_name: str) -> str:
    # projects/p/databases/d/documents/<collection>/<id>[/<sub>/<id>...]
    tail = document_name.split("/documents/", 1)[-1]
    return tail.split("/", 1)[0]


class Meter:
    """Counters of billed reads and writes, by collection; safe to read while traffic flows."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reads: collections.Counter = collections.Counter()
        self.writes: collections.Counter = collections.Counter()

    def read(self, collection: str, n: int = 1) -> None:
        with self._lock:
            self.reads[collection] += n

    def write(self, collection: str, n: int = 1) -> None:
        with self._lock:
            self.writes[collection] += n

    def totals(self) -> dict:
        with self._lock:
            return {"reads": dict(self.reads), "writes": dict(self.writes),
                    "read_total": sum(self.reads.values()), "write_total": sum(self.writes.values())}


def _count_request(meter: Meter, method: str, raw: bytes) -> None:
    if method in ("Commit", "BatchWrite"):
        req = (fs.CommitRequest if method == "Commit" else fs.BatchWriteRequest).pb().FromString(raw)
        for w in req.writes:
            kind = w.WhichOneof("operation")
            name = w.update.name if kind == "update" else w.delete if kind == "delete" else w.transform.document
            meter.write(collection_of(name))


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, channel: grpc.Channel, meter: Meter):
        self._channel, self._meter = channel, meter

    def service(self, details):
        if not details.method.startswith(_SERVICE):
            return None
        method = details.method[len(_SERVICE):]
        if method in _STREAM_STREAM:
            return grpc.stream_stream_rpc_method_handler(self._stream_stream(details.method, method))
        if method in _UNARY_STREAM:
            return grpc.unary_stream_rpc_method_handler(self._unary_stream(details.method, method))
        return grpc.unary_unary_rpc_method_handler(self._unary_unary(details.method, method))

    def _unary_unary(self, path: str, method: str):
        upstream = self._channel.unary_unary(path)

        def handle(raw: bytes, context: grpc.ServicerContext) -> bytes:
            _count_request(self._meter, method, raw)
            try:
                out = upstream(raw, metadata=context.invocation_metadata())
            except grpc.RpcError as exc:
                context.abort(exc.code(), exc.details() or "")
            if method == "GetDocument":
                self._meter.read(collection_of(fs.GetDocumentRequest.pb().FromString(raw).name))
            return out

        return handle

    def _unary_stream(self, path: str, method: str):
        upstream = self._channel.unary_stream(path)

        def handle(raw: bytes, context: grpc.ServicerContext):
            call = upstream(raw, metadata=context.invocation_metadata())
            context.add_callback(call.cancel)
            returned, collection = 0, "?"
            if method == "RunQuery":
                q = fs.RunQueryRequest.pb().FromString(raw).structured_query
                collection = q.from_[0].collection_id if len(q.from_) else "?"
            try:
                for out in call:
                    if method == "BatchGetDocuments":
                        resp = fs.BatchGetDocumentsResponse.pb().FromString(out)
                        name = resp.found.name if resp.HasField("found") else resp.missing
                        if name:
                            self._meter.read(collection_of(name))
                    elif method == "RunQuery":
                        if fs.RunQueryResponse.pb().FromString(out).HasField("document"):
                            returned += 1
                            self._meter.read(collection)
                    yield out
            except grpc.RpcError as exc:
                context.abort(exc.code(), exc.details() or "")
            if method == "RunQuery" and returned == 0:
                self._meter.read(collection)  # a query that matches nothing is still billed one read
            elif method == "RunAggregationQuery":
                self._meter.read("aggregation")

        return handle

    def _stream_stream(self, path: str, method: str):
        upstream = self._channel.stream_stream(path)

        def handle(requests, context: grpc.ServicerContext):
            seen: dict[tuple[int, str], tuple[int, int]] = {}  # (target, document) -> update_time received

            def forward():
                for raw in requests:
                    if method == "Listen":
                        req = fs.ListenRequest.pb().FromString(raw)
                        if req.WhichOneof("target_change") == "remove_target":
                            for key in [k for k in seen if k[0] == req.remove_target]:
                                del seen[key]
                    if method == "Write":
                        for w in fs.WriteRequest.pb().FromString(raw).writes:
                            self._meter.write(collection_of(w.update.name or w.delete))
                    yield raw

            call = upstream(forward(), metadata=context.invocation_metadata())
            context.add_callback(call.cancel)
            try:
                for out in call:
                    if method == "Listen":
                        resp = fs.ListenResponse.pb().FromString(out)
                        if resp.WhichOneof("response_type") == "document_change":
                            doc = resp.document_change.document
                            version = (doc.update_time.seconds, doc.update_time.nanos)
                            for tid in resp.document_change.target_ids:
                                if seen.get((tid, doc.name)) != version:
                                    seen[(tid, doc.name)] = version
                                    self._meter.read(collection_of(doc.name))
                    yield out
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.CANCELLED:
                    context.abort(exc.code(), exc.details() or "")

        return handle


def serve(listen_port: int, upstream: str, meter: Meter, max_streams: int = 2000) -> grpc.Server:
    """Start the proxy on 127.0.0.1:listen_port, forwarding to the emulator at upstream (host:port)."""
    channel = grpc.insecure_channel(upstream)
    # Listen streams hold a server thread each for their whole life.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_streams),
                         handlers=[_Handler(channel, meter)], maximum_concurrent_rpcs=max_streams)
    server.add_insecure_port(f"127.0.0.1:{listen_port}")
    server.start()
    return server


def serve_rest(listen_port: int, upstream: str, meter: Meter):
    """The same meter for Firestore's REST API (the rate limiter's path): batchGet reads and commit writes.

    Point FIRESTORE_EMULATOR_REST_HOST at it. Returns the server; call shutdown() to stop it.
    """
    import json
    import urllib.error
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            req = urllib.request.Request(f"http://{upstream}{self.path}", data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    status, out = resp.status, resp.read()
            except urllib.error.HTTPError as exc:
                status, out = exc.code, exc.read()
            if status == 200:
                sent = json.loads(body or b"{}")
                if self.path.endswith(":batchGet"):
                    for name in sent.get("documents", []):
                        meter.read(collection_of(name))  # found or missing, each is billed
                elif self.path.endswith(":commit"):
                    for w in sent.get("writes", []):
                        meter.write(collection_of(w.get("update", {}).get("name") or w.get("delete", "")))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", listen_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
