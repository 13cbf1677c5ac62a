"""Scan profiles: recipe, bookshelf and a caller's own, end to end through the stack; versions,
pinning, privacy, schema checks, the result in every format.

Profiles belong to signed-in callers: this module turns end-user sign-in on (USER_AUTH=optional) for
the public functions while it runs, as a deployment that offers profiles would.
"""
from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.api import assert_well_formed
from tests.support import BAD_PROFILES, EXPO_TOKEN, WINE_LIST, WINES, error, eventually, expo, signed_in
from tests.webhook_receiver import Receiver

PUBLIC = ("create-job", "events", "profiles")
RECIPE = {"title": "番茄炒蛋", "servings": 3, "prep_minutes": 5, "cook_minutes": 10, "total_minutes": 15,
          "ingredients": [{"quantity": 2, "quantity_max": None, "unit": "顆", "item": "番茄", "text": "番茄 2顆"},
                          {"quantity": 0.5, "quantity_max": 1, "unit": "tsp", "item": "鹽", "text": "鹽 1/2-1茶匙"}],
          "steps": ["雞蛋打散，炒至半熟盛起。", "番茄炒軟，倒回雞蛋拌勻。"]}


@pytest.fixture(scope="module", autouse=True)
def signed_in_profiles(stack):
    yield from signed_in(stack, PUBLIC)


@pytest.fixture
def alice(idp) -> dict:
    return {"Authorization": f"Bearer {idp.token('alice')}"}


def _profile(api, headers, **body) -> httpx.Response:
    return api.http.post("/api/v2/profiles", json={**WINE_LIST, **body}, headers=headers)


def _job(api, photo, headers=None, **extra) -> httpx.Response:
    return api.create_job(api.upload(photo), "zh-TW", headers=headers, **extra)


def _run(api, job_id) -> tuple[list, dict]:
    frames = api.events(job_id)
    assert_well_formed(frames)
    return frames, frames[-1].data


def test_a_recipe_job_streams_one_validated_result_before_done_and_the_snapshot_holds_it(api_v2, menu_photo):
    api_v2.script("extract", {"json": RECIPE})
    r = _job(api_v2, menu_photo, profile="recipe")
    assert r.status_code == 201, r.text
    frames, done = _run(api_v2, r.json()["job_id"])
    assert [f.event for f in frames][-2:] == ["result", "done"] and done["status"] == "completed", frames[-2:]
    result = frames[-2].data
    assert (result["profile"], result["version"], result["data"]) == ("recipe", 1, RECIPE)
    assert done["profile"] == {"id": "recipe", "version": 1}
    assert not any(f.event in ("menu_data", "image_update") for f in frames)
    snap = api_v2.snapshot(r.json()["job_id"])
    assert snap["result"] == {"profile": "recipe", "version": 1, "data": RECIPE}
    assert snap["profile"] == {"id": "recipe", "version": 1, "format": "json"} and snap["items"] == []
    # The model was asked in the reader's language, with the recipe's schema.
    req = next(r for r in api_v2.gemini_calls()["requests"] if r["kind"] == "extract")
    assert "Traditional Chinese" in req["prompt"] or "zh-TW" in req["prompt"]


def test_a_bookshelf_lists_the_books_read_with_little_confidence_for_review_by_the_servers_threshold(api_v2,
                                                                                                      menu_photo):
    books = [{"title": "Moby Dick", "authors": ["Herman Melville"], "confidence": 0.93},
             {"title": "Dune?", "authors": [], "confidence": 0.41},
             {"title": "紅樓夢", "authors": ["曹雪芹"], "confidence": 0.6}]
    # The model's own review list is replaced by the server's, from BOOKSHELF_REVIEW_THRESHOLD (0.6).
    api_v2.script("extract", {"json": {"books": books, "needs_review": []}})
    frames, done = _run(api_v2, _job(api_v2, menu_photo, profile="bookshelf").json()["job_id"])
    data = frames[-2].data["data"]
    assert data["books"] == books and data["needs_review"] == [{"title": "Dune?", "confidence": 0.41}]


