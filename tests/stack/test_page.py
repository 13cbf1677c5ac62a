"""The scanning page in a real browser (Debian's Chromium, headless), served by the stack's origin (the
Worker under workerd): upload, job, events, pictures, reconnection, filters, the waiter view."""
from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import pytest

from tests.browser import CHROMIUM, DESKTOP, PHONE, Browser
from tests.support import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
MENU = {  # the fake Gemini's menu (devstack/fake_gemini.py), read in zh-TW
    "item-1": ("唐揚げ", "日式炸雞", "¥680", "揚げ物"),
    "item-2": ("焼き鳥盛り合わせ", "綜合烤雞串", "¥980", "焼き物"),
    "item-3": ("刺身三点盛り", "生魚片三品拼盤", "¥1,280", "刺身"),
    "item-4": ("枝豆", "毛豆", "¥380", "おつまみ"),
    "item-5": ("麻婆豆腐", "麻婆豆腐", "¥780", "一品"),
    "item-6": ("生ビール", "生啤酒", "¥600", "飲み物"),
}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is installed by ./run setup")]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = Browser(p)
        yield b
        b.close()


@pytest.fixture
def photo_file(tmp_path, menu_photo) -> Path:
    path = tmp_path / "menu.jpg"
    path.write_bytes(menu_photo)
    return path


def _start(page, stack, photo: Path, language: str = "zh-TW") -> None:
    page.goto(stack.gateway_url + "/")
    page.select_option("#language", language)
    page.set_input_files("#photo", str(photo))
    page.click("#start")


def _wait_finished(page, timeout_s: float = 60) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".picture img.loaded")).to_have_count(3, timeout=timeout_s * 1000)
    expect(page.locator("#message")).to_contain_text("Done:", timeout=timeout_s * 1000)


def _dish_ids(page) -> list[str]:
    return page.locator("article.dish").evaluate_all("nodes => nodes.map(n => n.dataset.itemId)")


def test_a_menu_photo_uploaded_through_the_page_shows_every_dish_its_price_and_three_pictures(
        browser, stack, photo_file):
    page, console = browser.page()
    _start(page, stack, photo_file)
    _wait_finished(page)
    assert sorted(_dish_ids(page)) == sorted(MENU)
    for item_id, (original, translated, price, section) in MENU.items():
        dish = page.locator(f'article.dish[data-item-id="{item_id}"]')
        assert dish.locator(".original").inner_text() == original
        assert dish.locator(".translated").inner_text() == translated
        assert dish.locator(".price").inner_text().startswith(price)
        assert dish.locator("xpath=ancestor::section[1]/h3").inner_text() == section
    karaage = page.locator('article.dish[data-item-id="item-1"]')
    assert karaage.locator(".reading").inner_text() == "からあげ · karaage"
    assert karaage.locator(".chip.allergen").all_inner_texts() == ["gluten", "soy"]
    top = page.locator("article.dish.top")
    assert top.count() == 3 and page.locator("#top3 li").all_inner_texts() == [MENU[f"item-{n}"][1] for n in (1, 2, 3)]
    # Each picture really loaded, from this origin's /assets/.
    sizes = page.locator(".picture img").evaluate_all("imgs => imgs.map(i => [i.complete, i.naturalWidth, i.src])")
    assert all(done and width > 0 and src.startswith(stack.gateway_url + "/assets/gen/") for done, width, src in sizes)
    # Each picture says what it is: drawn for the reader, not a photo of this kitchen's plate.
    assert page.locator("article.dish.top figcaption").all_inner_texts() == [
        "Illustration · not a photo of this dish"] * 3
    assert page.locator("#steps li").last.inner_text().startswith("Done")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / "page-phone.png"), full_page=True)
    # The phone layout is one column no wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)
    assert console.errors == []
    page.close()


def test_filters_hide_dishes_by_allergen_and_diet_and_the_waiter_sees_the_chosen_dishes_in_the_original(
        browser, stack, photo_file):
    page, console = browser.page()
    _start(page, stack, photo_file)
    _wait_finished(page)
    page.check("#avoid-fish")
    assert "item-3" not in _visible_ids(page) and "item-1" in _visible_ids(page)
    page.uncheck("#avoid-fish")
    page.select_option("#diet", "vegan")
    assert _visible_ids(page) == ["item-4"]
    page.select_option("#diet", "")
    page.check("#choose-item-1")
    page.check("#choose-item-6")
    page.click("#waiter-open")
    waiter = page.locator("#waiter")
    assert waiter.is_visible()
    assert waiter.locator(".waiter-name").all_inner_texts() == ["唐揚げ", "生ビール"]
    page.keyboard.press("Escape")
    assert not waiter.is_visible()
    assert console.errors == []
    page.close()


def _refused_snapshot(response) -> bool:
    return "/scan/jobs/" in response.url and "/events" not in response.url and response.status == 502


def _visible_ids(page) -> list[str]:
    return page.locator("article.dish:visible").evaluate_all("nodes => nodes.map(n => n.dataset.itemId)")


