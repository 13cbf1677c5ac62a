"""Long menus read whole by the Gemini engine, against the fake Gemini through the real SDK: continued
(never restarted) at the output cap, loops stopped early, RECITATION asked once more, every dish read
kept when the rest fails, the finish reason read from any chunk, tokens counted, the top three
chosen from the menu's own picks and never a drink, and the pictures asked in one illustration style."""
from __future__ import annotations

import pytest

from tests.gemini_local import call, photo

LONG = 150


def _names(reading) -> list[str]:
    return [i.original_name for i in reading.items]


def _long(gemini, n: int = LONG, **stream) -> list[str]:
    from devstack.fake_menu import synthetic_menu

    gemini.control("menu", {"items": n})
    if stream:
        gemini.control("stream", stream)
    return [d["original_name"] for d in synthetic_menu(n)]


def test_a_menu_longer_than_the_output_cap_is_continued_from_its_last_item_until_it_is_whole(gemini):
    expected = _long(gemini)
    seen: list[int] = []
    reading = gemini.engine(model_max_output_tokens=4000).read_menu(
        photo(), "en", call(on_items=lambda items: seen.append(len(items))))
    assert _names(reading) == expected and not reading.incomplete
    assert [i.id for i in reading.items] == [f"item-{k}" for k in range(1, LONG + 1)]
    reqs = gemini.requests("menu")
    assert len(reqs) > 2 and all(r["max_output_tokens"] == 4000 for r in reqs)
    # Each continuation is told every item read before it (more each time); each call but the last
    # ends at the cap.
    starts = [r["continued"] for r in reqs]
    assert starts[0] == 0 and starts == sorted(set(starts)) and starts[-1] < LONG
    assert [r["finish"] for r in reqs] == ["MAX_TOKENS"] * (len(reqs) - 1) + ["STOP"]
    assert seen == list(range(1, LONG + 1))  # every dish reached the phone once, in order


def test_a_continuation_that_writes_the_last_item_again_adds_it_once(gemini):
    expected = _long(gemini, 40)
    gemini.script("menu", {}, {"overlap": 1}, {"overlap": 2})
    reading = gemini.engine(model_max_output_tokens=1500).read_menu(photo(), "en", call())
    assert _names(reading) == expected


def test_a_model_repeating_one_dish_is_stopped_early_and_the_menu_continues_after_it(gemini):
    expected = _long(gemini, 40, tokens_per_s=4000, chunk_tokens=20)
    gemini.script("menu", {"loop_after": 12})
    c = call()
    reading = gemini.engine().read_menu(photo(), "en", c)
    assert _names(reading) == expected and not reading.incomplete
    reqs = gemini.requests("menu")
    assert len(reqs) == 2 and reqs[1]["continued"] == 12 and reqs[0]["finish"] == "MAX_TOKENS"
    # The fake's loop runs on to the 32k cap; the reader dropped the stream after a few repeats
    # (the usage of the last chunk it took: the 40 dishes and a little more), not at the cap.
    assert c.tokens["gemini-3.6-flash"]["output"] < 40 * 90 + 2_000


def test_a_model_looping_inside_one_field_is_stopped_and_the_menu_continues_after_it(gemini):
    expected = _long(gemini, 30)
    gemini.script("menu", {"loop_in_field": 8})
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert _names(reading) == expected  # the runaway item is written again, whole, by the continuation
    assert gemini.requests("menu")[1]["continued"] == 7


def test_recitation_is_asked_once_more_from_the_items_read(gemini):
    expected = _long(gemini, 30)
    gemini.script("menu", {"finish_reason": "RECITATION", "finish_at": 0.5})
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert _names(reading) == expected and not reading.incomplete
    reqs = gemini.requests("menu")
    assert len(reqs) == 2 and reqs[1]["continued"] > 0


def test_a_second_recitation_ends_the_menu_with_the_dishes_read_and_says_it_is_incomplete(gemini):
    expected = _long(gemini, 30)
    gemini.script("menu", *[{"finish_reason": "RECITATION", "finish_at": 0.5}] * 2)
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert reading.incomplete and reading.incomplete_reason == "VLM_FAILED"
    assert 0 < len(reading.items) < 30 and _names(reading) == expected[:len(reading.items)]
    assert len(gemini.requests("menu")) == 2