def test_an_answer_that_breaks_the_schema_is_retried_then_fails_the_job_with_result_invalid(api_v2, stack,
                                                                                            menu_photo):
    api_v2.script("extract", *[{"invalid": True}] * 8)
    frames, done = _run(api_v2, _job(api_v2, menu_photo, profile="recipe").json()["job_id"])
    err = next(f.data for f in frames if f.event == "error")
    assert err["code"] == "RESULT_INVALID" and "schema" in err["message"] and done["status"] == "failed"
    assert not any(f.event == "result" for f in frames)
    job_id = frames[-1].data["session_id"]
    error(api_v2.http.get(f"/api/v2/scan/jobs/{job_id}/result", headers=api_v2.auth(job_id)), 409, "JOB_FAILED")
    # Every try of the budget, then one on the fallback model.
    assert api_v2.gemini_calls()["calls"]["extract"] == int(stack.env()["MODEL_MAX_ATTEMPTS"]) + 1


def test_an_answer_that_breaks_the_schema_once_is_retried_and_the_valid_one_kept(api_v2, menu_photo):
    api_v2.script("extract", {"json": {"title": 12}}, {"json": RECIPE})
    frames, done = _run(api_v2, _job(api_v2, menu_photo, profile="recipe").json()["job_id"])
    assert done["status"] == "completed" and frames[-2].data["data"] == RECIPE


def test_a_custom_profile_is_made_versioned_published_and_rolled_back_by_its_owner(api_v2, alice):
    r = _profile(api_v2, alice, schema=WINES)
    assert r.status_code == 201, r.text
    prof = r.json()
    pid = prof["profile_id"]
    assert pid.startswith("prf_") and prof["latest_version"] == 1 and prof["published_version"] is None
    assert prof["versions"][0]["schema"] == WINES and prof["versions"][0]["format"] == "json"
    # A new version from an example document: its schema is inferred.
    v2 = api_v2.http.post(f"/api/v2/profiles/{pid}/versions", headers=alice, json={
        "instructions": "List every wine with its vintage.", "example": {"wines": [{"name": "Rioja", "vintage": 2019}]},
        "format": "csv"})
    assert v2.status_code == 201, v2.text
    version2 = v2.json()["versions"][1]
    assert version2["inferred_from_example"] and version2["schema"]["properties"]["wines"]["items"]["properties"] == \
        {"name": {"type": "string"}, "vintage": {"type": "integer"}}
    assert api_v2.http.post(f"/api/v2/profiles/{pid}/publish", headers=alice, json={}).json()["published_version"] == 2
    back = api_v2.http.post(f"/api/v2/profiles/{pid}/rollback", headers=alice, json={"version": 1})
    assert back.status_code == 200 and back.json()["published_version"] == 1
    error(api_v2.http.post(f"/api/v2/profiles/{pid}/rollback", headers=alice, json={"version": 2}), 400,
           "NO_SUCH_VERSION")  # forward is a publish, not a rollback
    listed = api_v2.http.get("/api/v2/profiles", headers=alice).json()["profiles"]
    assert [(p["profile_id"], p["latest_version"], p["published_version"]) for p in listed] == [(pid, 2, 1)]
    one = api_v2.http.get(f"/api/v2/profiles/{pid}/versions/2", headers=alice)
    assert one.status_code == 200 and one.json()["format"] == "csv" and not one.json()["published"]


def test_another_caller_can_neither_read_nor_use_a_private_profile(api_v2, alice, idp, menu_photo):
    pid = _profile(api_v2, alice, schema=WINES, publish=True).json()["profile_id"]
    mallory = {"Authorization": f"Bearer {idp.token('mallory')}"}
    for path in (f"/api/v2/profiles/{pid}", f"/api/v2/profiles/{pid}/versions/1"):
        error(api_v2.http.get(path, headers=mallory), 404, "PROFILE_NOT_FOUND")
    error(api_v2.http.post(f"/api/v2/profiles/{pid}/versions", headers=mallory,
                            json={"instructions": "Overwrite it, please.", "schema": WINES}), 404, "PROFILE_NOT_FOUND")
    error(api_v2.http.post(f"/api/v2/profiles/{pid}/publish", headers=mallory, json={}), 404, "PROFILE_NOT_FOUND")
    error(api_v2.http.post(f"/api/v2/profiles/{pid}/rollback", headers=mallory, json={"version": 1}), 404,
           "PROFILE_NOT_FOUND")
    assert api_v2.http.get("/api/v2/profiles", headers=mallory).json() == {"profiles": []}
    error(_job(api_v2, menu_photo, headers=mallory, profile=pid), 404, "PROFILE_NOT_FOUND")
    error(_job(api_v2, menu_photo, profile=pid), 404, "PROFILE_NOT_FOUND")  # anonymous: no one's profile
    error(api_v2.http.get("/api/v2/profiles"), 401, "AUTH_REQUIRED")


