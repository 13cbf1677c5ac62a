"""A menu of several pages joined (common/menu/pages.py): overlaps merged once, other lines kept, one top
three across the pages. Pure functions: no stack."""
from __future__ import annotations

from common.menu import pages
from common.menu.items import MenuItem


def _item(name: str, price: str | None = "¥500", section: str | None = "A", top: bool = False, **extra) -> MenuItem:
    return MenuItem(id="x", original_name=name, translated_name=name.upper(), price=price, section=section,
                    is_top3=top, **extra)


def test_a_dish_on_the_edge_of_two_photos_is_kept_once_and_takes_what_the_second_photo_adds():
    one = pages.on_page(1, [_item("Gyoza", description="")])
    two = pages.on_page(2, [_item("gyoza", price="500円", description="pan-fried"), _item("Ramen")])
    joined = pages.join([one, two])
    assert [(i.id, i.original_name) for i in joined] == [("p1-item-1", "Gyoza"), ("p2-item-2", "Ramen")]
    assert joined[0].description == "pan-fried" and joined[0].page == 1


def test_the_same_name_at_another_price_under_another_heading_or_twice_on_one_page_stays():
    one = pages.on_page(1, [_item("Soup", section="Lunch"), _item("Soup", section="Lunch")])
    two = pages.on_page(2, [_item("Soup", price="¥900", section="Lunch"), _item("Soup", section="Dinner")])
    assert len(pages.join([one, two])) == 4


def test_a_dish_without_a_price_or_section_on_one_photo_still_merges_with_its_priced_sighting():
    one = pages.on_page(1, [_item("Edamame", price=None, section=None)])
    two = pages.on_page(2, [_item("Edamame", price="¥380", section="Snacks")])
    joined = pages.join([one, two])
    assert len(joined) == 1 and (joined[0].price, joined[0].section) == ("¥380", "Snacks")


def test_the_top_three_take_each_pages_first_pick_before_any_second_and_drinks_last():
    one = pages.on_page(1, [_item("a", top=True), _item("b", top=True), _item("c")])
    two = pages.on_page(2, [_item("beer", top=True, tags=["contains_alcohol"]), _item("d", top=True)])
    three = pages.on_page(3, [_item("e", top=True)])
    split = [one, two, three]
    items = pages.top3_across(split, pages.join(split))
    assert [i.original_name for i in items if i.is_top3] == ["a", "d", "e"]
    assert {i.image_status for i in items if i.is_top3} == {"pending"}
    assert {i.image_status for i in items if not i.is_top3} == {"none"}


def test_fewer_picks_than_three_are_filled_from_the_top_of_the_menu():
    one = pages.on_page(1, [_item("a"), _item("b", top=True)])
    two = pages.on_page(2, [_item("c"), _item("d")])
    items = pages.top3_across([one, two], pages.join([one, two]))
    assert [i.original_name for i in items if i.is_top3] == ["a", "b", "c"]


def test_a_dish_twice_on_a_later_page_stays_twice_even_when_an_earlier_page_has_its_name():
    one = pages.on_page(1, [_item("Soup", price="¥500", section="Lunch")])
    two = pages.on_page(2, [_item("Soup", price="¥900", section="Dinner"), _item("Soup", price="¥900", section="Dinner")])
    assert [i.id for i in pages.join([one, two])] == ["p1-item-1", "p2-item-1", "p2-item-2"]


def test_a_drink_or_an_unsure_line_picked_on_its_page_comes_after_every_dish_picked():
    one = pages.on_page(1, [_item("tea", top=True, kind="drink"), _item("a", top=True)])
    two = pages.on_page(2, [_item("border ~~~", top=True, confidence=0.3), _item("b", top=True), _item("c", top=True)])
    split = [one, two]
    items = pages.top3_across(split, pages.join(split))
    assert [i.original_name for i in items if i.is_top3] == ["a", "b", "c"]


def test_a_menu_too_large_for_the_job_document_keeps_its_first_dishes_and_says_it_was_cut():
    many = pages.on_page(1, [_item(f"dish {n}", description="x" * 400) for n in range(2000)])
    kept, cut = pages.bounded(many)
    assert cut and 0 < len(kept) < 2000 and kept == many[:len(kept)]
    assert sum(len(i.model_dump_json()) for i in kept) <= pages.MENU_MAX_BYTES
    assert pages.bounded(many[:10]) == (many[:10], False)
