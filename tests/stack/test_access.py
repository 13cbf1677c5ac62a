"""Who may read a job, who may start a scan, how hard one caller may push: against the running stack."""
from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from common.core import clock
from common.jobs import idempotency
from tests.api import assert_well_formed, parse_sse
from tests.support import error


def _phone(ip: str) -> dict:
    """Requests as a phone at `ip` would make them through Cloudflare (the gateway plays the edge)."""
    return {"CF-Connecting-IP": ip}


def _ip() -> str:
    """A documentation address (RFC 5737) no other test uses."""
    return f"203.0.{uuid.uuid4().int % 250 + 1}.{uuid.uuid4().int % 250 + 1}"


# -- job access ---------------------------------------------------------------------------------
def test_on_v2_without_a_credential_snapshot_and_events_are_401_whether_or_not_the_job_exists(api_v2, menu_photo):
    api = api_v2
    job_id = api.job(api.upload(menu_photo))
    answers = []
    for jid in (job_id, uuid.uuid4().hex):
        for path in (f"/api/v2/scan/jobs/{jid}", f"/api/v2/scan/jobs/{jid}/events"):
            r = api.http.get(path)
            error(r, 401, "ACCESS_TOKEN_REQUIRED")
            assert r.headers["www-authenticate"].startswith("Bearer")
            answers.append(r.json())
    assert all(a == answers[0] for a in answers)  # nothing in the answer tells the two jobs apart


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_wrong_token_or_another_jobs_token_is_answered_like_a_job_that_does_not_exist(api, menu_photo, version):
    mine = api.job(api.upload(menu_photo))
    theirs = api.job(api.upload(menu_photo))
    unknown = uuid.uuid4().hex
    # On v1 too: a token that is sent is checked, even though none is needed there.
    for jid, token in ((mine, "not-the-token"), (mine, api.tokens[theirs]), (unknown, api.tokens[mine])):
        for path in (f"/api/{version}/scan/jobs/{jid}", f"/api/{version}/scan/jobs/{jid}/events"):
            r = api.http.get(path, headers={"Authorization": f"Bearer {token}"})
            assert error(r, 404, "JOB_NOT_FOUND")["message"] == f"job {jid!r} not found"
        r = api.http.get(f"/api/{version}/scan/jobs/{jid}", params={"access_token": token})
        error(r, 404, "JOB_NOT_FOUND")


def test_on_v1_a_job_is_read_by_its_id_alone_and_an_unknown_id_is_404(api, menu_photo):
    job_id = api.job(api.upload(menu_photo))
    frames = api.events(job_id)  # api sends its token; the app sends none:
    r = api.http.get(f"/api/v1/scan/jobs/{job_id}")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    with api.http.stream("GET", f"/api/v1/scan/jobs/{job_id}/events") as stream:
        assert stream.status_code == 200
        assert [f.id for f in parse_sse(stream.iter_lines()) if f.id] == [f.id for f in frames]
    for path in (f"/api/v1/scan/jobs/{uuid.uuid4().hex}", f"/api/v1/scan/jobs/{uuid.uuid4().hex}/events"):
        error(api.http.get(path), 404, "JOB_NOT_FOUND")


def test_a_job_created_through_v2_never_opens_by_its_id_alone_even_on_v1(api_v2, menu_photo):
    job_id = api_v2.job(api_v2.upload(menu_photo))
    for path in (f"/api/v1/scan/jobs/{job_id}", f"/api/v1/scan/jobs/{job_id}/events"):
        error(api_v2.http.get(path), 404, "JOB_NOT_FOUND")
        assert api_v2.http.get(path, headers=api_v2.auth(job_id)).status_code == 200


def test_with_v1_id_only_reads_turned_off_v1_reads_need_a_credential_like_v2(api, stack, menu_photo):
    job_id = api.job(api.upload(menu_photo))
    stack.restart("events", env={"V1_ID_ONLY_READS": "false"})
    try:
        for path in (f"/api/v1/scan/jobs/{job_id}", f"/api/v1/scan/jobs/{job_id}/events"):
            error(api.http.get(path), 401, "ACCESS_TOKEN_REQUIRED")
        assert api.http.get(f"/api/v1/scan/jobs/{job_id}", headers=api.auth(job_id)).status_code == 200
    finally:
        stack.restart("events")


