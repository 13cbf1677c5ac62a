"""Gemini faults through the real google-genai client against the local Gemini REST server."""
from __future__ import annotations

import pytest

from tests.api import assert_well_formed


@pytest.fixture(autouse=True)
def _counted(campaign):
    yield
    campaign.count("model faults")


def _error_and_done(frames):
    assert_well_formed(frames)
    errors = [f.data for f in frames if f.event == "error"]
    return (errors[0] if errors else None), frames[-1].data


@pytest.mark.parametrize("status", [429, 503])
def test_a_retryable_error_then_success_completes_the_job_after_one_retry(api, menu_photo, status):
    api.script("menu", {"status": status})
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err is None and done["status"] == "completed"
    assert api.gemini_calls()["calls"]["menu"] == 2


def test_server_errors_beyond_the_retry_budget_and_on_the_fallback_end_with_vlm_failed_and_done_failed(
        api, menu_photo):
    api.script("menu", {"status": 500}, {"status": 503}, {"status": 500}, {"status": 500})
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err["code"] == "VLM_FAILED" and err["recoverable"] is True and "fallback" in err["message"]
    assert done["status"] == "failed" and done["summary"]["used_fallback"] is True
    # MODEL_MAX_ATTEMPTS (3 in the test settings) on the menu model, then one on the fallback
    models = [r["model"] for r in api.gemini_calls()["requests"] if r["kind"] == "menu"]
    assert models == ["gemini-3.6-flash"] * 3 + ["gemini-3.5-flash-lite"]
    assert "menu_data" not in [f.event for f in frames]


def test_a_menu_model_out_of_budget_is_replaced_by_one_try_on_the_fallback_model_and_the_summary_says_so(
        api, menu_photo):
    api.script("menu", {"status": 503}, {"status": 503}, {"status": 503})
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err is None and done["status"] == "completed" and done["summary"]["used_fallback"] is True
    assert [r["model"] for r in api.gemini_calls()["requests"] if r["kind"] == "menu"][-1] == "gemini-3.5-flash-lite"


def test_a_job_that_needs_no_fallback_says_so_in_its_summary(api, menu_photo):
    _, frames = api.scan(menu_photo)
    assert frames[-1].data["summary"]["used_fallback"] is False


def test_a_menu_cut_off_at_max_tokens_is_continued_from_its_last_item_not_read_again(api, menu_photo):
    api.script("menu", {"truncate": True})  # half the answer, then MAX_TOKENS
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err is None and done["status"] == "completed" and done["summary"]["incomplete"] is False
    final = [f.data for f in frames if f.event == "menu_data" and not f.data["is_partial"]][0]
    assert [i["original_name"] for i in final["items"]] == ["唐揚げ", "焼き鳥盛り合わせ", "刺身三点盛り", "枝豆", "麻婆豆腐",
                                                           "生ビール"]
    reqs = [r for r in api.gemini_calls()["requests"] if r["kind"] == "menu"]
    # The second call is told the items read and writes the rest: same cap, nothing written twice.
    assert len(reqs) == 2 and reqs[0]["continued"] == 0 and 0 < reqs[1]["continued"] < 6
    assert reqs[1]["max_output_tokens"] == reqs[0]["max_output_tokens"]


def test_output_cut_off_on_every_call_ends_with_the_dishes_read_and_says_the_menu_is_incomplete(api, menu_photo):
    api.script("menu", *[{"truncate": True}] * 8)
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err is None and done["status"] == "completed" and done["summary"]["incomplete"] is True
    final = [f.data for f in frames if f.event == "menu_data" and not f.data["is_partial"]][0]
    assert final["incomplete"] is True and 0 < len(final["items"]) < 6
    assert done["summary"]["items_count"] == len(final["items"])


def test_malformed_json_is_retried(api, menu_photo):
    api.script("menu", {"malformed": True})
    _, frames = api.scan(menu_photo)
    assert _error_and_done(frames)[1]["status"] == "completed"


def test_a_model_that_never_answers_in_time_ends_with_upstream_timeout(api, menu_photo):
    api.script("menu", *[{"delay_s": 2.5}] * 4)
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err["code"] == "UPSTREAM_TIMEOUT" and done["status"] == "failed"


def test_a_safety_block_fails_the_job_without_retrying(api, menu_photo):
    api.script("menu", {"safety": True})
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err["code"] == "VLM_FAILED" and done["status"] == "failed"
    assert api.gemini_calls()["calls"]["menu"] == 1


def test_a_photo_that_is_not_a_menu_ends_with_image_not_menu(api, menu_photo):
    api.script("menu", {"not_menu": True})
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err["code"] == "IMAGE_NOT_MENU" and done["status"] == "failed"


def test_an_unreadable_menu_ends_with_image_too_blurry(api, menu_photo):
    api.script("menu", {"empty": True})
    _, frames = api.scan(menu_photo)
    err, _ = _error_and_done(frames)
    assert err["code"] == "IMAGE_TOO_BLURRY"


def test_one_image_failing_marks_only_that_item_failed_and_the_job_still_completes(api, menu_photo):
    api.script("image", {"status": 400})
    job_id, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err is None and done["status"] == "completed"
    updates = [f.data for f in frames if f.event == "image_update" and f.data["image_status"] != "generating"]
    assert sorted(u["image_status"] for u in updates) == ["failed", "ready", "ready"]
    failed = next(u for u in updates if u["image_status"] == "failed")
    assert failed["image_url"] is None and failed["image_error"]["code"] == "IMAGE_GEN_FAILED"
    snap = api.snapshot(job_id)
    assert sorted(i["image_status"] for i in snap["items"] if i["is_top3"]) == ["failed", "ready", "ready"]


def test_an_image_response_without_an_image_is_retried(api, menu_photo):
    api.script("image", {"no_image": True})
    _, frames = api.scan(menu_photo)
    assert all(f.data["image_status"] in ("generating", "ready") for f in frames if f.event == "image_update")
    assert api.gemini_calls()["calls"]["image"] == 4


def test_a_legible_menu_with_no_dishes_ends_with_a_clear_error_instead_of_an_empty_result(api, menu_photo):
    api.script("menu", {"no_items": True})
    _, frames = api.scan(menu_photo)
    err, done = _error_and_done(frames)
    assert err["code"] == "IMAGE_TOO_BLURRY" and done["status"] == "failed"
    assert api.gemini_calls()["calls"] == {"menu": 1}


def test_a_429_with_a_retry_delay_is_retried_after_that_delay_not_sooner(api, menu_photo):
    api.script("menu", {"status": 429, "retry_delay": 1.5})
    _, frames = api.scan(menu_photo)
    assert frames[-1].data["status"] == "completed"
    menu_calls = [r for r in api.gemini_calls()["requests"] if r["kind"] == "menu"]
    assert len(menu_calls) == 2
    assert menu_calls[1]["t"] - menu_calls[0]["t"] >= 1.4  # the backoff here starts at 0.05 s
