"""JSON that parses but cannot be stored or walked: bodies nested a thousand deep, and lone UTF-16
surrogates ("\\ud800"). A request carrying either is a 400 naming it, never a 500; a model's answer
carrying a surrogate is cleaned, so the job's writes still go through."""
from __future__ import annotations

import base64
import json

import flask
import pytest

from common.api import bodies, schemas
from common.core.errors import InvalidJson, Unauthorized
from common.menu.items import MenuItem, MenuReading

DEEP = b'{"gcs_uri": ' + b"[" * 1500 + b"]" * 1500 + b"}"  # 3 KB


def _parse(raw: bytes, model=schemas.Body, *args):
    with flask.Flask("t").test_request_context("/", method="POST", data=raw,
                                               headers={"Content-Type": "application/json"}):
        return bodies.parse_json(flask.request, model, *args)


def test_a_body_nested_fifteen_hundred_deep_is_a_400_not_a_recursion_error():
    with pytest.raises(InvalidJson, match="nested deeper than"):
        _parse(DEEP)


def test_a_body_nested_past_the_bound_is_refused_and_one_within_it_is_taken():
    within = {"a": json.loads("[" * (bodies.MAX_JSON_DEPTH - 1) + "]" * (bodies.MAX_JSON_DEPTH - 1))}
    assert _parse(json.dumps(within).encode()) == within
    with pytest.raises(InvalidJson, match="nested deeper than"):
        _parse(json.dumps({"a": [within]}).encode())


@pytest.mark.parametrize("body", [
    b'{"gcs_uri": "gs://b/o", "push_token": "\\ud800"}',
    b'{"gcs_uri": "gs://b/o", "callback_url": "https://x.example/\\udfff"}',
    b'{"gcs_uri": "gs://b/o", "profile": "prf_\\ud83d"}',
    b'{"name": "lunch", "schema": {"type": "object", "description": "\\udead"}}',
    b'{"\\ud800": 1}',
    b'{"user_preferences": {"language": "\\ud800"}}',
])
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400_naming_where(body):
    with pytest.raises(InvalidJson, match="lone UTF-16 surrogate") as refused:
        _parse(body)
    refused.value.message.encode()  # the message itself is storable text


def test_a_surrogate_pair_is_text_and_is_taken():
    assert _parse(b'{"name": "\\ud83c\\udf63"}') == {"name": "\U0001f363"}


def test_a_bearer_token_whose_header_nests_a_thousand_arrays_is_a_401():
    from common.api.jwt import JwtVerifier

    header = base64.urlsafe_b64encode(b"[" * 2000 + b"]" * 2000).rstrip(b"=").decode()
    with pytest.raises(Unauthorized):
        JwtVerifier("https://issuer.example", ["aud"], "http://127.0.0.1:9/jwks").verify(f"{header}.e30.c2ln")


def test_a_models_answer_with_a_lone_surrogate_is_cleaned_as_it_is_read():
    item = MenuItem(id="item-1", original_name="焼き\ud800鳥", translated_name="\udfff", tags=["x\ud800"],
                    image_error={"message": "\ud800"})
    assert (item.original_name, item.translated_name, item.tags) == ("焼き\ufffd鳥", "\ufffd", ["x\ufffd"])
    json.dumps(item.model_dump(), ensure_ascii=False).encode()  # storable
    reading = MenuReading(items=[{"id": "1", "original_name": "\ud800", "translated_name": "a"}], engine="gemini",
                          source_language="\ud800")
    assert reading.items[0].original_name == reading.source_language == "\ufffd"


# -- on the stack, through the Worker ----------------------------------------------------------------
HOSTILE = {
    "deep": DEEP,
    "surrogate push_token": b'{"gcs_uri": "GCS", "push_token": "ExponentPushToken[\\ud800]"}',
    "surrogate callback_url": b'{"gcs_uri": "GCS", "callback_url": "https://hooks.example/\\ud800"}',
    "surrogate profile": b'{"gcs_uri": "GCS", "profile": "prf_\\udfff"}',
    "surrogate language": b'{"gcs_uri": "GCS", "user_preferences": {"language": "\\ud800"}}',
    "surrogate key": b'{"gcs_uri": "GCS", "\\ud800": true}',
    "surrogate content_type": b'{"content_type": "image/\\ud800"}',
    "surrogate image": b'{"image_base64": "\\ud800", "language": "en"}',
}
PATHS = ["/api/v1/uploads/signed-url", "/api/v2/uploads/signed-url", "/api/v1/scan/jobs", "/api/v2/scan/jobs",
         "/api/v1/scan/stream"]


def test_every_json_entry_point_answers_hostile_json_with_a_400_never_a_5xx(api, campaign):
    gcs_uri = api.upload(b"\xff\xd8\xff" + b"0" * 100).encode()
    answers = []
    me = {"Content-Type": "application/json", "CF-Connecting-IP": "198.18.27.4"}  # limits of its own
    for path in PATHS:
        for name, body in HOSTILE.items():
            r = api.http.post(path, content=body.replace(b"GCS", gcs_uri), headers=me)
            answers.append((path, name, r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else ""))
    assert [a for a in answers if a[2] >= 500] == []
    assert all(status == 400 and code == "INVALID_JSON" for _, _, status, code in answers), answers
    campaign.count("hostile JSON requests sent", len(answers))
    campaign.count("hostile JSON refused 400 as it should be", sum(a[2] == 400 for a in answers))
    campaign.count("hostile JSON 5xx", sum(a[2] >= 500 for a in answers))


def test_a_model_answer_carrying_a_lone_surrogate_still_completes_the_job(api, stack, monkeypatch, menu_photo):
    from common.jobs import store
    from common.scan import engine, run
    from tests.support import make_job

    gcs_uri = api.upload(menu_photo)  # before the job: no finalize event runs it, only this run
    job = make_job(gcs_uri)
    real = engine.engine()
    read_menu = real.read_menu

    def answer_with_a_surrogate(*args, **kwargs):
        reading = read_menu(*args, **kwargs)
        # As if the model had written "\\ud800" inside a name: json.loads makes it a lone surrogate.
        raw = json.loads('{"items": [{"id": "item-1", "original_name": "\\ud800\\u5510\\u63da\\u3052", '
                         '"translated_name": "fried chicken \\udfff", "is_top3": true}]}')
        return MenuReading(items=raw["items"] + [i.model_dump() for i in reading.items[1:]], engine=reading.engine)

    monkeypatch.setattr(real, "read_menu", answer_with_a_surrogate)
    assert run.run_job(job.job_id, "task") == "completed"
    stored = store.get(job.job_id)
    assert stored.status == "completed" and stored.items[0]["original_name"] == "\ufffd唐揚げ"
