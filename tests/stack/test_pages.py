"""Multi-page scans on /api/v2 (gcs_uris): every page read as it lands, several at once, shown as it is
read, then one menu with the pages in order, overlaps merged once and the top three across them.

The fake Gemini answers each photo with its own menu, told apart by the photo's size in pixels.
"""
from __future__ import annotations

import json

import httpx
import pytest

from common.jobs import store
from tests.api import assert_well_formed
from tests.support import eventually
from tests.support import render_photo


def _page(n: int) -> bytes:
    """A photo whose size names page n for the fake model (the menu it reads is set per size)."""
    return render_photo((f"page {n}", "唐揚げ 680円"), size=(900, 1200 + n))


def _menus(stack, pages: dict[int, dict]) -> None:
    body = {"pages": {f"900x{1200 + n}": spec for n, spec in pages.items()}}
    httpx.post(f"{stack.gemini_url}/_control/pages", json=body).raise_for_status()


def _dish(name: str, section: str, price: str, top: bool = False, tags=()) -> dict:
    return {"original_name": name, "names": {"en": name.title(), "zh-TW": f"{name}（譯）"}, "price": price,
            "section": section, "tags": list(tags), "allergens": [], "is_top3": top}


def _scan(api_v2, photos: list[bytes], **extra) -> tuple[str, list]:
    r = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": [api_v2.upload(p) for p in photos],
                                                    "user_preferences": {"language": "zh-TW"}, **extra})
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    api_v2.tokens[job_id] = r.json()["access_token"]
    return job_id, api_v2.events(job_id)


def test_three_pages_come_back_as_one_menu_in_page_order_with_sections_and_three_top_dishes(api_v2, stack):
    _menus(stack, {1: {"dishes": [_dish("edamame", "Starters", "¥380", True), _dish("gyoza", "Starters", "¥480")]},
                   2: {"dishes": [_dish("ramen", "Noodles", "¥880", True), _dish("udon", "Noodles", "¥780", True)]},
                   3: {"dishes": [_dish("mochi", "Sweets", "¥300", True)]}})
    job_id, frames = _scan(api_v2, [_page(1), _page(2), _page(3)])

    assert_well_formed(frames)
    final = [f.data for f in frames if f.event == "menu_data" and not f.data["is_partial"]]
    assert len(final) == 1
    items = final[0]["items"]
    assert [(i["original_name"], i["page"], i["section"]) for i in items] == [
        ("edamame", 1, "Starters"), ("gyoza", 1, "Starters"), ("ramen", 2, "Noodles"), ("udon", 2, "Noodles"),
        ("mochi", 3, "Sweets")]
    assert [i["id"] for i in items] == ["p1-item-1", "p1-item-2", "p2-item-1", "p2-item-2", "p3-item-1"]
    # One top three for the whole menu: each page's first pick before any page's second.
    assert [i["original_name"] for i in items if i["is_top3"]] == ["edamame", "ramen", "mochi"]
    assert [p["status"] for p in final[0]["pages"]] == ["completed"] * 3
    done = frames[-1].data
    assert done["status"] == "completed" and done["summary"]["items_count"] == 5
    assert [(p["page"], p["status"], p["items_count"]) for p in done["summary"]["pages"]] == [
        (1, "completed", 2), (2, "completed", 2), (3, "completed", 1)]
    assert len([f for f in frames if f.event == "image_update" and f.data["image_status"] == "ready"]) == 3
    # Partials as pages are read: every partial's dishes say their page, and the pages keep their order.
    for partial in (f.data for f in frames if f.event == "menu_data" and f.data["is_partial"]):
        pages_seen = [i["page"] for i in partial["items"]]
        assert pages_seen == sorted(pages_seen) and all(p in (1, 2, 3) for p in pages_seen)
    snapshot = api_v2.snapshot(job_id)
    assert snapshot["status"] == "completed" and [p["status"] for p in snapshot["pages"]] == ["completed"] * 3
    assert len([r for r in api_v2.gemini_calls()["requests"] if r["kind"] == "menu"]) == 3


