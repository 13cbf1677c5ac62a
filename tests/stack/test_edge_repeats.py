"""The front's repeat of a create-job is free only when it finds the job its first send made: a repeat
whose first send never arrived is a new request, charged as one; and without an origin secret (no
function honours the front's key) a create-job is never sent again."""
from __future__ import annotations

import httpx
import pytest

from devstack.stack import ENTRY_POINTS
from tests import fronts
from tests.lossy_origin import LossyOrigin


@pytest.fixture(params=fronts.KINDS)
def kind(request):
    return request.param


def _spend_create_job_tokens(url: str, ip: str) -> None:
    """Empty the address's create-job bucket (bad bodies spend tokens too: the limit comes first)."""
    for _ in range(20):
        r = httpx.post(url + "/api/v1/scan/jobs", json={}, headers={"CF-Connecting-IP": ip})
        if r.status_code == 429:
            return
        assert r.status_code == 400, r.text
    raise AssertionError("the create-job rate limit never answered 429")


@pytest.fixture
def slow_refill(stack):
    """create-job with a bucket that refills once a minute: an emptied one stays empty for the test."""
    stack.restart("create-job", env={"RATE_JOB_PER_MIN": "1", "RATE_BURST": "3"})
    yield
    stack.restart("create-job")


def test_a_repeat_whose_first_send_never_arrived_is_rate_limited_like_any_new_request(api, stack, kind, tmp_path,
                                                                                      slow_refill):
    hop = LossyOrigin({name: stack.function_url(name) for name in ENTRY_POINTS})
    try:
        with fronts.front(kind, stack, tmp_path, hop.origins()) as url:
            ip = "198.18.9." + ("1" if kind == "workerd" else "2")
            gcs_uri = api.upload(b"\xff\xd8\xff" + b"0" * 100)
            _spend_create_job_tokens(url, ip)
            hop.plan.extend(["drop"])  # the first send never reaches create-job; the second does, as a repeat
            r = httpx.post(url + "/api/v1/scan/jobs", json={"gcs_uri": gcs_uri}, headers={"CF-Connecting-IP": ip})
            sends = [(s.step, s.headers.get("x-edge-send")) for s in hop.seen if s.path == "/api/v1/scan/jobs"][-2:]
            assert sends == [("drop", "1"), ("pass", "2")]
            assert r.status_code == 429 and r.json()["error"]["code"] == "RATE_LIMITED", r.text
    finally:
        hop.close()


@pytest.fixture
def without_origin_secret(stack):
    stack.restart("create-job", env={"ORIGIN_SECRET": ""})
    yield
    stack.restart("create-job")


def test_without_an_origin_secret_a_create_job_whose_answer_was_lost_is_not_sent_again(
        api, stack, kind, tmp_path, without_origin_secret):
    from tests.support import jobs_of

    hop = LossyOrigin({name: stack.function_url(name) for name in ENTRY_POINTS})
    try:
        with fronts.front(kind, stack, tmp_path, hop.origins(), env={"ORIGIN_SECRET": ""}) as url:
            gcs_uri = api.upload(b"\xff\xd8\xff" + b"0" * 100)
            hop.plan.extend(["lose"])  # create-job makes the job; its answer never reaches the front
            r = httpx.post(url + "/api/v1/scan/jobs", json={"gcs_uri": gcs_uri})
            creates = [s for s in hop.seen if s.path == "/api/v1/scan/jobs"]
            assert [(s.step, s.status) for s in creates] == [("lose", 201)]
            assert "x-edge-request-key" not in creates[0].headers
            assert r.status_code == 502 and r.json()["error"]["code"] == "BAD_GATEWAY"
            assert len(jobs_of(gcs_uri)) == 1  # one job, not two: the client retries with its own key
    finally:
        hop.close()