def test_when_the_events_function_dies_mid_job_the_page_reconnects_and_shows_each_dish_once(
        browser, stack, api, photo_file):
    # Slow pictures keep the job live while its events function is down.
    api.script("image", *[{"delay_s": 5}] * 3)
    page, console = browser.page()
    _start(page, stack, photo_file)
    page.locator('article.dish[data-item-id="item-6"]').wait_for(timeout=30_000)
    assert page.locator(".picture img").count() < 3
    os.killpg(stack.procs["events"].pid, signal.SIGKILL)  # every open stream drops; new ones get 502
    try:
        page.locator("#connection", has_text="reconnecting").wait_for(timeout=10_000)
        # The page retries against the dead function meanwhile: before each new stream it reads the
        # snapshot, which the origin answers 502 while the function is down (its backoff: 0.5 s, then 1 s).
        for _ in range(2):
            page.wait_for_event("response", predicate=_refused_snapshot, timeout=15_000)
    finally:
        stack.restart("events")  # whatever happened: the tests after this one need it
    _wait_finished(page, 60)
    assert sorted(_dish_ids(page)) == sorted(MENU)  # each dish once
    assert page.locator("#connection").inner_text() == ""
    # The browser itself reports the refused requests; nothing else may reach the console.
    noise = re.compile(r"Failed to load resource|EventSource's response has a MIME type|net::ERR_")
    assert [e for e in console.errors if not noise.search(e)] == []
    page.close()


def test_a_file_that_is_not_an_image_shows_the_servers_own_error_message(browser, stack, api):
    expected = api.http.post("/api/v2/uploads/signed-url", json={"content_type": "application/pdf", "filename": "menu.pdf"})
    assert expected.status_code == 400
    page, console = browser.page()
    page.goto(stack.gateway_url + "/")
    page.set_input_files("#photo", files=[{"name": "menu.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}])
    page.click("#start")
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=10_000)
    assert alert.inner_text() == expected.json()["error"]["message"]
    assert [e for e in console.errors if "status of 400" not in e] == []
    page.close()


def test_a_photo_the_server_cannot_read_ends_with_the_jobs_error_shown(browser, stack, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 20)
    page, console = browser.page()
    _start(page, stack, broken)
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert re.search(r"JPEG|PNG|decode|image", alert.inner_text(), re.I), alert.inner_text()
    page.locator("#message", has_text="did not finish").wait_for(timeout=10_000)
    assert console.errors == []
    page.close()


def test_every_control_is_labelled_and_the_photo_and_language_are_reached_by_keyboard(browser, stack):
    page, console = browser.page()
    page.goto(stack.gateway_url + "/")
    unnamed = page.locator("input, select, button, progress").evaluate_all(
        "els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
        " && !e.textContent.trim()).map(e => e.outerHTML)")
    assert unnamed == []
    assert page.get_by_label("Menu photo").get_attribute("capture") == "environment"
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert reached.index("photo") < reached.index("language")
    assert console.errors == []
    page.close()


def test_the_page_loads_nothing_from_another_origin(browser, stack, photo_file):
    page, console = browser.page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    _start(page, stack, photo_file)
    _wait_finished(page)
    others = {re.match(r"^[a-z]+://[^/]+", u).group(0) for u in requested if not u.startswith(("data:", "blob:"))}
    assert others <= {stack.gateway_url, stack.gcs_public_url}, others
    csp = httpx.get(stack.gateway_url + "/").headers["content-security-policy"]
    assert f"connect-src 'self' {stack.gcs_public_url};" in csp
    page.close()


def test_a_picture_that_cannot_be_drawn_is_said_on_its_dish_and_the_other_two_still_arrive(browser, stack, api,
                                                                                           photo_file):
    from playwright.sync_api import expect

    api.script("image", {"status": 400})  # one image call refused for good: that dish alone fails
    page, console = browser.page()
    _start(page, stack, photo_file)
    expect(page.locator("#message")).to_contain_text("Done:", timeout=60_000)
    failed = page.locator("article.dish.top .image-failed")
    assert failed.count() == 1 and failed.inner_text().startswith("No picture:")
    expect(page.locator(".picture img.loaded")).to_have_count(2)
    assert console.errors == []
    page.close()


def test_a_person_adds_two_photos_one_after_the_other_and_sees_each_page_read_and_every_dish_once(
        browser, stack, tmp_path):
    from playwright.sync_api import expect

    from tests.support import render_photo

    pages = {1: ("Starters", ["edamame", "gyoza"]), 2: ("Noodles", ["ramen", "udon", "soba"])}
    httpx.post(f"{stack.gemini_url}/_control/pages", json={"pages": {f"900x{1200 + n}": {"dishes": [
        {"original_name": d, "names": {"en": d.title()}, "price": "¥500", "section": section, "tags": [],
         "allergens": [], "is_top3": k == 0} for k, d in enumerate(dishes)]} for n, (section, dishes) in pages.items()}})
    page, console = browser.page()
    page.goto(stack.gateway_url + "/")
    page.select_option("#language", "en")
    for n in pages:  # as a phone adds them: one camera shot at a time
        path = tmp_path / f"page{n}.jpg"
        path.write_bytes(render_photo((f"page {n}",), size=(900, 1200 + n)))
        page.set_input_files("#photo", str(path))
    assert page.locator("#photos li").all_inner_texts() == ["Page 1: page1.jpg\nRemove", "Page 2: page2.jpg\nRemove"]
    page.click("#start")
    expect(page.locator("#message")).to_contain_text("Done:", timeout=60_000)
    expect(page.locator(".picture img.loaded")).to_have_count(3, timeout=30_000)
    assert page.locator("#pages li").all_inner_texts() == ["Page 1 read: 2 dishes", "Page 2 read: 3 dishes"]
    ids = _dish_ids(page)
    assert sorted(ids) == sorted(set(ids)) == ["p1-item-1", "p1-item-2", "p2-item-1", "p2-item-2", "p2-item-3"]
    assert page.locator("section.menu-section h3").all_inner_texts() == ["Starters", "Noodles"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-two-pages.png"), full_page=True)
    assert console.errors == []
    page.close()