def test_a_page_cut_off_on_every_call_keeps_its_dishes_read_and_the_menu_says_it_is_incomplete(api_v2, stack):
    _menus(stack, {1: {"items": 4, "first": 0},
                   2: {"items": 6, "first": 10, "action": {"truncate": True}}})  # every read of page 2 is cut
    _, frames = _scan(api_v2, [_page(1), _page(2)])
    done = frames[-1].data
    assert done["status"] == "completed" and done["summary"]["incomplete"] is True
    final = [f.data for f in frames if f.event == "menu_data"][-1]
    assert final["incomplete"] is True
    on_page = [sum(i["page"] == n for i in final["items"]) for n in (1, 2)]
    assert on_page[0] == 4 and 0 < on_page[1] < 6, on_page
    assert done["summary"]["tokens"]["menu"]["output"] > 0  # every page's calls are counted


def test_a_dish_on_two_overlapping_photos_is_listed_once_and_a_dish_at_another_price_stays(api_v2, stack):
    _menus(stack, {1: {"dishes": [_dish("karaage", "Fried", "¥680", True), _dish("tempura", "Fried", "¥980")]},
                   2: {"dishes": [_dish("tempura", "Fried", "980円"), _dish("karaage", "Fried", "¥880"),
                                  _dish("sashimi", "Raw", "¥1,280", True)]}})
    _, frames = _scan(api_v2, [_page(1), _page(2)])
    items = [f.data for f in frames if f.event == "menu_data"][-1]["items"]
    assert [(i["original_name"], i["price"], i["page"]) for i in items] == [
        ("karaage", "¥680", 1), ("tempura", "¥980", 1), ("karaage", "¥880", 2), ("sashimi", "¥1,280", 2)]
    assert frames[-1].data["summary"]["items_count"] == 4


def test_pages_are_read_at_once_with_the_model_not_one_after_another(api_v2, stack):
    _menus(stack, {n: {"items": 8, "first": 10 * n} for n in (1, 2, 3)})
    httpx.post(f"{stack.gemini_url}/_control/stream", json={"tokens_per_s": 400, "chunk_tokens": 20})
    _, frames = _scan(api_v2, [_page(1), _page(2), _page(3)])
    assert frames[-1].data["status"] == "completed"
    calls = [r for r in api_v2.gemini_calls()["requests"] if r["kind"] == "menu"]
    # Each answer streams for about 2 s (8 dishes, ~880 tokens, at 400 tokens a second): read one after
    # another, the last would start after the first had ended.
    starts = sorted(r["t"] for r in calls)
    assert len(starts) == 3 and starts[-1] - starts[0] < 1.5


def test_a_page_that_is_not_a_menu_fails_alone_and_says_so_while_the_others_complete_the_job(api_v2, stack):
    _menus(stack, {1: {"items": 3}, 2: {"items": 2, "first": 50, "action": {"not_menu": True}}, 3: {"items": 2,
                                                                                                      "first": 70}})
    job_id, frames = _scan(api_v2, [_page(1), _page(2), _page(3)])
    done = frames[-1].data
    assert done["status"] == "completed" and "error" not in [f.event for f in frames]
    pages = done["summary"]["pages"]
    assert [p["status"] for p in pages] == ["completed", "failed", "completed"]
    assert pages[1]["error"]["code"] == "IMAGE_NOT_MENU"
    items = [f.data for f in frames if f.event == "menu_data"][-1]["items"]
    assert {i["page"] for i in items} == {1, 3} and len(items) == 5
    assert api_v2.snapshot(job_id)["pages"][1]["status"] == "failed"