@pytest.mark.parametrize("body, needle", BAD_PROFILES)
def test_a_bad_profile_is_a_400_naming_the_problem(api_v2, alice, body, needle):
    r = _profile(api_v2, alice, **body)
    assert r.status_code == 400, r.text
    assert needle in r.json()["error"]["message"]


def test_a_job_runs_the_version_it_was_created_with_whatever_is_published_while_it_runs(api_v2, alice, menu_photo):
    pid = _profile(api_v2, alice, schema=WINES, publish=True).json()["profile_id"]
    # Under the model call's timeout (GEMINI_TIMEOUT_MS): one attempt, answered slowly.
    api_v2.script("extract", {"delay_s": 1.2, "json": {"wines": [{"name": "Rioja", "vintage": 2019}]}})
    job_id = _job(api_v2, menu_photo, headers=alice, profile=pid).json()["job_id"]
    eventually(lambda: any(r["kind"] == "extract" for r in api_v2.gemini_calls()["requests"]),
               what="the job's model call to start")
    # While its model call runs: a version 2 with other instructions and a schema the answer breaks, published.
    strict = {**WINES, "required": ["wines", "sommelier"]}
    api_v2.http.post(f"/api/v2/profiles/{pid}/versions", headers=alice,
                     json={"instructions": "Only the sparkling wines, please.", "schema": strict})
    assert api_v2.http.post(f"/api/v2/profiles/{pid}/publish", headers=alice, json={}).json()["published_version"] == 2
    frames, done = _run(api_v2, job_id)
    assert done["status"] == "completed" and done["profile"] == {"id": pid, "version": 1}
    assert frames[-2].data["version"] == 1 and frames[-2].data["data"]["wines"][0]["vintage"] == 2019
    prompt = next(r for r in api_v2.gemini_calls()["requests"] if r["kind"] == "extract")["prompt"]
    assert "List every wine" in prompt and "sparkling" not in prompt
    # A new job gets version 2; naming a version pins that one.
    assert _job(api_v2, menu_photo, headers=alice, profile=f"{pid}@1").status_code == 201
    error(_job(api_v2, menu_photo, headers=alice, profile=f"{pid}@9"), 404, "NO_SUCH_VERSION")


def test_an_unpublished_profile_runs_only_when_a_version_is_named(api_v2, alice, menu_photo):
    pid = _profile(api_v2, alice, schema=WINES).json()["profile_id"]
    error(_job(api_v2, menu_photo, headers=alice, profile=pid), 409, "PROFILE_NOT_PUBLISHED")
    r = _job(api_v2, menu_photo, headers=alice, profile=f"{pid}@1")
    assert r.status_code == 201
    _, done = _run(api_v2, r.json()["job_id"])  # the fake answers from the schema itself
    assert done["status"] == "completed"
    assert api_v2.snapshot(r.json()["job_id"])["result"]["data"]["wines"][0]["vintage"] >= 1900


def test_an_unknown_profile_name_is_a_400_and_v1_stays_a_menu_whatever_it_sends(api, api_v2, menu_photo):
    for name in ("horoscope", "prf_0123456789abcdef/x", "prf_0123456789abcdef@one", "prf_../scan_jobs"):
        error(_job(api_v2, menu_photo, profile=name), 400, "UNKNOWN_PROFILE")
    r = api.create_job(api.upload(menu_photo), "繁體中文", profile="recipe")
    frames, done = _run(api, r.json()["job_id"])
    assert any(f.event == "menu_data" for f in frames) and not any(f.event == "result" for f in frames)
    assert "profile" not in done and "profile" not in api.snapshot(r.json()["job_id"])


