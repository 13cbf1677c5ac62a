"""Completion notifications: an Expo push for the app, Standard Webhooks for servers.

The push goes to the fake Expo server (devstack/fake_expo.py), which refuses what Expo refuses;
webhooks go to a receiver in this process that verifies every delivery with the standardwebhooks
library, as a real integrator would.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from common.jobs import store
from tests.api import wait_for as _wait_for

EXPO_TOKEN = "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]"


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.deliveries) >= n:
                    return list(self.deliveries)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.deliveries)} deliveries, expected {n}")

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(stack):
    r = Receiver(stack.webhook_secret)
    yield r
    r.close()


def _expo(stack, what: str, body: dict | None = None) -> dict:
    if body is None:
        return httpx.get(f"{stack.expo_url}/_control/{what}").json()
    httpx.post(f"{stack.expo_url}/_control/{what}", json=body).raise_for_status()
    return {}


def _push_state(api, job_id: str) -> str:
    from common.gcp import db

    return ((db.client().collection(store.JOBS).document(job_id).get().to_dict() or {}).get("notify") or {}) \
        .get("push", {}).get("state", "")


def _scan_v2(api_v2, photo: bytes, **extra) -> str:
    job_id = api_v2.job(api_v2.upload(photo), "en", **extra)
    frames = api_v2.events(job_id)
    assert frames[-1].event == "done"
    return job_id


# -- webhooks -----------------------------------------------------------------------------------------
def test_a_finished_v2_job_delivers_one_signed_job_completed_webhook_its_receiver_verifies(
        api_v2, stack, menu_photo, receiver):
    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    [delivery] = receiver.wait(1)
    time.sleep(0.5)
    assert len(receiver.deliveries) == 1
    assert delivery["verified"] and delivery["path"] == "/hooks/menu"
    assert delivery["headers"]["webhook-id"] == f"msg_{job_id}"
    payload = delivery["payload"]
    assert payload["type"] == "job.completed" and payload["data"]["job_id"] == job_id
    assert payload["data"]["status"] == "completed" and len(payload["data"]["items"]) == 6
    assert "access_token" not in json.dumps(payload)
    snap = _wait_for(lambda: (s := api_v2.snapshot(job_id))["callback"]["state"] == "delivered" and s,
                     what="the delivery to be recorded")
    assert [(a["attempt"], a["status_code"]) for a in snap["callback"]["attempts"]] == [(1, 200)]
    assert snap["callback"]["message_id"] == f"msg_{job_id}" and snap["callback"]["attempts"][0]["at"].endswith("Z")


def test_a_failed_job_delivers_job_failed_with_its_error(api_v2, stack, menu_photo, receiver):
    api_v2.script("menu", {"not_menu": True})
    _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    [delivery] = receiver.wait(1)
    assert delivery["verified"] and delivery["payload"]["type"] == "job.failed"
    assert delivery["payload"]["data"]["error"]["code"] == "IMAGE_NOT_MENU"


def test_a_receiver_down_for_a_while_gets_the_event_once_it_is_back_under_one_webhook_id(
        api_v2, stack, menu_photo, receiver):
    receiver.script = [(503, {}), (500, {}), (502, {})]
    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    deliveries = receiver.wait(4)
    time.sleep(1.0)
    assert [d["answered"] for d in receiver.deliveries] == [503, 500, 502, 200]  # nothing after the success
    assert {d["headers"]["webhook-id"] for d in deliveries} == {f"msg_{job_id}"}
    assert all(d["verified"] for d in deliveries)
    # The specification's schedule (at 1/500 in the test settings): 0, 10 ms, 0.6 s, 3.6 s, jittered.
    gaps = [b["t"] - a["t"] for a, b in zip(deliveries, deliveries[1:])]
    assert gaps[1] >= 0.45 and gaps[2] >= 3.0, gaps
    snap = _wait_for(lambda: (s := api_v2.snapshot(job_id))["callback"]["state"] == "delivered" and s,
                     what="the delivery to be recorded")
    assert [a["status_code"] for a in snap["callback"]["attempts"]] == [503, 500, 502, 200]


def test_a_410_stops_the_retries(api_v2, stack, menu_photo, receiver):
    receiver.script = [(410, {})]
    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    receiver.wait(1)
    time.sleep(1.5)  # past the 2nd and 3rd attempts' times
    assert len(receiver.deliveries) == 1
    assert _wait_for(lambda: api_v2.snapshot(job_id)["callback"]["state"] == "stopped", what="stopped")


def test_a_redirect_is_not_followed(api_v2, stack, menu_photo, receiver):
    other = Receiver(stack.webhook_secret)
    try:
        receiver.script = [(302, {"Location": other.url}), (307, {"Location": "http://169.254.169.254/"})]
        job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
        receiver.wait(3)
        assert other.deliveries == []
        codes = [a["status_code"] for a in api_v2.snapshot(job_id)["callback"]["attempts"]]
        assert codes[:2] == [302, 307]
    finally:
        other.close()


def test_duplicate_and_concurrent_notify_deliveries_send_one_webhook(api_v2, stack, menu_photo, receiver):
    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    receiver.wait(1)
    url = stack.function_url("notify") + "/"
    body = {"job_id": job_id, "channel": "webhook", "attempt": 1}
    results = []

    def deliver():
        results.append(httpx.post(url, json=body, headers=api_v2.internal(), timeout=30).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.5)
    assert results == [200] * 6 and len(receiver.deliveries) == 1


def test_concurrent_first_deliveries_of_one_webhook_make_one_request(api_v2, stack, menu_photo, receiver):
    from common.gcp import db

    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    receiver.wait(1)
    # Forget the delivery, then race six first attempts: the claim lets one through.
    db.client().collection(store.JOBS).document(job_id).update({"notify.webhook": {}})
    receiver.deliveries.clear()
    url = stack.function_url("notify") + "/"
    threads = [threading.Thread(target=httpx.post, args=(url,),
                                kwargs={"json": {"job_id": job_id, "channel": "webhook", "attempt": 1},
                                        "headers": api_v2.internal(), "timeout": 30}) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.5)
    assert len(receiver.deliveries) == 1


def test_during_a_secret_rotation_every_secret_signs_and_receivers_on_either_verify(
        api_v2, stack, menu_photo, receiver):
    from standardwebhooks.webhooks import Webhook

    new = "whsec_" + "bmV3LXNlY3JldC1mb3ItdGhlLXJvdGF0aW9uLXRlc3Q="
    stack.restart("notify", env={"WEBHOOK_SECRETS": f"{new} {stack.webhook_secret}"})
    try:
        _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
        [delivery] = receiver.wait(1)
    finally:
        stack.restart("notify")
    raw = delivery["raw"]
    assert len(delivery["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (new, stack.webhook_secret):
        assert Webhook(secret).verify(raw, delivery["headers"]) == delivery["payload"]


@pytest.mark.parametrize("url, reason", [
    ("not a url", "not an absolute http(s) URL"),
    ("ftp://example.com/hook", "not an absolute http(s) URL"),
    ("https://user:secret@127.0.0.1/hook", "credentials"),
    ("https://10.1.2.3/hook", "private"),
    ("https://192.168.0.7:8443/hook", "private"),
    ("https://169.254.169.254/computeMetadata/v1/", "metadata"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://[::ffff:10.0.0.1]/hook", "private"),
    ("https://0.0.0.0/hook", "not a public address"),
])
def test_a_callback_url_we_will_not_call_is_refused_at_creation_naming_why(api_v2, url, reason):
    r = api_v2.create_job(api_v2.upload(b"\xff\xd8\xff" + b"0" * 100), "en", callback_url=url)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "INVALID_CALLBACK_URL" and reason in err["message"], err
    from common.gcp import db

    assert list(db.client().collection(store.JOBS).limit(1).stream()) == []  # and no job was made


def test_loopback_and_plain_http_are_refused_where_the_stack_does_not_allow_loopback(api_v2, stack):
    stack.restart("create-job", env={"CALLBACK_ALLOW_LOOPBACK": "false"})
    try:
        for url, reason in (("https://127.0.0.1/hook", "loopback"), ("https://localhost/hook", "loopback"),
                            ("http://example.com/hook", "https is required")):
            r = api_v2.create_job(api_v2.upload(b"\xff\xd8\xff" + b"0" * 100), "en", callback_url=url)
            assert r.status_code == 400 and reason in r.json()["error"]["message"], (url, r.text)
    finally:
        stack.restart("create-job")


def test_v1_ignores_a_callback_url_as_it_ignores_any_field_the_app_never_sends(api, menu_photo, receiver):
    job_id = api.job(api.upload(menu_photo), callback_url=receiver.url)
    api.events(job_id)
    time.sleep(1.0)
    assert receiver.deliveries == []


def test_dns_rebinding_between_creation_and_delivery_is_refused_at_delivery():
    from common.notify import egress

    answers = iter([["93.184.216.34"], ["10.0.0.5"]])
    resolve = lambda host, port: next(answers)  # noqa: E731 - a DNS server that changes its mind
    first = egress.check("https://hooks.example.com/in", resolve=resolve)
    assert first.address == "93.184.216.34" and first.host == "hooks.example.com"
    with pytest.raises(egress.Refused, match="private"):
        egress.check("https://hooks.example.com/in", resolve=resolve)


def test_a_name_that_does_not_resolve_is_refused_naming_it():
    import socket

    from common.notify import egress

    def nxdomain(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(egress.Refused, match="does not resolve"):
        egress.check("https://no-such-host.example/hook", resolve=nxdomain)


def test_a_name_with_any_refused_address_among_its_answers_is_refused():
    from common.notify import egress

    with pytest.raises(egress.Refused, match="loopback"):
        egress.check("https://mixed.example.com/", resolve=lambda h, p: ["93.184.216.34", "127.0.0.1"])


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


# -- Expo push ----------------------------------------------------------------------------------------
def test_the_app_gets_one_push_in_its_own_words_when_its_job_is_done(api, stack, menu_photo):
    r = api.http.post("/api/v1/scan/jobs", json={"gcs_uri": api.upload(menu_photo), "push_token": EXPO_TOKEN,
                                                  "user_preferences": {"language": "繁體中文"}})
    job_id = r.json()["job_id"]
    api.events(job_id)
    sent = _wait_for(lambda: _expo(stack, "messages")["messages"], what="the push")
    time.sleep(1.0)
    assert len(_expo(stack, "messages")["messages"]) == 1
    assert sent[0]["to"] == EXPO_TOKEN and sent[0]["title"] == "菜單翻譯完成！" and sent[0]["body"] == "已翻譯 6 道菜品"
    assert sent[0]["data"] == {"job_id": job_id, "status": "completed"}
    # The receipt, fetched later (PUSH_RECEIPT_DELAY_S, 1 s here), says it was delivered.
    assert _wait_for(lambda: _push_state(api, job_id) == "delivered", what="the receipt")


def test_a_failed_job_pushes_its_own_wording(api, stack, menu_photo):
    api.script("menu", {"not_menu": True})
    job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(job_id)
    [sent] = _wait_for(lambda: _expo(stack, "messages")["messages"], what="the push")
    assert sent["title"] == "Menu translation failed" and sent["data"]["status"] == "failed"


def test_a_failed_job_does_not_push_when_the_setting_is_off(api, stack, menu_photo):
    stack.restart("run-scan-task", env={"PUSH_ON_FAILURE": "false"})
    stack.restart("notify", env={"PUSH_ON_FAILURE": "false"})
    try:
        api.script("menu", {"not_menu": True})
        job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
        api.events(job_id)
        time.sleep(2.0)
        assert _expo(stack, "messages")["messages"] == []
    finally:
        stack.restart("run-scan-task")
        stack.restart("notify")


def test_a_push_goes_out_once_under_duplicate_and_concurrent_deliveries(api, stack, menu_photo):
    from common.gcp import tasks

    job_id = api.job(api.upload(menu_photo), "ja", push_token=EXPO_TOKEN)
    api.events(job_id)
    for _ in range(3):
        tasks.enqueue_notify(job_id, "push", 1)  # the local queue does not de-duplicate names: each runs
    url = stack.function_url("notify") + "/"
    threads = [threading.Thread(target=httpx.post, args=(url,), kwargs={
        "json": {"job_id": job_id, "channel": "push", "attempt": 1}, "headers": api.internal(), "timeout": 30})
        for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(2.0)
    [sent] = _expo(stack, "messages")["messages"]
    assert sent["title"] == "メニューの翻訳が完了しました！"


def test_expo_busy_or_down_is_retried_and_the_push_still_goes_out_once(api, stack, menu_photo):
    _expo(stack, "script", {"kind": "send", "responses": [{"status": 429, "retry_after": 1}, {"status": 503}]})
    job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(job_id)
    _wait_for(lambda: _expo(stack, "messages")["messages"], what="the push", timeout=60)
    time.sleep(1.0)
    got = _expo(stack, "messages")
    assert len(got["messages"]) == 1 and got["calls"]["send"] == 3


def test_device_not_registered_on_the_ticket_marks_the_token_dead_and_it_is_never_used_again(
        api, stack, menu_photo):
    _expo(stack, "unregister", {"token": EXPO_TOKEN, "when": "ticket"})
    first = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(first)
    assert _wait_for(lambda: _push_state(api, first) == "failed", what="the ticket error")
    calls = _expo(stack, "messages")["calls"]["send"]
    second = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(second)
    assert _wait_for(lambda: _push_state(api, second) == "skipped", what="the dead token to be skipped")
    assert _expo(stack, "messages")["calls"]["send"] == calls


def test_device_not_registered_on_the_receipt_stops_further_pushes_to_that_token(api, stack, menu_photo):
    _expo(stack, "unregister", {"token": EXPO_TOKEN, "when": "receipt"})
    first = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(first)
    assert _wait_for(lambda: _push_state(api, first) == "undelivered", what="the receipt error")
    second = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(second)
    assert _wait_for(lambda: _push_state(api, second) == "skipped", what="the dead token to be skipped")
    assert len(_expo(stack, "messages")["messages"]) == 1


def test_notifications_the_queue_could_not_take_at_done_are_queued_by_the_watchdog(api, stack, menu_photo):
    from common.gcp import db

    stack.restart("run-scan-task", env={"CLOUD_TASKS_EMULATOR_HOST": "127.0.0.1:9"})  # nothing listens there
    try:
        job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
        # The scan task was queued by create_job (which reaches the queue): only run_scan cannot.
        frames = api.events(job_id)
        assert frames[-1].data["status"] == "completed"
        doc = db.client().collection(store.JOBS).document(job_id).get().to_dict()
        assert doc["notify_due"] is True
        # The watchdog (every 5 s in the test stack) queues it; the push goes out.
        _wait_for(lambda: _expo(stack, "messages")["messages"], what="the watchdog's push", timeout=60)
    finally:
        stack.restart("run-scan-task")


def test_a_snapshot_too_large_for_one_message_goes_as_a_summary_with_its_url(monkeypatch):
    from common.core.settings import reset_settings
    from common.notify import webhooks

    monkeypatch.setenv("WEBHOOK_MAX_BYTES", "2048")
    reset_settings()
    try:
        snapshot = {"job_id": "j1", "status": "completed", "language": "en", "error": None,
                    "summary": {"items_count": 60}, "items": [{"original_name": "炒飯" * 20}] * 60}
        small = {**snapshot, "items": snapshot["items"][:2]}
        url = "https://menu.example.com/api/v2/scan/jobs/j1"
        assert json.loads(webhooks.body("j1", "completed", small, url))["data"] == small
        sent = json.loads(webhooks.body("j1", "completed", snapshot, url))
        assert sent["type"] == "job.completed" and sent["data"]["truncated"] is True
        assert sent["data"]["snapshot_url"] == url and sent["data"]["items_count"] == 60
        assert "items" not in sent["data"]
    finally:
        monkeypatch.undo()
        reset_settings()


def _finished_v2_job(callback_url: str) -> str:
    from common.jobs import store
    from tests.api import make_job

    name = "uploads/" + "ab" * 16 + ".jpg"
    job = make_job(f"gs://menu-uploads/{name}", "v2", callback_url=callback_url)
    store.update(job.job_id, {"status": "completed"})
    return job.job_id


def _webhook_state(job_id: str) -> dict:
    from common.gcp import db

    return (db.client().collection(store.JOBS).document(job_id).get().to_dict().get("notify") or {}).get("webhook") or {}


def test_at_delivery_a_name_that_now_resolves_to_a_private_address_is_refused_for_good(stack, monkeypatch):
    from common.notify import deliveries as notifications
    from common.notify import egress

    job_id = _finished_v2_job("https://hooks.example.com/in")  # public when the job was made
    monkeypatch.setattr(egress, "system_resolver", lambda host, port: ["10.0.0.5"])  # rebinding
    out = notifications.handle(job_id, "webhook", 1)
    assert out.done and "private" in out.detail
    state = _webhook_state(job_id)
    assert state["state"] == "failed" and "private" in state["attempts"][0]["error"]
    assert "10.0.0.5" not in state["attempts"][0]["error"]  # the class of address, not the address


def test_a_receivers_dns_down_for_a_while_is_a_failed_attempt_and_the_event_arrives_once_it_is_back(
        stack, monkeypatch, receiver):
    import socket

    from common.notify import deliveries as notifications
    from common.notify import egress

    port = receiver.server.server_address[1]
    job_id = _finished_v2_job(f"http://localhost:{port}/hooks/menu")

    def dns_down(host, p):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(egress, "system_resolver", dns_down)
    out = notifications.handle(job_id, "webhook", 1)  # this process's DNS is down...
    assert out.done and out.detail == "retrying"
    assert "DNS" in _webhook_state(job_id)["attempts"][0]["error"]
    # ...the notify function's is not: the retry it was queued for delivers the event, once.
    [delivery] = receiver.wait(1)
    assert delivery["verified"] and delivery["headers"]["webhook-id"] == f"msg_{job_id}"
    assert _wait_for(lambda: _webhook_state(job_id).get("state") == "delivered", what="delivered")


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