def test_when_every_page_fails_the_job_fails_naming_each_page(api_v2, stack):
    _menus(stack, {1: {"items": 2, "action": {"not_menu": True}}, 2: {"items": 2, "action": {"not_menu": True}}})
    _, frames = _scan(api_v2, [_page(1), _page(2)])
    error = next(f.data for f in frames if f.event == "error")
    assert error["code"] == "IMAGE_NOT_MENU" and "page 1" in error["message"] and "page 2" in error["message"]
    assert frames[-1].data["status"] == "failed"
    assert [p["status"] for p in frames[-1].data["summary"]["pages"]] == ["failed", "failed"]


def test_a_page_uploaded_after_the_job_is_read_when_it_lands_and_one_never_uploaded_fails_alone(api_v2, stack):
    _menus(stack, {n: {"items": 2, "first": 10 * n} for n in (1, 2, 3)})
    first = api_v2.upload(_page(1))
    late, never = api_v2.signed_url(), api_v2.signed_url()
    r = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": [first, late["gcs_uri"], never["gcs_uri"]],
                                                    "user_preferences": {"language": "en"}})
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    api_v2.tokens[job_id] = r.json()["access_token"]
    frames = api_v2.events(job_id, max_frames=4)  # the run has the first page in hand
    api_v2.put(late, _page(2))
    frames += api_v2.events(job_id, after=frames[-1].id, timeout=60)
    done = frames[-1].data
    assert done["status"] == "completed"
    assert [p["status"] for p in done["summary"]["pages"]] == ["completed", "completed", "failed"]
    assert done["summary"]["pages"][2]["error"]["code"] == "UPLOAD_NOT_FOUND"  # UPLOAD_WAIT_S is 6 s here


@pytest.mark.slow
def test_ten_dense_pages_too_large_for_the_job_document_complete_with_their_first_dishes_said_incomplete(
        api_v2, stack):
    _menus(stack, {n: {"items": 15 * n + 70, "first": 200 * n} for n in range(1, 11)})  # 1,525 dishes
    done, doc_bytes, menu_calls = _ten_pages(api_v2, stack)
    assert done["status"] == "completed" and done["summary"]["incomplete"] is True
    assert 300 < done["summary"]["items_count"] < 1525
    # Every partial and the final menu kept to the bound: no run crashed on the document's size, so
    # no page was read twice, and the document stays far from Firestore's 1 MiB.
    assert doc_bytes < 900_000 and menu_calls == 10


def _ten_pages(api_v2, stack) -> tuple[dict, int, int]:
    """A ten-page scan streamed fast: its done, the job document's size after it, the menu reads."""
    from common.gcp import db

    httpx.post(f"{stack.gemini_url}/_control/stream", json={"tokens_per_s": 3000, "chunk_tokens": 40}).raise_for_status()
    job_id, frames = _scan(api_v2, [_page(n) for n in range(1, 11)])
    while frames[-1].event != "done":
        frames += api_v2.events(job_id, after=frames[-1].id, timeout=60)
    assert_well_formed(frames)
    doc = db.client().collection("scan_jobs").document(job_id).get()
    calls = len([r for r in api_v2.gemini_calls()["requests"] if r["kind"] == "menu"])
    return frames[-1].data, len(json.dumps(doc.to_dict(), default=str).encode()), calls


@pytest.fixture
def one_reader_waiting_long(stack):
    stack.restart("run-scan-task", env={"PAGE_READERS": "1", "UPLOAD_WAIT_S": "600", "PAGE_LATE_S": "2"})
    yield
    stack.restart("run-scan-task")


