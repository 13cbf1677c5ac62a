"""The offline engine behind the real functions: a stack of its own with no Gemini key at all."""
from __future__ import annotations

import io
import os
import subprocess

import httpx
import pytest

from devstack import menu_photos
from devstack.stack import ENTRY_POINTS, HOST, ROOT, VENV_BIN, Stack
from tests.api import Api, assert_well_formed
from tests.support import TEST_ENV, eventually, log_entries


@pytest.fixture(scope="module")
def local_stack():
    base = int(os.environ.get("STACK_PORT_BASE", "8800")) + 100
    s = Stack(base_port=base, extra_env={**TEST_ENV, "ENGINE": "auto", "LEASE_S": "20", "SSE_MAX_STREAM_S": "90"})
    s.gemini_api_key = ""  # no key anywhere: auto must pick the offline engine
    s.start()
    # Three run_scan processes load the models at once on two cores; let them finish before timing jobs.
    for name in ("run-scan-task", "run-scan-finalize"):
        _engine_loaded(s, name, 1)
    yield s
    s.stop()


@pytest.fixture
def local_api(local_stack) -> Api:
    local_stack.reset()
    return Api(local_stack)


def test_without_a_key_a_menu_photo_is_read_and_drawn_offline_end_to_end(local_api):
    from PIL import Image

    job_id, frames = local_api.scan(menu_photos.sample_photo(), "zh-TW")
    assert_well_formed(frames)
    menu = next(f.data for f in frames if f.event == "menu_data")
    assert menu["engine"] == "local"
    by_name = {i["original_name"]: i for i in menu["items"]}
    assert by_name["唐揚げ"]["translated_name"] == "日式炸雞" and by_name["唐揚げ"]["price"] == "680円"
    assert by_name["とんかつ"]["price_value"] == 1200 and by_name["刺身盛り合わせ"]["price"] == "時価"
    # A Japanese menu: each dish with its reading in kana and in romaji, as the app shows them.
    assert (by_name["唐揚げ"]["reading"], by_name["唐揚げ"]["romanji"]) == ("からあげ", "Karaage")
    assert all(i["reading"] and i["romanji"].isascii() for i in menu["items"])
    assert menu["language"] == "zh-TW" and "language_fallback" not in menu
    top = [i for i in menu["items"] if i["is_top3"]]
    assert len(top) == 3 and all(i["image_status"] == "pending" for i in top)
    # The offline engine reads the photo whole (no partial menu): generating_images, then the menu.
    assert [f.data["step"] for f in frames if f.event == "status"] == ["uploading", "analyzing", "generating_images"]
    assert [f.data["image_status"] for f in frames if f.event == "image_update"][:3] == ["generating"] * 3
    updates = [f.data for f in frames if f.event == "image_update" and f.data["image_status"] != "generating"]
    assert sorted(u["item_id"] for u in updates) == sorted(i["id"] for i in top)
    for u in updates:
        assert u["image_status"] == "ready"
        img = httpx.get(u["image_url"], timeout=10)
        assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(img.content)).size == (768, 768)
    done = frames[-1].data
    assert done["status"] == "completed" and done["engine"] == "local"
    assert done["summary"]["items_count"] == len(menu["items"])
    assert done["summary"]["unknown_items_count"] == sum(not i["known"] for i in menu["items"])
    assert done["summary"]["vlm_ms"] > 0 and done["summary"]["image_gen_ms"] > 0


def test_unknown_dishes_are_counted_in_done(local_api):
    m = menu_photos.Menu("odd", "ja", "おしながき", [("", [
        menu_photos.Dish("唐揚げ", "680円"), menu_photos.Dish("まかない丼", "750円"),
        menu_photos.Dish("店長のきまぐれ小鉢", "480円"), menu_photos.Dish("焼き鳥", "980円")])])
    _, frames = local_api.scan(menu_photos.jpeg(menu_photos.render(m)), "en")
    menu = next(f.data for f in frames if f.event == "menu_data")
    unknown = [i for i in menu["items"] if not i["known"]]
    assert {i["original_name"] for i in unknown} == {"まかない丼", "店長のきまぐれ小鉢"}
    assert all(i["translated_name"].isascii() for i in unknown)  # romanised for an English reader
    assert frames[-1].data["summary"]["unknown_items_count"] == 2