def test_the_access_token_opens_the_job_as_a_bearer_header_and_as_a_query_parameter(api, menu_photo):
    job_id = api.job(api.upload(menu_photo))
    token = api.tokens[job_id]
    assert_well_formed(api.events(job_id))
    # EventSource cannot set headers: the token rides in the query.
    with httpx.stream("GET", f"{api.base}/api/v1/scan/jobs/{job_id}/events", params={"access_token": token},
                      timeout=30) as r:
        assert r.status_code == 200
        frames = parse_sse([line for line in r.iter_lines()] + [""])
    assert_well_formed([f for f in frames if f.event != "heartbeat"])
    r = api.http.get(f"/api/v1/scan/jobs/{job_id}", params={"access_token": token})
    assert r.status_code == 200 and r.json()["status"] == "completed"


# -- internal entry points ----------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"X-Internal-Secret": "guessed"}], ids=["no secret", "wrong secret"])
def test_the_task_and_finalize_targets_refuse_callers_without_the_internal_secret(api, stack, menu_photo, headers):
    api.script("menu", {"delay_s": 30})  # a job that got past the refusal would hold a model call
    gcs_uri = api.upload(menu_photo)
    r = api.create_job(gcs_uri)
    job_id = r.json()["job_id"]
    error(api.deliver_task(job_id, headers=headers), 401, "INTERNAL_ONLY")
    error(api.deliver_finalize(gcs_uri, "intruder-1", headers=headers), 401, "INTERNAL_ONLY")
    # Neither refused delivery touched the job; the queue's own (authenticated) task still runs it.
    claims = [line for line in stack.log_path("run-scan-finalize").read_text().splitlines()
              if job_id in line and '"claim"' in line]
    assert claims == []


# -- rate limits (test stack: 60 a minute, bursts of 30) ----------------------------------------
BURST, PER_S = 30, 1.0


def _flood(send) -> tuple[list[int], httpx.Response]:
    """Send until the first refusal; the statuses before it, and the refusal."""
    statuses = []
    t0 = time.monotonic()
    while len(statuses) < 200:
        r = send()
        if r.status_code == 429:
            # The burst, plus what refilled while flooding: never fewer, never many more.
            assert BURST <= len(statuses) <= BURST + (time.monotonic() - t0) * PER_S + 1, len(statuses)
            return statuses, r
        statuses.append(r.status_code)
    raise AssertionError("never limited")


def test_a_caller_past_its_burst_gets_429_with_retry_after_and_other_callers_are_unaffected(api, campaign):
    flooder, bystander = _ip(), _ip()
    statuses, refused = _flood(lambda: api.http.post("/api/v1/uploads/signed-url", json={}, headers=_phone(flooder)))
    assert set(statuses) == {200}
    error(refused, 429, "RATE_LIMITED")
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    assert api.http.post("/api/v1/uploads/signed-url", json={}, headers=_phone(bystander)).status_code == 200
    campaign.count("requests past a rate limit", len(statuses) + 1)


@pytest.mark.parametrize("path", ["/api/v1/scan/jobs", "/api/v1/scan/stream"])
def test_job_creation_and_the_compatibility_stream_are_limited_per_caller_too(api, path):
    flooder = _ip()
    statuses, refused = _flood(lambda: api.http.post(path, json={}, headers=_phone(flooder)))
    assert set(statuses) == {400}  # bad bodies still spend tokens: the limit comes first
    error(refused, 429, "RATE_LIMITED")


def test_a_client_address_header_is_believed_only_with_the_workers_proof(api, stack):
    url = stack.function_url("signed-url") + "/api/v1/uploads/signed-url"
    proof = {"X-Origin-Secret": stack.origin_secret}
    # Through the Worker (its proof), every request claiming the same address: one caller, limited.
    same = _ip()
    _flood(lambda: httpx.post(url, json={}, headers={"X-Client-IP": same, **proof}))
    proven = [httpx.post(url, json={}, headers={"X-Client-IP": _ip(), **proof}).status_code for _ in range(5)]
    assert proven == [200] * 5  # the same peer, but each its own caller as the Worker says


@pytest.mark.parametrize("name, method, path", [("signed-url", "POST", "/api/v1/uploads/signed-url"),
                                                ("create-job", "POST", "/api/v2/scan/jobs"),
                                                ("events", "GET", "/api/v1/scan/jobs/" + "0" * 32),
                                                ("scan-stream", "POST", "/api/v1/scan/stream")])
def test_public_functions_refuse_requests_that_did_not_come_through_the_worker(stack, name, method, path):
    url = stack.function_url(name) + path
    for headers in ({}, {"X-Origin-Secret": "guessed", "X-Client-IP": "203.0.113.7"}):
        r = httpx.request(method, url, json={}, headers=headers)
        error(r, 403, "ORIGIN_REQUIRED")
    assert httpx.get(stack.function_url(name) + "/health").status_code == 200  # health checks aside


