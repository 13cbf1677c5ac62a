"""Where a webhook may go: each address judged, names resolved once and the request sent to what was
checked, bounded answers (common/notify/egress.py). Receivers are servers on loopback in this process."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def test_dns_rebinding_between_creation_and_delivery_is_refused_at_delivery():
    from common.notify import egress

    answers = iter([["93.184.216.34"], ["10.0.0.5"]])
    resolve = lambda host, port: next(answers)  # noqa: E731 - a DNS server that changes its mind
    first = egress.check("https://hooks.example.com/in", resolve=resolve)
    assert first.address == "93.184.216.34" and first.host == "hooks.example.com"
    with pytest.raises(egress.Refused, match="does not resolve to a public address") as refused:
        egress.check("https://hooks.example.com/in", resolve=resolve)
    assert refused.value.detail == "a private address"  # for the delivery's log line only


def test_a_name_that_does_not_resolve_is_refused_naming_it():
    import socket

    from common.notify import egress

    def nxdomain(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(egress.Refused, match="does not resolve"):
        egress.check("https://no-such-host.example/hook", resolve=nxdomain)


def test_a_name_with_any_refused_address_among_its_answers_is_refused():
    from common.notify import egress

    with pytest.raises(egress.Refused, match="does not resolve to a public address") as refused:
        egress.check("https://mixed.example.com/", resolve=lambda h, p: ["93.184.216.34", "127.0.0.1"])
    assert refused.value.detail == "a loopback address"


def test_the_request_goes_to_the_checked_address_with_the_name_in_the_host_header():
    from common.notify import egress

    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            seen["host"] = self.headers["Host"]
            seen["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        # The name would now resolve anywhere: the request still goes to the address that was checked.
        target = egress.check(f"http://hooks.example.com:{port}/in", allow_loopback=True,
                              resolve=lambda h, p: ["127.0.0.1"])
        status = egress.post(target, b"{}", {"Content-Type": "application/json"}, 5)
        assert status == 204 and seen == {"host": f"hooks.example.com:{port}", "body": b"{}"}
    finally:
        server.shutdown()


def test_a_lookup_that_cannot_answer_now_is_not_a_refusal():
    import socket

    from common.notify import egress

    def dns_down(host, port):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with pytest.raises(egress.Unresolved) as caught:
        egress.check("https://hooks.example.com/in", resolve=dns_down)
    assert caught.value.status == 503 and caught.value.headers()["Retry-After"]


def test_ipv4_addresses_come_first_and_a_refused_connection_moves_to_the_next_checked_address(monkeypatch):
    import socket

    from common.notify import egress

    infos = [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2600:1f18::1", 443, 0, 0)),
             (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
             (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.35", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: infos)
    assert egress.system_resolver("hooks.example.com", 443) == ["93.184.216.34", "93.184.216.35", "2600:1f18::1"]
    monkeypatch.undo()  # the connection below must use the real resolver for its literal addresses

    got = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            got.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        # 127.0.0.2 is loopback too, but nothing listens there: the next address is tried.
        target = egress.Target(url="", scheme="http", host="hooks.example.com", port=port, path="/in",
                               addresses=("127.0.0.2", "127.0.0.1"))
        assert egress.post(target, b"{}", {}, 5) == 200 and got == [f"hooks.example.com:{port}"]
    finally:
        server.shutdown()


@pytest.mark.parametrize("address, allowed", [
    ("::1", True), ("127.0.0.1", True), ("fec0::1", False), ("192.0.0.8", False), ("100.64.0.1", False),
    ("2001:db8::1", False), ("93.184.216.34", True), ("2606:4700::1111", True),
])
def test_each_kind_of_address_is_judged_as_the_rules_say(address, allowed):
    from common.notify import egress

    assert (egress.refusal(address, allow_loopback=True) is None) is allowed


def test_a_receiver_that_trickles_its_answer_cannot_hold_a_delivery_past_its_timeout():
    from common.notify import egress

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = egress.check(f"http://127.0.0.1:{server.server_address[1]}/in", allow_loopback=True)
        t0 = time.monotonic()
        status = None
        try:
            status = egress.post(target, b"{}", {}, 2)
        except TimeoutError:
            pass
        assert time.monotonic() - t0 < 4 and status in (None, 200)
    finally:
        server.shutdown()


def test_international_names_are_mapped_as_browsers_map_them():
    from common.notify import egress

    seen = []
    target = egress.check("https://faß.de./hook", resolve=lambda h, p: seen.append(h) or ["93.184.216.34"])
    assert target.host == "xn--fa-hia.de" and seen == ["xn--fa-hia.de"]
