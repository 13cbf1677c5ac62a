"""The public origin as the stack runs it: worker/index.js under workerd (devstack/workerd.py). The page,
CORS, JSON errors at the edge, and the Python gateway (STACK_FRONT=python) answering exactly alike."""
from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import httpx
import pytest

from devstack import gateway
from devstack.stack import ENTRY_POINTS
from tests import fronts
from tests.app_client import AppClient
from tests.lossy_origin import LossyOrigin
from tests.support import ROOT, jobs_of

ALLOWED = "https://front.example"  # CORS_ORIGINS in tests/conftest.py
JOB = "/api/v2/scan/jobs/" + "0" * 32


def _python_gateway(stack, method: str, path: str, headers: dict | None = None) -> httpx.Response:
    """The same request answered by devstack/gateway.py, in process, in front of the same functions."""
    app = gateway.build_app({name: stack.function_url(name) for name in ENTRY_POINTS})

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=stack.gateway_url) as c:
            return await c.request(method, path, headers=headers or {})

    return asyncio.run(call())


def test_the_stack_origin_is_the_worker_running_under_workerd(stack):
    if stack.front != "workerd":
        pytest.skip("STACK_FRONT=python")
    cmdline = Path(f"/proc/{stack.procs['gateway'].pid}/cmdline").read_bytes().split(b"\0")
    assert any(part.endswith(b"/workerd") for part in cmdline) and b"serve" in cmdline


@pytest.mark.parametrize("path", ["/", "/index.html", "/app.js", "/feed.js", "/menu.js", "/view.js", "/style.css",
                                  "/favicon.svg"])
def test_the_page_is_served_from_this_origin_under_a_policy_allowing_it_and_the_upload_host_alone(stack, path):
    r = httpx.get(stack.gateway_url + path)
    assert r.status_code == 200
    name = "index.html" if path == "/" else path[1:]
    assert r.content == (ROOT / "worker" / "public" / name).read_bytes()
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
    assert f"connect-src 'self' {stack.gcs_public_url};" in csp and "unsafe" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    py = _python_gateway(stack, "GET", path)
    assert (py.status_code, py.content, py.headers["content-type"], py.headers["content-security-policy"]) == (
        200, r.content, r.headers["content-type"], csp)


def test_every_file_of_the_page_folder_is_served_by_the_worker(stack):
    for f in (ROOT / "worker" / "public").iterdir():
        assert httpx.get(f"{stack.gateway_url}/{f.name}").status_code == 200, f.name


