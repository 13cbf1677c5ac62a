"""Near-duplicate photos as a hint: a re-shot of a page read before shows that menu at once (a partial
menu_data with is_hint: true) while the model reads it again and replaces it; another menu never does."""
from __future__ import annotations

import httpx

from common.scan import lookalike
from tests.api import assert_well_formed
from tests.support import eventually
from tests.support import reshot_page as _shot


# -- on the stack --------------------------------------------------------------------------------------
def _slow_reading(stack) -> None:
    """The fake's six-dish menu streamed over about 2 s, so a hint has time to come first."""
    httpx.post(f"{stack.gemini_url}/_control/stream", json={"tokens_per_s": 250, "first_token_s": 1.0,
                                                           "chunk_tokens": 20}).raise_for_status()


def _recorded(n: int = 1) -> None:
    """Wait for the pages read so far to be in the index (they are written just after done)."""
    from common.gcp import db

    eventually(lambda: len(list(db.client().collection(lookalike.LOOKALIKES).select([]).stream())) >= n,
             timeout_s=10, what="the page's lookalike record")


def _menu_calls(api) -> int:
    """The model's menu reads so far (a large photo may be read as an overview and tiles)."""
    return len([r for r in api.gemini_calls()["requests"] if r["kind"] == "menu"])


def _menus(frames) -> list[dict]:
    return [f.data for f in frames if f.event == "menu_data"]


def test_a_reshot_page_shows_the_earlier_menu_at_once_as_a_hint_then_the_reading_replaces_it(api, stack):
    first, frames1 = api.scan(_shot("far-price-column", 3, 18), language="en")
    assert frames1[-1].data["status"] == "completed" and not any(m.get("is_hint") for m in _menus(frames1))
    _recorded()
    _slow_reading(stack)
    read_before = _menu_calls(api)
    job_id, frames = api.scan(_shot("far-price-column", 3, 19), language="en")  # the app's way (v1)

    assert_well_formed(frames)
    menus = _menus(frames)
    hint = menus[0]
    assert hint["is_partial"] is True and hint["is_hint"] is True
    earlier = [i["original_name"] for i in _menus(frames1)[-1]["items"]]
    assert [i["original_name"] for i in hint["items"]] == earlier
    assert all(i["image_status"] == "none" and not i["is_top3"] for i in hint["items"])
    # The hint never skips the reading: the model read this photo too, and its menu is the final one.
    assert _menu_calls(api) > read_before
    final = menus[-1]
    assert final["is_partial"] is False and "is_hint" not in final and len(final["items"]) == 6
    assert frames[-1].data["summary"]["hint_ms"] < frames[-1].data["summary"]["vlm_ms"]


def test_a_hint_the_reading_contradicts_is_replaced_as_soon_as_the_first_dish_differs(api, stack):
    api.scan(_shot("boxed-sections", 3, 31), language="en")
    _recorded()
    httpx.post(f"{stack.gemini_url}/_control/menu", json={"items": 6}).raise_for_status()  # other dishes now
    _slow_reading(stack)
    _, frames = api.scan(_shot("boxed-sections", 3, 32), language="en")
    menus = _menus(frames)
    assert menus[0]["is_hint"] is True and menus[0]["items"][0]["original_name"] == "唐揚げ"
    after = menus[1]  # the reading's first dish disagreed: its own dishes went out at once
    assert after["is_partial"] is True and "is_hint" not in after
    assert after["items"][0]["original_name"] == "牛肉麺1" and len(after["items"]) < 6
    assert menus[-1]["is_partial"] is False and menus[-1]["items"][0]["original_name"] == "牛肉麺1"


def test_another_menu_or_another_reader_language_gets_no_hint(api, stack):
    api.scan(_shot("price-less", 3, 41), language="en")
    _recorded()
    _, other_menu = api.scan(_shot("script-font", 3, 41), language="en")
    _, other_language = api.scan(_shot("price-less", 3, 42), language="ja")
    for frames in (other_menu, other_language):
        assert frames[-1].data["status"] == "completed"
        assert not any(m.get("is_hint") for m in _menus(frames))


def test_a_multi_page_scan_shows_a_hint_for_the_page_read_before(api_v2, stack):
    api_v2.scan(_shot("variants", 3, 51), language="en")
    _recorded()
    _slow_reading(stack)
    uris = [api_v2.upload(_shot("variants", 3, 52)), api_v2.upload(_shot("long-descriptions", 3, 52))]
    r = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": uris, "user_preferences": {"language": "en"}})
    job_id = r.json()["job_id"]
    api_v2.tokens[job_id] = r.json()["access_token"]
    frames = api_v2.events(job_id)
    hinted = [m for m in _menus(frames) if m.get("is_hint")]
    assert hinted and {i["page"] for i in hinted[0]["items"]} == {1} and hinted[0]["pages"][0]["hint"] is True
    assert frames[-1].data["status"] == "completed" and not _menus(frames)[-1].get("is_hint")