def test_the_task_route_is_not_served_by_the_public_stream_deployment(stack):
    r = httpx.post(stack.function_url("scan-stream") + "/", json={"job_id": "0" * 32},
                   headers={"X-Internal-Secret": stack.shared_secret, "X-Origin-Secret": stack.origin_secret})
    assert r.status_code == 404


# -- idempotency ----------------------------------------------------------------------------------
def test_an_idempotent_retry_returns_the_same_job_and_a_token_that_opens_it(api, menu_photo):
    gcs_uri = api.upload(menu_photo)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.create_job(gcs_uri, headers=key)
    again = api.create_job(gcs_uri, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["job_id"] == first.json()["job_id"]
    assert again.json()["access_token"] == first.json()["access_token"]  # a phone that lost the first answer
    assert api.http.get(f"/api/v1/scan/jobs/{first.json()['job_id']}",
                        headers={"Authorization": f"Bearer {again.json()['access_token']}"}).status_code == 200


def test_the_same_idempotency_key_from_another_caller_is_another_job(api, menu_photo):
    gcs_uri = api.upload(menu_photo)
    key = uuid.uuid4().hex
    a = api.create_job(gcs_uri, headers={"Idempotency-Key": key, **_phone(_ip())})
    b = api.create_job(gcs_uri, headers={"Idempotency-Key": key, **_phone(_ip())})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["job_id"] != b.json()["job_id"]


def test_concurrent_requests_with_one_idempotency_key_make_exactly_one_job(api, menu_photo, campaign):
    gcs_uri = api.upload(menu_photo)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(api.create_job(gcs_uri, headers=key)))
               for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200] * 9 + [201]
    assert len({r.json()["job_id"] for r in answers}) == 1
    assert len({r.json()["access_token"] for r in answers}) == 1
    campaign.count("concurrent idempotent requests", len(answers))


def _as_the_worker_passes_it(stack, body: dict, headers: dict) -> httpx.Response:
    """A create-job POST straight to the function, carrying the Worker's proof (and what else it adds)."""
    return httpx.post(stack.function_url("create-job") + "/api/v1/scan/jobs", json=body, timeout=30,
                      headers={"X-Origin-Secret": stack.origin_secret, **headers})


def _edge_key() -> dict:
    return {"X-Edge-Request-Key": secrets.token_hex(32)}