def test_the_result_renders_in_each_format_and_each_parses_back_with_its_own_library(api_v2, alice, menu_photo):
    import xmltodict
    import yaml

    pid = _profile(api_v2, alice, schema=WINES, publish=True, format="yaml").json()["profile_id"]
    wines = {"wines": [{"name": "Rioja", "vintage": 2019, "region": {"country": "Spain"}},
                       {"name": "Barolo", "vintage": 2016, "region": {"country": "Italy"}}]}
    api_v2.script("extract", {"json": wines})
    job_id = _job(api_v2, menu_photo, headers=alice, profile=pid).json()["job_id"]
    _run(api_v2, job_id)

    def get(fmt=None):
        r = api_v2.http.get(f"/api/v2/scan/jobs/{job_id}/result", params={"format": fmt} if fmt else {},
                            headers=api_v2.auth(job_id))
        assert r.status_code == 200, r.text
        return r

    default = get()  # the profile's format
    assert default.headers["content-type"].startswith("application/yaml") and yaml.safe_load(default.text) == wines
    assert json.loads(get("json").text) == wines
    assert yaml.safe_load(get("yaml").text) == wines
    xml = xmltodict.parse(get("xml").text)["result"]["wines"]
    assert [(w["name"], int(w["vintage"]), w["region"]["country"]) for w in xml] == \
        [("Rioja", 2019, "Spain"), ("Barolo", 2016, "Italy")]
    rows = list(csv.DictReader(io.StringIO(get("csv").text)))
    assert rows == [{"name": "Rioja", "vintage": "2019", "region.country": "Spain"},
                    {"name": "Barolo", "vintage": "2016", "region.country": "Italy"}]
    text = get("text")
    assert text.headers["content-type"].startswith("text/plain") and "- name: Rioja" in text.text
    error(api_v2.http.get(f"/api/v2/scan/jobs/{job_id}/result", params={"format": "pdf"},
                           headers=api_v2.auth(job_id)), 400, "INVALID_FORMAT")
    error(api_v2.http.get(f"/api/v2/scan/jobs/{job_id}/result"), 401, "ACCESS_TOKEN_REQUIRED")


def test_a_menu_jobs_result_is_its_items_and_a_job_still_running_has_none_yet(api_v2, menu_photo):
    api_v2.script("menu", {"delay_s": 2})
    job_id = _job(api_v2, menu_photo).json()["job_id"]
    error(api_v2.http.get(f"/api/v2/scan/jobs/{job_id}/result", headers=api_v2.auth(job_id)), 409,
           "RESULT_NOT_READY")
    _run(api_v2, job_id)
    rows = list(csv.DictReader(io.StringIO(api_v2.http.get(f"/api/v2/scan/jobs/{job_id}/result?format=csv",
                                                           headers=api_v2.auth(job_id)).text)))
    assert [r["original_name"] for r in rows][:2] == ["唐揚げ", "焼き鳥盛り合わせ"] and "translated_name" in rows[0]


def test_profiles_need_end_user_sign_in_on_the_deployment(api_v2, stack, alice):
    stack.restart("profiles")  # USER_AUTH=off, the production default
    try:
        error(api_v2.http.get("/api/v2/profiles", headers=alice), 403, "SIGN_IN_DISABLED")
    finally:
        stack.restart("profiles", env={"USER_AUTH": "optional"})


def test_push_and_webhook_name_the_profile_a_job_ran_with(api_v2, stack, menu_photo):
    api_v2.script("extract", {"json": RECIPE})
    hook = Receiver(stack.webhook_secret)
    try:
        r = _job(api_v2, menu_photo, profile="recipe", push_token=EXPO_TOKEN, callback_url=hook.url)
        _run(api_v2, r.json()["job_id"])
        delivery = hook.wait(1)[0]
    finally:
        hook.close()
    assert delivery["verified"] and "traceparent" not in delivery["headers"]  # our trace stays ours
    data = delivery["payload"]["data"]
    assert data["profile"] == {"id": "recipe", "version": 1, "format": "json"} and data["result"]["data"] == RECIPE
    sent = eventually(lambda: expo(stack, "messages")["messages"], what="the push")
    assert sent[0]["data"] == {"job_id": r.json()["job_id"], "status": "completed", "profile": "recipe",
                               "profile_version": 1}
    assert (sent[0]["title"], sent[0]["body"]) == ("掃描完成！", "食譜 已讀取完成")
