"""push_token: an Expo push token or nothing. v1 drops anything else and still runs the job (the shipped
app's contract); v2 refuses it. A push never carries a caller's own words."""
from __future__ import annotations

import pytest

from common.api import schemas
from common.core.errors import BadRequest
from common.jobs.model import Job
from common.notify import expo
from tests.support import EXPO_TOKEN

NOT_TOKENS = ["garbage", "ExponentPushToken[]", "ExponentPushToken[a b]", "ExponentPushToken[x]\nBcc: y",
              "exponentpushtoken[abc]", "https://evil.example/", "ExponentPushToken[" + "a" * 300 + "]"]


def _v1(value):
    return schemas.CreateJobRequest.from_json({"gcs_uri": "gs://b/o", "push_token": value}, "v1").push_token


@pytest.mark.parametrize("token", [EXPO_TOKEN, "ExpoPushToken[xk3Fh2LmQ9aZ0pR7tY4wB1]",
                                   "550e8400-e29b-41d4-a716-446655440000"])
def test_an_expo_push_token_is_taken_on_both_versions(token):
    assert _v1(token) == token and _v1({"type": "expo", "data": token}) == token
    assert schemas.CreateJobRequest.from_json({"gcs_uri": "x", "push_token": token}, "v2").push_token == token


@pytest.mark.parametrize("value", NOT_TOKENS)
def test_v1_drops_what_is_not_an_expo_push_token_and_v2_refuses_it(value):
    assert _v1(value) is None and _v1({"type": "expo", "data": value}) is None
    with pytest.raises(BadRequest) as refused:
        schemas.CreateJobRequest.from_json({"gcs_uri": "x", "push_token": value}, "v2")
    assert refused.value.code == "INVALID_PUSH_TOKEN" and "push_token" in refused.value.message


def test_v1_creates_the_job_without_the_token_and_v2_answers_400(api, api_v2, menu_photo):
    r = api.create_job(api.upload(menu_photo), "繁體中文", push_token="not-an-expo-token")
    assert r.status_code == 201, r.text
    from common.jobs import store

    assert store.get(r.json()["job_id"]).push_token is None
    r = api_v2.create_job(api_v2.upload(menu_photo), "zh-TW", push_token="not-an-expo-token")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_PUSH_TOKEN", r.text


def _profile_job(name: str, language: str, kind: str = "custom", profile_id: str = "prf_" + "a" * 20) -> Job:
    return Job(job_id="f" * 32, status="completed", language=language, push_token=EXPO_TOKEN,
               profile={"id": profile_id, "version": 3, "kind": kind, "name": name, "instructions": "",
                        "schema": "{}", "format": "json"})


@pytest.mark.parametrize("language", ["en", "zh-TW", "ja", "fr"])
def test_a_custom_profiles_name_never_reaches_the_push_text(language):
    name = "Claim your prize at http://evil.example"
    msg = expo.message(_profile_job(name, language))
    assert name not in msg["title"] + msg["body"] and "evil" not in str(msg)
    assert msg["data"]["profile"] == "prf_" + "a" * 20  # the app can still tell which profile ran


def test_a_built_in_profile_is_still_named_in_the_readers_language():
    msg = expo.message(_profile_job("", "ja", kind="builtin", profile_id="recipe"))
    assert "レシピ" in msg["body"]