@pytest.mark.parametrize("language, reason", [("Klingon", "names no language"), ("Français", "translates into")])
def test_a_language_the_offline_engine_cannot_write_gets_english_and_says_so(local_api, language, reason):
    gcs_uri = local_api.upload(menu_photos.sample_photo())
    job_id = local_api.job(gcs_uri, language)  # v1: never refused for its language
    frames = local_api.events(job_id)
    assert frames[-1].data["status"] == "completed"
    menu = next(f.data for f in frames if f.event == "menu_data")
    assert menu["language"] == "en"
    fallback = menu["language_fallback"]
    assert (fallback["requested"], fallback["used"]) == (language, "en") and reason in fallback["reason"]
    by_name = {i["original_name"]: i for i in menu["items"]}
    assert by_name["唐揚げ"]["translated_name"].isascii()
    snap = local_api.snapshot(job_id)
    assert snap["language"] == "en" and snap["language_fallback"] == fallback


def test_a_photo_that_is_not_a_menu_ends_with_image_not_menu(local_api):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(3)
    img = Image.fromarray(rng.integers(30, 230, (60, 45, 3), dtype=np.uint8)).resize((900, 1200), Image.NEAREST)
    _, frames = local_api.scan(menu_photos.jpeg(img), "en")
    assert_well_formed(frames)
    err = next(f.data for f in frames if f.event == "error")
    assert err["code"] == "IMAGE_NOT_MENU" and err["recoverable"] is True
    assert frames[-1].data["status"] == "failed"