def test_a_model_failing_part_way_keeps_the_dishes_read(gemini):
    _long(gemini, 40)
    # Cut off part way, then the model fails for good: every retry and the fallback answer 503.
    gemini.script("menu", {"cut_at": 0.5}, *[{"status": 503}] * 6)
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert reading.incomplete and 0 < len(reading.items) < 40
    assert sum(i.is_top3 for i in reading.items) == 3


def test_a_menu_still_being_written_at_the_deadline_keeps_the_dishes_read(gemini):
    _long(gemini, 40, tokens_per_s=400, chunk_tokens=20)  # about 8 s to write
    reading = gemini.engine().read_menu(photo(), "en", call(seconds=3))
    assert reading.incomplete and reading.incomplete_reason == "UPSTREAM_TIMEOUT" and 0 < len(reading.items) < 40


def test_a_job_with_no_dish_read_still_fails(gemini):
    from common.core.errors import ScanError

    _long(gemini, 40, tokens_per_s=400, first_token_s=5)
    with pytest.raises(ScanError) as exc:
        gemini.engine().read_menu(photo(), "en", call(seconds=3))
    assert exc.value.code == "UPSTREAM_TIMEOUT"


def test_the_finish_reason_is_read_from_any_chunk_not_only_the_last(gemini):
    _long(gemini, 20)
    gemini.script("menu", {"usage_last": True})  # the last chunk carries usage alone
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert len(reading.items) == 20 and len(gemini.requests("menu")) == 1


def test_a_menu_said_illegible_keeps_the_dishes_it_read(gemini):
    gemini.script("menu", {"illegible_with_items": True})
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert len(reading.items) == 6


def test_tokens_are_counted_per_call_with_thinking_apart(gemini):
    _long(gemini, 40)
    c = call()
    gemini.engine(model_max_output_tokens=2000).read_menu(photo(), "en", c)
    calls = len(gemini.requests("menu"))
    tokens = c.tokens["gemini-3.6-flash"]
    assert tokens["thinking"] == 600 * calls  # LOW, per call
    assert tokens["prompt"] >= 1120 * calls and 40 * 60 < tokens["output"] < 40 * 120


def test_the_top_three_are_the_menus_own_picks_and_a_drink_is_never_one(gemini):
    reading = gemini.engine().read_menu(photo(), "en", call())
    assert [i.original_name for i in reading.items if i.is_top3] == ["唐揚げ", "焼き鳥盛り合わせ", "刺身三点盛り"]
    beer = next(i for i in reading.items if i.original_name == "生ビール")
    assert beer.kind == "drink" and not beer.is_top3
    picks = [i for i in reading.items if i.is_top3]
    assert all(i.image_prompt and "Japanese izakaya" in i.image_prompt for i in picks)
    assert all(i.image_prompt == "" for i in reading.items if not i.is_top3)


def test_with_fewer_than_three_picks_the_filler_takes_signature_dishes_and_never_a_drink_first():
    from common.menu.items import MenuItem, finalise_top3

    def item(n, kind="dish", tags=()):
        return MenuItem(id=f"item-{n}", original_name=str(n), translated_name=str(n), kind=kind, tags=list(tags))

    items = [item(1, "drink"), item(2, "drink"), item(3), item(4, tags=["signature"]), item(5)]
    items[4].is_top3 = True
    assert [i.id for i in finalise_top3(items) if i.is_top3] == ["item-3", "item-4", "item-5"]
    drinks = finalise_top3([item(1, "drink"), item(2, "drink"), item(3)])
    assert [i.id for i in drinks if i.is_top3] == ["item-1", "item-2", "item-3"]  # a bar's menu: drinks it is