def test_the_worker_key_names_the_job_so_its_repeats_get_that_job_and_token_and_another_key_another_job(
        api, stack, menu_photo):
    body = {"gcs_uri": api.upload(menu_photo), "user_preferences": {"language": "繁體中文"}}
    edge = _edge_key()
    answers = []
    # The Worker's repeat may overlap its first send, still running: both converge on one job.
    threads = [threading.Thread(target=lambda: answers.append(_as_the_worker_passes_it(stack, body, edge)))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200] * 4 + [201], [r.text for r in answers]
    assert len({(r.json()["job_id"], r.json()["access_token"]) for r in answers}) == 1
    job_id, token = answers[0].json()["job_id"], answers[0].json()["access_token"]
    assert api.http.get(f"/api/v2/scan/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    other = _as_the_worker_passes_it(stack, body, _edge_key())
    assert other.status_code == 201 and other.json()["job_id"] != job_id


def test_a_worker_key_that_would_name_another_uploads_job_is_a_400(api, stack, menu_photo):
    edge, prefs = _edge_key(), {"user_preferences": {"language": "en"}}
    first = _as_the_worker_passes_it(stack, {"gcs_uri": api.upload(menu_photo), **prefs}, edge)
    assert first.status_code == 201, first.text
    r = _as_the_worker_passes_it(stack, {"gcs_uri": api.upload(menu_photo), **prefs}, edge)
    assert r.status_code == 400 and "X-Edge-Request-Key" in r.json()["error"]["message"]


def test_the_workers_repeat_of_a_job_it_made_is_answered_even_past_the_callers_limit(api, stack, menu_photo):
    stack.restart("create-job", env={"RATE_JOB_PER_MIN": "1", "RATE_BURST": "1"})
    try:
        body = {"gcs_uri": api.upload(menu_photo), "user_preferences": {"language": "en"}}
        edge = {"X-Client-IP": _ip(), **_edge_key()}
        first = _as_the_worker_passes_it(stack, body, {**edge, "X-Edge-Send": "1"})
        again = _as_the_worker_passes_it(stack, body, {**edge, "X-Edge-Send": "2"})
        assert (first.status_code, again.status_code) == (201, 200), again.text
        assert again.json()["job_id"] == first.json()["job_id"]
        another = _as_the_worker_passes_it(stack, body, {**edge, **_edge_key()})
        assert another.status_code == 429  # a request of its own is counted
    finally:
        stack.restart("create-job")


@pytest.mark.parametrize("headers", [
    {"X-Edge-Request-Key": "not-a-key"},
    {"X-Edge-Request-Key": "AB" * 32},
], ids=["malformed", "upper-case"])
def test_a_malformed_worker_key_is_ignored_and_each_send_makes_its_job(api, stack, menu_photo, headers):
    body = {"gcs_uri": api.upload(menu_photo), "user_preferences": {"language": "en"}}
    sends = [_as_the_worker_passes_it(stack, body, headers) for _ in range(2)]
    assert [r.status_code for r in sends] == [201, 201]
    assert sends[0].json()["job_id"] != sends[1].json()["job_id"]


def test_a_clients_idempotency_key_wins_over_the_workers_key(api, stack, menu_photo):
    body = {"gcs_uri": api.upload(menu_photo), "user_preferences": {"language": "en"}}
    edge = _edge_key()
    first = _as_the_worker_passes_it(stack, body, {**edge, "Idempotency-Key": "a"})
    other = _as_the_worker_passes_it(stack, body, {**edge, "Idempotency-Key": "b"})
    assert (first.status_code, other.status_code) == (201, 201)
    assert first.json()["job_id"] != other.json()["job_id"]


def test_an_expired_idempotency_key_starts_a_new_job(api, stack, menu_photo):
    from google.cloud.firestore import FieldFilter

    from common.gcp import db

    gcs_uri = api.upload(menu_photo)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.create_job(gcs_uri, headers=key).json()["job_id"]
    records = list(db.client().collection(idempotency.IDEMPOTENCY).where(filter=FieldFilter("job_id", "==", first)).stream())
    assert len(records) == 1
    records[0].reference.update({"expire_at": clock.now() - dt.timedelta(seconds=1)})
    second = api.create_job(gcs_uri, headers=key)
    assert second.status_code == 201 and second.json()["job_id"] != first


# -- signed URLs --------------------------------------------------------------------------------
def test_a_v1_signed_url_signs_only_the_content_type_the_app_sends(api):
    signed = api.signed_url("image/jpeg")
    query = parse_qs(urlparse(signed["upload_url"]).query)
    assert query["X-Goog-SignedHeaders"] == ["content-type;host"]
    assert signed["headers"] == {"Content-Type": "image/jpeg"}


def test_a_v2_signed_upload_url_binds_type_and_size_range_and_expires_within_fifteen_minutes(api_v2):
    api = api_v2
    signed = api.signed_url("image/png")
    query = parse_qs(urlparse(signed["upload_url"]).query)
    assert set(query["X-Goog-SignedHeaders"][0].split(";")) >= {"content-type", "host", "x-goog-content-length-range"}
    assert int(query["X-Goog-Expires"][0]) <= 900
    assert signed["headers"] == {"Content-Type": "image/png", "x-goog-content-length-range": f"1,{2 * 1024 * 1024}"}
    assert urlparse(signed["upload_url"]).path.endswith(signed["gcs_uri"].rpartition("/")[2])


def test_with_user_auth_required_a_jobs_access_token_still_opens_it(api_v2, stack, menu_photo):
    api = api_v2
    job_id = api.job(api.upload(menu_photo))
    stack.restart("events", env={"USER_AUTH": "required"})
    try:
        assert api.http.get(f"/api/v2/scan/jobs/{job_id}", headers=api.auth(job_id)).status_code == 200
        r = api.http.get(f"/api/v2/scan/jobs/{job_id}", params={"access_token": api.tokens[job_id]})
        assert r.status_code == 200
        assert_well_formed(api.events(job_id))
    finally:
        stack.restart("events")


def test_once_the_daily_job_budget_is_spent_new_jobs_get_a_clear_429_until_midnight_utc(api, stack, menu_photo):
    uris = [api.upload(menu_photo) for _ in range(3)]
    stack.restart("create-job", env={"DAILY_JOB_BUDGET": "2"})
    try:
        assert [api.create_job(u).status_code for u in uris[:2]] == [201, 201]
        r = api.create_job(uris[2])
        err = error(r, 429, "DAILY_BUDGET_SPENT")
        assert "00:00 UTC" in err["message"] and 1 <= int(r.headers["retry-after"]) <= 86400
    finally:
        stack.restart("create-job")