def test_a_preflight_from_an_allowed_origin_is_answered_and_from_any_other_is_a_json_403(stack):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, idempotency-key"}
    ok = httpx.options(stack.gateway_url + "/api/v2/scan/jobs", headers={"Origin": ALLOWED, **ask})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ALLOWED and ok.headers["vary"] == "Origin"
    assert ok.headers["access-control-allow-methods"] == "POST"
    assert {"content-type", "idempotency-key", "authorization", "last-event-id"} <= {
        h.strip() for h in ok.headers["access-control-allow-headers"].split(",")}
    refused = httpx.options(stack.gateway_url + "/api/v2/scan/jobs", headers={"Origin": "https://evil.example", **ask})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
    assert "https://evil.example" in refused.json()["error"]["message"]
    assert "access-control-allow-origin" not in refused.headers
    wrong = httpx.options(stack.gateway_url + JOB, headers={"Origin": ALLOWED, "Access-Control-Request-Method": "DELETE"})
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_answers_and_the_event_stream_carry_cors_headers_for_an_allowed_origin_only(api_v2, menu_photo):
    r = api_v2.http.post("/api/v2/uploads/signed-url", json={}, headers={"Origin": ALLOWED})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in r.headers["access-control-expose-headers"]
    other = api_v2.http.post("/api/v2/uploads/signed-url", json={}, headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
    job_id = api_v2.job(api_v2.upload(menu_photo))
    with api_v2.http.stream("GET", f"/api/v2/scan/jobs/{job_id}/events", headers={"Origin": ALLOWED},
                            params={"access_token": api_v2.tokens[job_id]}) as s:
        assert s.status_code == 200 and s.headers["content-type"].startswith("text/event-stream")
        assert s.headers["access-control-allow-origin"] == ALLOWED
        assert any(line.startswith("event: done") for line in s.iter_lines())


@pytest.mark.parametrize("method, path, headers", [
    ("GET", "/api/v1/nothing-here", {}),
    ("DELETE", JOB, {}),
    ("GET", "/api/v1/scan/jobs/%0a/events", {}),
    ("GET", "/api/v1/scan/jobs/a%09b", {}),
    ("GET", "/api/v1/scan/jobs/%E0%A4%A", {}),
    ("GET", "/assets/gen/not-a-key.jpg", {}),
    ("POST", "/assets/gen/" + "0" * 32 + "/item-1.jpg", {}),
    ("GET", "/assets/gen/" + "0" * 32 + "/item-1.jpg", {}),
    ("POST", "/", {}),
    ("OPTIONS", "/api/v2/uploads/signed-url", {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}),
    ("OPTIONS", "/api/v2/uploads/signed-url", {}),
    ("GET", JOB, {"Authorization": "Bearer " + uuid.uuid4().hex}),
    ("GET", JOB + "/events", {}),
])
def test_the_python_gateway_and_the_worker_answer_edge_cases_alike(stack, method, path, headers):
    worker = httpx.request(method, stack.gateway_url + path, headers=headers)
    py = _python_gateway(stack, method, path, headers)
    assert worker.headers["content-type"].startswith("application/json"), worker.text
    assert (worker.status_code, worker.json()["error"]["code"]) == (py.status_code, py.json()["error"]["code"])


def test_a_function_that_is_down_is_a_json_502_at_the_origin_that_names_no_secret(stack, api):
    os.killpg(stack.procs["signed-url"].pid, signal.SIGKILL)
    try:
        r = api.http.post("/api/v2/uploads/signed-url?access_token=s3cret-token", json={})
        assert r.status_code == 502 and r.json()["error"]["code"] == "BAD_GATEWAY"
    finally:
        stack.restart("signed-url")
    assert "s3cret-token" not in stack.log_path("gateway").read_text(errors="replace")
    assert api.http.post("/api/v2/uploads/signed-url", json={}).status_code == 200


def test_the_upload_host_lets_the_page_put_a_photo_and_refuses_other_origins(stack, api_v2, menu_photo):
    signed = api_v2.signed_url()
    ask = {"Access-Control-Request-Method": "PUT",
           "Access-Control-Request-Headers": "content-type,x-goog-content-length-range"}
    ok = httpx.options(signed["upload_url"], headers={"Origin": stack.gateway_url, **ask})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == stack.gateway_url
    refused = httpx.options(signed["upload_url"], headers={"Origin": "https://evil.example", **ask})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    put = httpx.put(signed["upload_url"], content=menu_photo, headers={**signed["headers"], "Origin": stack.gateway_url})
    assert put.status_code == 200 and put.headers["access-control-allow-origin"] == stack.gateway_url


# -- a connection to a function lost before its answer ---------------------------------------------
@pytest.fixture(params=fronts.KINDS)
def lossy(request, stack, tmp_path):
    """A front of the given kind whose every function is reached through a LossyOrigin hop: (url, hop)."""
    hop = LossyOrigin({name: stack.function_url(name) for name in ENTRY_POINTS})
    try:
        with fronts.front(request.param, stack, tmp_path, hop.origins()) as url:
            yield url, hop
    finally:
        hop.close()


def test_a_create_job_whose_answer_was_lost_is_sent_again_and_the_app_gets_the_one_job_it_made(lossy, stack, menu_photo):
    url, hop = lossy
    app = AppClient(url)
    signed = app.signed_url()
    assert app.upload(signed["upload_url"], menu_photo).status_code == 200
    hop.plan.extend(["lose"])  # create_job makes the job, and the answer never reaches the front
    job_id = app.create_job(signed["gcs_uri"])
    creates = [s for s in hop.seen if s.path == "/api/v1/scan/jobs"]
    assert [(s.step, s.status, s.headers.get("x-edge-send")) for s in creates] == [("lose", 201, "1"), ("pass", 200, "2")]
    # The app sent no key; the front gave one, the same on both sends, so the second found the first's job.
    keys = {s.headers.get("x-edge-request-key") for s in creates}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert jobs_of(signed["gcs_uri"]) == [job_id]
    assert app.snapshot(job_id)["job_id"] == job_id


def test_a_create_job_with_the_clients_idempotency_key_is_sent_again_with_it_and_converges(lossy, api_v2, menu_photo):
    url, hop = lossy
    gcs_uri = api_v2.upload(menu_photo)
    hop.plan.extend(["drop", "lose"])
    r = httpx.post(url + "/api/v2/scan/jobs", json={"gcs_uri": gcs_uri, "user_preferences": {"language": "en"}},
                   headers={"Idempotency-Key": "order-17"})
    assert r.status_code == 200, r.text  # the replay of what the second send made
    assert [(s.step, s.status, s.headers.get("idempotency-key"), s.headers.get("x-edge-request-key"))
            for s in hop.seen] == [("drop", None, "order-17", None), ("lose", 201, "order-17", None),
                                   ("pass", 200, "order-17", None)]
    assert jobs_of(gcs_uri) == [r.json()["job_id"]]


def test_a_client_cannot_choose_the_key_the_front_gives_a_create_job(lossy, api, menu_photo):
    url, hop = lossy
    chosen = "ab" * 32
    r = httpx.post(url + "/api/v1/scan/jobs", headers={"X-Edge-Request-Key": chosen, "X-Edge-Send": "2"},
                   json={"gcs_uri": api.upload(menu_photo), "user_preferences": {"language": "en"}})
    assert r.status_code == 201, r.text
    sent = hop.seen[-1].headers
    assert len(sent["x-edge-request-key"]) == 64 and sent["x-edge-request-key"] != chosen and sent["x-edge-send"] == "1"


def test_a_read_whose_connection_was_reset_is_sent_again(lossy, api, menu_photo):
    url, hop = lossy
    job_id = api.job(api.upload(menu_photo))
    hop.plan.extend(["drop", "drop"])
    r = httpx.get(f"{url}/api/v1/scan/jobs/{job_id}")
    assert r.status_code == 200 and r.json()["job_id"] == job_id
    assert [s.step for s in hop.seen] == ["drop", "drop", "pass"]


def test_a_function_that_resets_every_send_is_tried_three_times_then_a_json_502(lossy):
    url, hop = lossy
    hop.plan.extend(["drop"] * 5)
    r = httpx.get(f"{url}/api/v1/scan/jobs/{'0' * 32}")
    assert r.status_code == 502 and r.json()["error"]["code"] == "BAD_GATEWAY"
    assert [s.step for s in hop.seen] == ["drop"] * 3


def test_a_write_whose_repeat_would_not_converge_is_not_sent_again(lossy):
    url, hop = lossy
    hop.plan.extend(["lose"])
    r = httpx.post(url + "/api/v2/profiles", json={"name": "lunch"})
    assert r.status_code == 502 and r.json()["error"]["code"] == "BAD_GATEWAY"
    assert [s.step for s in hop.seen] == ["lose"]
