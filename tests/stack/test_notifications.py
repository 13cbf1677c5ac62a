"""Completion notifications: an Expo push for the app, Standard Webhooks for servers.

The push goes to the fake Expo server (devstack/fake_expo.py), which refuses what Expo refuses;
webhooks go to a receiver in this process that verifies every delivery with the standardwebhooks
library, as a real integrator would.
"""
from __future__ import annotations
from common.jobs import store

import json
import threading

import httpx
import pytest

from tests.support import EXPO_TOKEN, consistently, eventually, expo
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver(stack):
    r = Receiver(stack.webhook_secret)
    yield r
    r.close()


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
    consistently(lambda: len(receiver.deliveries) == 1, for_s=0.5, what="one delivery and no second")
    assert delivery["verified"] and delivery["path"] == "/hooks/menu"
    assert delivery["headers"]["webhook-id"] == f"msg_{job_id}"
    payload = delivery["payload"]
    assert payload["type"] == "job.completed" and payload["data"]["job_id"] == job_id
    assert payload["data"]["status"] == "completed" and len(payload["data"]["items"]) == 6
    assert "access_token" not in json.dumps(payload)
    snap = eventually(lambda: (s := api_v2.snapshot(job_id))["callback"]["state"] == "delivered" and s,
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
    consistently(lambda: [d["answered"] for d in receiver.deliveries] == [503, 500, 502, 200], for_s=1.0,
                 what="nothing after the success")
    assert {d["headers"]["webhook-id"] for d in deliveries} == {f"msg_{job_id}"}
    assert all(d["verified"] for d in deliveries)
    # The specification's schedule (at 1/500 in the test settings): 0, 10 ms, 0.6 s, 3.6 s, jittered.
    gaps = [b["t"] - a["t"] for a, b in zip(deliveries, deliveries[1:])]
    assert gaps[1] >= 0.45 and gaps[2] >= 3.0, gaps
    snap = eventually(lambda: (s := api_v2.snapshot(job_id))["callback"]["state"] == "delivered" and s,
                     what="the delivery to be recorded")
    assert [a["status_code"] for a in snap["callback"]["attempts"]] == [503, 500, 502, 200]


def test_a_410_stops_the_retries(api_v2, stack, menu_photo, receiver):
    receiver.script = [(410, {})]
    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    receiver.wait(1)
    consistently(lambda: len(receiver.deliveries) == 1, for_s=1.5,  # past the 2nd and 3rd attempts' times
                 what="no attempt after the 410")
    assert eventually(lambda: api_v2.snapshot(job_id)["callback"]["state"] == "stopped", what="stopped")


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
    assert results == [200] * 6
    consistently(lambda: len(receiver.deliveries) == 1, for_s=0.5, what="one delivery and no second")


def test_concurrent_first_deliveries_of_one_webhook_make_one_request(api_v2, stack, menu_photo, receiver):
    from common.gcp import db

    job_id = _scan_v2(api_v2, menu_photo, callback_url=receiver.url)
    receiver.wait(1)
    # The delivery is recorded after the receiver answered: wait for that record before forgetting it,
    # or the record lands after the reset and every racer below finds the webhook delivered already.
    eventually(lambda: (store.get(job_id).notify.get("webhook") or {}).get("state") == "delivered",
               what="the first delivery recorded")
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
    consistently(lambda: len(receiver.deliveries) == 1, for_s=0.5, what="one delivery and no second")


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
        # A name is refused as one that does not resolve: the answer maps no name (docs/security.md).
        for url, reason in (("https://127.0.0.1/hook", "loopback"),
                            ("https://localhost/hook", "does not resolve to a public address"),
                            ("http://example.com/hook", "https is required")):
            r = api_v2.create_job(api_v2.upload(b"\xff\xd8\xff" + b"0" * 100), "en", callback_url=url)
            assert r.status_code == 400 and reason in r.json()["error"]["message"], (url, r.text)
    finally:
        stack.restart("create-job")


def test_v1_ignores_a_callback_url_as_it_ignores_any_field_the_app_never_sends(api, menu_photo, receiver):
    job_id = api.job(api.upload(menu_photo), callback_url=receiver.url)
    api.events(job_id)
    consistently(lambda: receiver.deliveries == [], for_s=1.0, what="no delivery")


# -- Expo push ----------------------------------------------------------------------------------------
def test_the_app_gets_one_push_in_its_own_words_when_its_job_is_done(api, stack, menu_photo):
    r = api.http.post("/api/v1/scan/jobs", json={"gcs_uri": api.upload(menu_photo), "push_token": EXPO_TOKEN,
                                                  "user_preferences": {"language": "繁體中文"}})
    job_id = r.json()["job_id"]
    api.events(job_id)
    sent = eventually(lambda: expo(stack, "messages")["messages"], what="the push")
    consistently(lambda: len(expo(stack, "messages")["messages"]) == 1, for_s=1.0, every_s=0.2,
                 what="one push and no second")
    assert sent[0]["to"] == EXPO_TOKEN and sent[0]["title"] == "菜單翻譯完成！" and sent[0]["body"] == "已翻譯 6 道菜品"
    assert sent[0]["data"] == {"job_id": job_id, "status": "completed"}
    # The receipt, fetched later (PUSH_RECEIPT_DELAY_S, 1 s here), says it was delivered.
    assert eventually(lambda: _push_state(api, job_id) == "delivered", what="the receipt")


def test_a_failed_job_pushes_its_own_wording(api, stack, menu_photo):
    api.script("menu", {"not_menu": True})
    job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(job_id)
    [sent] = eventually(lambda: expo(stack, "messages")["messages"], what="the push")
    assert sent["title"] == "Menu translation failed" and sent["data"]["status"] == "failed"


def test_a_failed_job_does_not_push_when_the_setting_is_off(api, stack, menu_photo):
    stack.restart("run-scan-task", env={"PUSH_ON_FAILURE": "false"})
    stack.restart("notify", env={"PUSH_ON_FAILURE": "false"})
    try:
        api.script("menu", {"not_menu": True})
        job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
        api.events(job_id)
        consistently(lambda: expo(stack, "messages")["messages"] == [], for_s=2.0, every_s=0.2, what="no push")
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
    eventually(lambda: expo(stack, "messages")["messages"], what="the push")
    consistently(lambda: len(expo(stack, "messages")["messages"]) == 1, for_s=2.0, every_s=0.2,
                 what="one push and no second")
    [sent] = expo(stack, "messages")["messages"]
    assert sent["title"] == "メニューの翻訳が完了しました！"


def test_expo_busy_or_down_is_retried_and_the_push_still_goes_out_once(api, stack, menu_photo):
    expo(stack, "script", {"kind": "send", "responses": [{"status": 429, "retry_after": 1}, {"status": 503}]})
    job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(job_id)
    eventually(lambda: expo(stack, "messages")["messages"], what="the push", timeout_s=60)
    consistently(lambda: len(expo(stack, "messages")["messages"]) == 1, for_s=1.0, every_s=0.2,
                 what="one push and no second")
    got = expo(stack, "messages")
    assert len(got["messages"]) == 1 and got["calls"]["send"] == 3


def test_device_not_registered_on_the_ticket_marks_the_token_dead_and_it_is_never_used_again(
        api, stack, menu_photo):
    expo(stack, "unregister", {"token": EXPO_TOKEN, "when": "ticket"})
    first = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(first)
    assert eventually(lambda: _push_state(api, first) == "failed", what="the ticket error")
    calls = expo(stack, "messages")["calls"]["send"]
    second = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(second)
    assert eventually(lambda: _push_state(api, second) == "skipped", what="the dead token to be skipped")
    assert expo(stack, "messages")["calls"]["send"] == calls


def test_device_not_registered_on_the_receipt_stops_further_pushes_to_that_token(api, stack, menu_photo):
    expo(stack, "unregister", {"token": EXPO_TOKEN, "when": "receipt"})
    first = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(first)
    assert eventually(lambda: _push_state(api, first) == "undelivered", what="the receipt error")
    second = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    api.events(second)
    assert eventually(lambda: _push_state(api, second) == "skipped", what="the dead token to be skipped")
    assert len(expo(stack, "messages")["messages"]) == 1


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
        eventually(lambda: expo(stack, "messages")["messages"], what="the watchdog's push", timeout_s=60)
    finally:
        stack.restart("run-scan-task")


def _finished_v2_job(callback_url: str) -> str:
    from common.jobs import store
    from tests.support import make_job

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
    assert out.done and "private" in out.detail  # the task's answer, for operators: the class of address
    state = _webhook_state(job_id)
    # What the snapshot shows the job's caller: the refusal that maps no name, never the address.
    assert state["state"] == "failed" and "does not resolve to a public address" in state["attempts"][0]["error"]
    assert "10.0.0.5" not in state["attempts"][0]["error"]


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
    assert eventually(lambda: _webhook_state(job_id).get("state") == "delivered", what="delivered")