def test_a_missing_first_page_neither_holds_the_reader_nor_the_job_past_a_short_wait_after_the_others(
        api_v2, stack, one_reader_waiting_long):
    _menus(stack, {n: {"items": 3, "first": 10 * n} for n in (1, 2, 3)})
    never = api_v2.signed_url()["gcs_uri"]
    landed = [api_v2.upload(_page(2)), api_v2.upload(_page(3))]
    r = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": [never, *landed], "user_preferences": {"language": "en"}})
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    api_v2.tokens[job_id] = r.json()["access_token"]
    frames = api_v2.events(job_id, timeout=60)
    # Pages 2 and 3 were read while page 1 was still awaited: its missing upload held no reader.
    seen = [[p["status"] for p in f.data["pages"]] for f in frames if f.event == "menu_data" and f.data["is_partial"]]
    assert ["waiting", "completed", "completed"] in seen, seen
    done = frames[-1].data
    assert done["status"] == "completed"
    pages_ = done["summary"]["pages"]
    assert [p["status"] for p in pages_] == ["failed", "completed", "completed"]
    # Given up a short wait after the others were read, not at the deadline: the pictures were drawn.
    assert pages_[0]["error"]["code"] == "UPLOAD_NOT_FOUND" and "other pages" in pages_[0]["error"]["message"]
    assert [f.data["image_status"] for f in frames if f.event == "image_update" and f.data["image_status"] != "generating"] \
        == ["ready"] * 3


def test_the_finalize_trigger_finds_a_waiting_multi_page_job_by_any_of_its_pages(api_v2):
    one, two = api_v2.signed_url(), api_v2.signed_url()
    r = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": [one["gcs_uri"], two["gcs_uri"]],
                                                    "user_preferences": {"language": "en"}})
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    for page in (one, two):  # page 2 may land first: its finalize event must find the job as page 1's does
        bucket, _, name = page["gcs_uri"][5:].partition("/")
        eventually(lambda b=bucket, n=name: job_id in store.find_pending_by_object(b, n, None),
                   what=f"the waiting job found by {name}")


@pytest.mark.parametrize("body, says", [
    ({"gcs_uris": []}, "gcs_uris: must be a list of 1 to 10"),
    ({"gcs_uris": "gs://x"}, "gcs_uris: must be a list"),
    ({"gcs_uris": [1]}, "gcs_uris[0]: must be a string"),
])
def test_a_malformed_page_list_is_refused_naming_what_is_wrong(api_v2, body, says):
    r = api_v2.http.post("/api/v2/scan/jobs", json={**body, "user_preferences": {"language": "en"}})
    assert r.status_code == 400 and says in r.json()["error"]["message"], r.text


def test_more_than_ten_pages_repeats_both_fields_other_uploads_and_other_profiles_are_refused(api_v2):
    uris = [api_v2.signed_url()["gcs_uri"] for _ in range(11)]
    cases = [({"gcs_uris": uris}, "1 to 10"),
             ({"gcs_uris": [uris[0], uris[1], uris[0]]}, "gcs_uris[2]: the same upload as gcs_uris[0]"),
             ({"gcs_uris": uris[:2], "gcs_uri": uris[0]}, "not both"),
             ({"gcs_uris": [uris[0], "gs://elsewhere/x.jpg"]}, "gcs_uris[1]: gcs_uri must be in bucket"),
             ({"gcs_uris": uris[:2], "profile": "recipe"}, "reads one photo")]
    for body, says in cases:
        r = api_v2.http.post("/api/v2/scan/jobs", json={**body, "user_preferences": {"language": "en"}})
        assert r.status_code == 400 and says in r.json()["error"]["message"], (body, r.text)


def test_v1_stays_one_photo_and_ignores_a_page_list(api, menu_photo):
    gcs_uri = api.upload(menu_photo)
    r = api.create_job(gcs_uri, gcs_uris=[gcs_uri, api.signed_url()["gcs_uri"]])
    assert r.status_code == 201, r.text
    frames = api.events(r.json()["job_id"])
    menu = [f.data for f in frames if f.event == "menu_data"][-1]
    assert frames[-1].data["status"] == "completed" and "pages" not in menu and "pages" not in frames[-1].data["summary"]
    assert all(i["page"] is None for i in menu["items"])
