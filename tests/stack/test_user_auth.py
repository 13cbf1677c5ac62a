"""End users signed in with ID tokens (USER_AUTH=optional), and the logs that must never show a secret.

The suite's stack runs with the production default, USER_AUTH=off; this module turns end-user auth
on for the public functions while it runs, as a deployment that enables it would.
"""
from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from devstack.stack import ENTRY_POINTS
from tests.support import error, signed_in

PUBLIC = ("signed-url", "create-job", "events", "scan-stream")


@pytest.fixture(scope="module", autouse=True)
def optional_auth(stack):
    yield from signed_in(stack, PUBLIC)


def test_a_job_made_by_a_signed_in_user_opens_with_that_users_token_and_no_one_elses(api, idp, menu_photo):
    gcs_uri = api.upload(menu_photo)
    r = api.create_job(gcs_uri, headers={"Authorization": f"Bearer {idp.token('alice')}"})
    assert r.status_code == 201
    job_id = r.json()["job_id"]
    for path in (f"/api/v1/scan/jobs/{job_id}", f"/api/v1/scan/jobs/{job_id}/events"):
        # A fresh token of the same user (another device, after a refresh) opens it.
        with api.http.stream("GET", path, headers={"Authorization": f"Bearer {idp.token('alice')}"}) as resp:
            assert resp.status_code == 200
        error(api.http.get(path, headers={"Authorization": f"Bearer {idp.token('mallory')}"}), 404, "JOB_NOT_FOUND")
    assert api.snapshot(job_id)["job_id"] == job_id  # the job's own access token still works


@pytest.mark.parametrize("kind,code", [
    ("expired", "TOKEN_EXPIRED"), ("audience", "INVALID_TOKEN"), ("issuer", "INVALID_TOKEN"),
    ("unknown key", "INVALID_TOKEN"), ("unsigned", "INVALID_TOKEN"), ("hmac", "INVALID_TOKEN"),
])
def test_a_bad_user_token_is_a_401_naming_the_problem(api, idp, kind, code):
    import jwt

    good = idp.token("alice")
    token = {
        "expired": lambda: idp.token("alice", ttl_s=-120),
        "audience": lambda: idp.token("alice", aud="another-app"),
        "issuer": lambda: idp.token("alice", iss="https://evil.test"),
        "unknown key": lambda: idp.token("alice", kid="no-such-key"),
        "unsigned": lambda: jwt.encode(jwt.decode(good, options={"verify_signature": False}), None, algorithm="none")
        + "x",
        "hmac": lambda: jwt.encode(jwt.decode(good, options={"verify_signature": False}), "k" * 32, algorithm="HS256",
                                   headers={"kid": jwt.get_unverified_header(good)["kid"]}),
    }[kind]()
    r = api.http.post("/api/v1/uploads/signed-url", json={}, headers={"Authorization": f"Bearer {token}"})
    error(r, 401, code)


def test_a_rotated_signing_key_is_picked_up_and_made_up_key_ids_cannot_force_key_fetches(api, idp):
    def upload_url(token: str) -> int:
        return api.http.post("/api/v1/uploads/signed-url", json={},
                             headers={"Authorization": f"Bearer {token}"}).status_code

    assert upload_url(idp.token("alice")) == 200
    idp.rotate()
    # AUTH_JWKS_MIN_REFRESH_S (2 s on the test stack) must pass in the function's own process, whose clock a
    # test cannot move; tests/unit/test_auth.py checks the same interval on a moved clock.
    time.sleep(2.1)
    assert upload_url(idp.token("alice")) == 200  # unknown key id: the key set is fetched again, once
    before = idp.fetches
    assert [upload_url(idp.token("alice", kid=uuid.uuid4().hex)) for _ in range(20)] == [401] * 20
    assert idp.fetches - before <= 1  # at most one fetch per AUTH_JWKS_MIN_REFRESH_S, however many ids


def test_no_token_secret_or_signature_ever_reaches_a_log(api, stack, idp, menu_photo):
    signed = api.signed_url()
    api.put(signed, menu_photo)
    job_id = api.job(signed["gcs_uri"])
    token = api.tokens[job_id]
    user_token = idp.token("carol")
    api.events(job_id)
    api.http.get(f"/api/v1/scan/jobs/{job_id}/events", params={"access_token": token})
    api.http.get(f"/api/v1/scan/jobs/{job_id}", headers={"Authorization": "Bearer wrong-" + token})
    api.http.post("/api/v1/uploads/signed-url", json={}, headers={"Authorization": f"Bearer {user_token}"})
    api.http.post("/api/v1/uploads/signed-url", json={}, headers={"Authorization": f"Bearer {user_token}x"})
    api.deliver_task(job_id, headers={"X-Internal-Secret": "wrong-" + stack.shared_secret})
    signature = parse_qs(urlparse(signed["upload_url"]).query)["X-Goog-Signature"][0]
    secrets = {"access token": token, "user token": user_token, "internal secret": stack.shared_secret,
               "origin secret": stack.origin_secret, "R2 secret": stack.r2_secret, "URL signature": signature,
               "webhook secret": stack.webhook_secret,
               "Gemini key": "test-key"}
    ours = [*ENTRY_POINTS, "gateway", "relay"]  # the emulators' own logs are not ours to police
    logs = {name: stack.log_path(name).read_text(errors="replace") for name in ours}
    assert sum(len(text) for text in logs.values()) > 10_000  # the functions did log
    leaks = [(what, name) for what, value in secrets.items() for name, text in logs.items() if value in text]
    assert leaks == []