def test_the_menu_schema_requires_what_the_client_needs_and_lists_tags_and_allergens_as_enums(gemini):
    from common.engines.menu_prompt import ALLERGENS, TAGS, Item, Menu

    schema = Item.model_json_schema()
    assert {"original_name", "translated_name", "description", "price", "kind", "tags", "allergens"} <= set(
        schema["required"])
    assert "image_prompt" not in schema["properties"] and "is_top3" not in schema["properties"]
    assert tuple(schema["properties"]["tags"]["items"]["enum"]) == TAGS
    assert tuple(schema["properties"]["allergens"]["items"]["enum"]) == ALLERGENS
    order = list(Menu.model_json_schema()["properties"])
    assert order.index("items") < order.index("top3")  # the picks are written once the menu is read


def test_a_dish_picture_is_an_illustration_in_a_phone_cards_shape_built_from_what_the_reader_sees(gemini):
    reading = gemini.engine().read_menu(photo(), "zh-TW", call())
    pick = next(i for i in reading.items if i.is_top3)
    gemini.engine().draw_dish(pick, "zh-TW", call())
    [sent] = gemini.requests("image")
    assert sent["image_config"] == {"aspectRatio": "4:3", "imageSize": "1K"}
    assert sent["thinking"] is None  # the image models' thinking is left at their default
    prompt = sent["prompt"]
    assert pick.translated_name in prompt and "Japanese izakaya" in prompt and "illustration" in prompt
    assert pick.original_name not in prompt  # printed names invite lettering in the picture
    assert "No text" in prompt and "no hands" in prompt and "no people" in prompt


# -- dense pages: strips read at once -----------------------------------------------------------------
def _big_photo(size=(2400, 3300)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (240, 236, 220)).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_larger_than_the_apps_is_read_as_two_overlapping_strips_and_a_phone_photo_whole():
    import io

    from PIL import Image

    from common.engines import tiles

    assert tiles.plan(_big_photo((2048, 2730)), "auto") == []  # what the app uploads: read whole
    assert tiles.plan(_big_photo(), "off") == []
    strips = tiles.plan(_big_photo(), "auto")
    assert [s[1][:2] for s in strips] == [(1, 2), (2, 2)]
    sizes = [Image.open(io.BytesIO(s[0])).size for s in strips]
    assert all(w == 2400 and 3300 / 2 < h < 3300 * 0.6 for w, h in sizes)  # full width, overlapping
    wide = tiles.plan(_big_photo((4200, 2000)), "auto")
    assert len(wide) == 3 and "left to right" in wide[0][1][2]


def test_strips_are_read_at_once_and_merged_in_page_order_with_the_dish_on_the_cut_once(gemini):
    expected = _long(gemini, 40, tokens_per_s=2000, chunk_tokens=20, first_token_s=1.0)
    seen: list[list[str]] = []
    reading = gemini.engine(menu_tiles="2").read_menu(
        photo(), "en", call(on_items=lambda items: seen.append([i.original_name for i in items])))
    assert _names(reading) == expected and not reading.incomplete
    reqs = gemini.requests("menu")
    # Both strips asked at once: each request came before either answer's first chunk.
    assert len(reqs) == 2 and max(r["t"] for r in reqs) < min(r["first_token_t"] for r in reqs)
    # Partial menus grow as a prefix of the page: strip 2's dishes only once strip 1 is whole.
    assert all(names == expected[:len(names)] for names in seen)
    assert sum(i.is_top3 for i in reading.items) == 3


def test_a_strip_that_fails_leaves_the_other_strips_dishes(gemini):
    expected = _long(gemini, 30)
    gemini.script("menu", {"not_menu": True})  # one strip's call sees no menu in its part
    reading = gemini.engine(menu_tiles="2").read_menu(photo(), "en", call())
    assert 0 < len(reading.items) < 30 and set(_names(reading)) < set(expected)


def test_merging_strips_keeps_the_copy_of_a_cut_dish_that_has_its_price():
    from common.engines import tiles

    top = [{"original_name": "A", "price": "1"}, {"original_name": "B", "price": None}]
    bottom = [{"original_name": "b", "price": "2"}, {"original_name": "C", "price": "3"}]
    assert tiles.merge([top, bottom]) == [top[0], bottom[0], bottom[1]]
