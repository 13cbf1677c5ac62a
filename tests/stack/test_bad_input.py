"""Caller mistakes get a 4xx JSON error naming what is wrong (hostile uploads: test_faults.py)."""
from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api import assert_well_formed, parse_sse
from tests.support import error


def test_an_unknown_job_is_a_404_on_both_snapshot_and_events(api):
    unknown = uuid.uuid4().hex
    some_token = {"Authorization": "Bearer " + uuid.uuid4().hex}
    error(api.http.get(f"/api/v1/scan/jobs/{unknown}", headers=some_token), 404, "JOB_NOT_FOUND")
    error(api.http.get(f"/api/v1/scan/jobs/{unknown}/events", headers=some_token), 404, "JOB_NOT_FOUND")
    error(api.http.get("/api/v1/scan/jobs/not-a-job-id", headers=some_token), 404, "JOB_NOT_FOUND")


def test_malformed_json_is_a_400_naming_the_problem(api):
    r = api.http.post("/api/v1/scan/jobs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert "JSON" in error(r, 400, "INVALID_JSON")["message"]
    r = api.http.post("/api/v1/scan/jobs", content=b"[1,2]", headers={"Content-Type": "application/json"})
    error(r, 400, "INVALID_JSON")


def test_a_missing_field_is_a_400_naming_the_field(api):
    r = api.http.post("/api/v1/scan/jobs", json={"user_preferences": {"language": "en"}})
    assert "gcs_uri" in error(r, 400, "INVALID_REQUEST")["message"]


def test_a_body_that_is_not_json_is_a_415(api):
    r = api.http.post("/api/v1/scan/jobs", content=b"gcs_uri=x", headers={"Content-Type": "text/plain"})
    error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_an_unsupported_upload_content_type_is_a_400_naming_the_allowed_ones(api):
    r = api.http.post("/api/v1/uploads/signed-url", json={"content_type": "application/pdf"})
    body = error(r, 400, "UNSUPPORTED_CONTENT_TYPE")
    assert "image/jpeg" in body["message"]


@pytest.mark.parametrize("uri", [
    "gs://someone-elses-bucket/uploads/0123456789abcdef0123456789abcdef.jpg",
    "gs://menu-uploads/private/0123456789abcdef0123456789abcdef.jpg",
    "gs://menu-uploads/uploads/../secrets/0123456789abcdef0123456789abcdef.jpg",
    "gs://menu-uploads/uploads/photo.jpg",
    "https://menu-uploads/uploads/0123456789abcdef0123456789abcdef.jpg",
])
def test_a_gcs_uri_outside_our_bucket_and_uploads_prefix_is_refused(api, uri):
    error(api.create_job(uri), 400, "INVALID_GCS_URI")


def test_on_v2_a_language_that_is_not_a_tag_is_a_400_naming_the_field(api_v2):
    r = api_v2.create_job("gs://menu-uploads/uploads/0123456789abcdef0123456789abcdef.jpg", language="not a tag!")
    assert "user_preferences.language" in error(r, 400, "INVALID_LANGUAGE")["message"]


def test_on_v1_no_language_is_ever_a_400(api, menu_photo):
    for language in ("not a tag!", "繁體中文", "x" * 500, ""):
        r = api.create_job(api.upload(menu_photo), language=language)
        assert r.status_code == 201, r.text


def test_on_v2_an_invalid_last_event_id_is_a_400(api_v2, menu_photo):
    api = api_v2
    job_id = api.job(api.upload(menu_photo))
    for bad in ("abc", "-1", "undefined"):
        error(api.http.get(f"/api/v2/scan/jobs/{job_id}/events", params={"last_event_id": bad},
                          headers=api.auth(job_id)), 400, "INVALID_LAST_EVENT_ID")


def test_on_v1_a_resume_id_that_is_not_a_number_replays_from_the_start(api, menu_photo):
    job_id = api.job(api.upload(menu_photo))
    whole = api.events(job_id)
    with api.http.stream("GET", f"/api/v1/scan/jobs/{job_id}/events", params={"last_event_id": "undefined"}) as r:
        assert r.status_code == 200
        ids = [f.id for f in parse_sse(r.iter_lines()) if f.id is not None]
    assert ids == [f.id for f in whole]


def test_unknown_routes_and_wrong_methods_are_json_404_and_405(api):
    error(api.http.get("/api/v1/nothing-here"), 404)
    error(api.http.get("/api/v1/scan/jobs"), 405)
    error(api.http.delete(f"/api/v1/scan/jobs/{uuid.uuid4().hex}"), 405)


def test_every_function_answers_health(api, stack):
    for name in ("signed-url", "create-job", "events", "run-scan-task", "scan-stream"):
        r = httpx.get(f"{stack.function_url(name)}/health")
        assert r.status_code == 200 and r.json()["status"] == "ok"


def test_a_compatibility_stream_request_with_bad_base64_is_a_400(api):
    r = api.http.post("/api/v1/scan/stream", json={"image_base64": "%%%not base64%%%"})
    error(r, 400, "INVALID_BASE64")
    r = api.http.post("/api/v1/scan/stream", json={"image_base64": "aGVsbG8gd29ybGQ="})
    error(r, 400, "UNSUPPORTED_IMAGE")


def test_the_same_idempotency_key_and_body_return_the_same_job_and_a_different_body_is_a_422(api, menu_photo):
    uri = api.upload(menu_photo)
    first = api.create_job(uri, headers={"Idempotency-Key": "k-1"})
    again = api.create_job(uri, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["job_id"] == again.json()["job_id"]
    error(api.create_job(uri, language="en", headers={"Idempotency-Key": "k-1"}), 422, "IDEMPOTENCY_KEY_REUSED")
    assert_well_formed(api.events(first.json()["job_id"]))
