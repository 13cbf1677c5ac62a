"""ORIGIN_SECRET can be rotated without a 403: during the rotation the functions take the previous
secret too (ORIGIN_SECRET_PREVIOUS), while the Worker moves from the old one to the new."""
from __future__ import annotations

import os

import httpx
import pytest


@pytest.fixture
def rotating(stack):
    """signed-url and create-job with a new secret, the stack's (the Worker's, still) as the previous one."""
    new = os.urandom(16).hex()
    env = {"ORIGIN_SECRET": new, "ORIGIN_SECRET_PREVIOUS": stack.origin_secret}
    for name in ("signed-url", "create-job"):
        stack.restart(name, env=env)
    yield new
    for name in ("signed-url", "create-job"):
        stack.restart(name)


def test_during_a_rotation_the_old_and_the_new_secret_both_pass_and_no_other(api, stack, rotating):
    assert api.http.post("/api/v1/uploads/signed-url", json={}).status_code == 200  # the Worker: the old one
    url = stack.function_url("signed-url") + "/api/v1/uploads/signed-url"
    for secret, status in ((rotating, 200), (stack.origin_secret, 200), (os.urandom(16).hex(), 403), ("", 403)):
        r = httpx.post(url, json={}, headers={"X-Origin-Secret": secret} if secret else {})
        assert r.status_code == status, (secret == rotating, r.text)


def test_a_client_address_and_the_workers_key_are_believed_under_either_secret(api, stack, rotating):
    from common.api import auth
    from common.core.settings import Settings

    settings = Settings.from_env({**stack.env(), "ORIGIN_SECRET": rotating, "ORIGIN_SECRET_PREVIOUS": stack.origin_secret})
    for secret in (rotating, stack.origin_secret):
        headers = {"X-Origin-Secret": secret, "X-Client-IP": "203.0.113.5"}
        assert auth.client_ip(headers, "127.0.0.1", settings) == "203.0.113.5"
    assert auth.client_ip({"X-Origin-Secret": "nope", "X-Client-IP": "203.0.113.5"}, "127.0.0.1", settings) == \
        "127.0.0.1"
    # The job a Worker's key names follows from the secret that request proved: the same on every send.
    gcs_uri = api.upload(b"\xff\xd8\xff" + b"0" * 100)
    key = os.urandom(32).hex()
    url = stack.function_url("create-job") + "/api/v1/scan/jobs"
    made = [httpx.post(url, json={"gcs_uri": gcs_uri}, headers={"X-Origin-Secret": stack.origin_secret,
                                                                "X-Edge-Request-Key": key, "X-Edge-Send": send})
            for send in ("1", "2")]
    assert [r.status_code for r in made] == [201, 200] and made[0].json()["job_id"] == made[1].json()["job_id"]