def test_run_scan_refuses_to_start_without_the_font_and_names_the_package(local_stack, tmp_path):
    folder, target = ENTRY_POINTS["run-scan-task"]
    env = {**os.environ, **local_stack.env(), "ENGINE": "local", "FONT_DIR": str(tmp_path)}
    proc = subprocess.run([str(VENV_BIN / "functions-framework"), "--source", str(ROOT / "functions" / folder / "main.py"),
                           "--target", target, "--host", HOST, "--port", str(local_stack.base_port + 30)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "fonts-noto-cjk" in proc.stdout + proc.stderr


def test_each_instance_loads_the_engine_once_in_its_worker_not_per_job(local_stack, local_api):

    job_id, _ = local_api.scan(menu_photos.sample_photo(), "en")
    runners = ("run-scan-task", "run-scan-finalize")
    # The run logs "job completed" just after storing done: the client may be first.
    done = eventually(lambda: [e for name in runners for e in log_entries(local_stack, name, job_id)
                               if e.get("job_id") == job_id and e["message"] == "job completed"],
                      timeout_s=10, every_s=0.2, what="the run's 'job completed' line")
    for name in runners:
        assert local_stack.log_path(name).read_text(errors="replace").count('"engine ready"') == 1, name
    assert len(done) == 1 and done[0]["engine"] == "local" and done[0]["vlm_ms"] > 0


# -- scan profiles, offline (docs/profiles.md) -------------------------------------------------------
def test_offline_a_recipe_card_is_read_into_quantities_units_items_and_steps(local_stack):
    from devstack import profile_photos

    api = Api(local_stack, "v2")
    recipe = next(r for r in profile_photos.RECIPES if r.key == "ja-oyakodon")
    r = api.create_job(api.upload(menu_photos.jpeg(profile_photos.render_recipe(recipe))), "ja", profile="recipe")
    assert r.status_code == 201, r.text
    frames = api.events(r.json()["job_id"])
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed" and frames[-1].data["engine"] == "local"
    data = frames[-2].data["data"]
    assert data["title"] == "親子丼" and data["servings"] == 2 and data["cook_minutes"] == 20
    assert [(i["quantity"], i["unit"], i["item"]) for i in data["ingredients"]] == \
        [(i.quantity, i.unit, i.item) for i in recipe.ingredients]
    assert data["steps"] == recipe.steps


def test_offline_a_bookshelf_gives_each_spines_title_with_its_confidence_vertical_text_included(local_stack):
    from devstack import profile_photos

    api = Api(local_stack, "v2")
    shelf = next(s for s in profile_photos.SHELVES if s.key == "mixed")
    r = api.create_job(api.upload(menu_photos.jpeg(profile_photos.render_shelf(shelf))), "en", profile="bookshelf")
    frames = api.events(r.json()["job_id"], timeout=120)
    assert frames[-1].data["status"] == "completed", frames[-2:]
    data = frames[-2].data["data"]
    assert [b["title"] for b in data["books"]] == [b.title for b in shelf.books]  # left to right
    assert all(0 <= b["confidence"] <= 1 for b in data["books"])
    assert data["needs_review"] == [{"title": b["title"], "confidence": b["confidence"]} for b in data["books"]
                                    if b["confidence"] < 0.6]
    by_title = {b["title"]: b for b in data["books"]}
    assert by_title["紅樓夢"]["authors"] == ["曹雪芹"] and by_title["Jane Eyre"]["authors"] == ["Bronte"]


def test_offline_a_custom_profile_is_refused_at_creation_naming_the_need_for_a_model(local_stack, menu_photo):
    api = Api(local_stack, "v2")
    r = api.create_job(api.upload(menu_photo), "en", profile="prf_0123456789abcdef")
    assert r.status_code == 400 and r.json()["error"]["code"] == "PROFILE_NEEDS_MODEL"
    assert "GEMINI_API_KEY" in r.json()["error"]["message"]


def _engine_loaded(stack: Stack, name: str, times: int) -> None:
    """Wait until the function's process has loaded the engine `times` times (once per start)."""
    eventually(lambda: stack.log_path(name).read_text(errors="replace").count('"engine ready"') >= times,
               timeout_s=90, every_s=0.3, what=f"{name} to load the engine ({times})")


def test_a_dish_first_read_by_gemini_is_recognised_offline_afterwards(local_stack, local_api):
    # Last in this module: it restarts run_scan (the test above counts one engine load per log).
    m = menu_photos.Menu("learned", "ja", "まかない食堂", [("", [
        menu_photos.Dish("まかない丼", "750円"), menu_photos.Dish("唐揚げ", "680円")])])
    photo = menu_photos.jpeg(menu_photos.render(m))
    _, frames = local_api.scan(photo, "zh-TW")
    before = {i["original_name"]: i for i in next(f.data for f in frames if f.event == "menu_data")["items"]}
    assert not before["まかない丼"]["known"]

    httpx.post(f"{local_stack.gemini_url}/_control/menu", json={"dishes": [
        {"original_name": "まかない丼", "names": {"zh-TW": "員工餐蓋飯", "en": "Staff meal rice bowl"},
         "description": "廚房員工餐的蓋飯。", "price": "¥750", "section": "丼", "tags": ["pork"],
         "allergens": ["soy"], "is_top3": True}]})
    runners = ("run-scan-task", "run-scan-finalize")
    try:
        for name in runners:
            local_stack.restart(name, env={"ENGINE": "gemini", "GEMINI_API_KEY": "test-key",
                                           "GEMINI_BASE_URL": local_stack.gemini_url})
        other = menu_photos.jpeg(menu_photos.render(m), 80)  # other bytes: no cache entry to hit
        _, frames = local_api.scan(other, "zh-TW")
        assert frames[-1].data["engine"] == "gemini" and frames[-1].data["status"] == "completed"
    finally:
        httpx.post(f"{local_stack.gemini_url}/_control/reset")
        for name in runners:
            local_stack.restart(name)
            _engine_loaded(local_stack, name, 2)

    def known_offline() -> tuple[list, dict] | None:  # learned just after gemini's done: scan until it landed
        _, frames = local_api.scan(menu_photos.jpeg(menu_photos.render(m), 70), "zh-TW")
        items = {i["original_name"]: i for i in next(f.data for f in frames if f.event == "menu_data")["items"]}
        return (frames, items) if items["まかない丼"]["known"] else None

    frames, items = eventually(known_offline, timeout_s=10, every_s=0, what="an offline scan that knows the dish")
    assert frames[-1].data["engine"] == "local"
    learned = items["まかない丼"]
    assert learned["known"] and learned["translated_name"] == "員工餐蓋飯"
    assert learned["description"] == "廚房員工餐的蓋飯。"
    # One caller's scan taught its allergens as a claim only: they count once a second caller agrees
    # (tests/test_knowledge_agreement.py), so the offline reading keeps its own.
    assert "soy" not in learned["allergens"]
    assert learned["price_value"] == 750  # the offline engine's own reading of the photo stays
    assert frames[-1].data["summary"]["unknown_items_count"] == 0
