"""What a line of a menu is when it is no dish: notices, descriptions, headings set apart (notes,
headings), and what a price-less line set as the dishes are is (a dish: recall first)."""
from __future__ import annotations

import pytest

from common.engines.local import menu, notes, prices
from common.engines.local.layout import Line


@pytest.mark.parametrize("text", ["Tel: (555) 014-2233", "營業時間：11:00-21:00", "www.goldenlotus-kitchen.com",
                                  "Est. 1985", "EST 1996", "Fresh · Local · Handmade", "Dine in·Take away·Delivery",
                                  "以上價格均另加一成服務費", "定休日 毎週月曜日", "Follow us @bluedoorbistro",
                                  "A 10% service charge will be added to parties of 6 or more.", "Authentic Thai Cuisine",
                                  "Open daily 11am - 10pm", "電話：02-2345-6789",
                                  # OCR's Simplified slip in a Traditional notice, and a misread 過
                                  "以上借格均另加一成服務费", "如有食物通敏请告知服務人具"])
def test_a_restaurants_details_and_notices_are_never_dishes(text):
    assert notes.is_notice(text)


@pytest.mark.parametrize("text", ["Pad Thai", "Chicken 65", "宮保雞丁", "Set Menu A", "Fish & Chips", "唐揚げ",
                                  "Tom Yum Goong", "Lunch Special", "外婆紅燒肉"])
def test_dishes_are_no_notices(text):
    assert not notes.is_notice(text)


@pytest.mark.parametrize("text, described", [("蔥、芹菜、蒜，鮮嫩多汁", True), ("ねぎと味噌で仕上げました", True),
                                             ("with fries and slaw", True), ("Served over jasmine rice", True),
                                             ("Slow cooked with onions, garlic and spices", True),
                                             ("Pad Thai", False), ("Fish & Chips", False), ("唐揚げ", False),
                                             ("Mac and Cheese", False), ("炸醬麵", False),
                                             # a short list of two (、 is printed, never a speck), and one
                                             # comma OCR read in a short name (a speck: no list)
                                             ("鶏肉、玉ねぎ", True), ("雞肉、花生", True), ("精選牛腩，慢火燉煮", True),
                                             ("鐵板,魚片飯", False), ("炙燒鰹，魚", False)])
def test_a_line_written_as_a_description_is_told_from_a_dish_name(text, described):
    assert notes.is_description(text) is described


def _line(text, y, size=40, x0=100, column=0):
    return Line(text, size, x0, y, column=column, y1=y + size)


def test_a_short_line_set_apart_above_priced_dishes_heads_them_and_a_set_menus_courses_are_dishes():
    lines = [_line("Pad Thai $12", 100), _line("Green Curry $14", 160), _line("Thai Dishes", 290),
             _line("Larb $11", 350), _line("Satay $9", 410),
             _line("Dinner for Two $48", 540), _line("Tom Yum Soup", 600), _line("Spring Rolls", 660),
             _line("Massaman Curry", 720)]
    parsed = menu.parse(lines)
    assert [(i.name, i.section) for i in parsed.items] == [
        ("Pad Thai", None), ("Green Curry", None), ("Larb", "Thai Dishes"), ("Satay", "Thai Dishes"),
        ("Dinner for Two", "Thai Dishes"), ("Tom Yum Soup", "Thai Dishes"), ("Spring Rolls", "Thai Dishes"),
        ("Massaman Curry", "Thai Dishes")]


def test_a_price_less_dish_in_a_right_hand_column_is_not_read_as_indented_and_so_a_description():
    lines = [_line("Pad Thai $12", 100), _line("Green Curry $14", 160), _line("Larb $11", 220),
             _line("Set A $30", 100, x0=800, column=1), _line("Spring Rolls", 160, x0=800, column=1),
             _line("Massaman Curry", 220, x0=800, column=1)]
    assert [i.name for i in menu.parse(lines).items] == ["Pad Thai", "Green Curry", "Larb", "Set A", "Spring Rolls",
                                                         "Massaman Curry"]


def test_headings_in_dashes_ocr_read_as_one_are_headings():
    lines = [_line("一湯品一", 100), _line("酸辣湯 $80", 160), _line("ーサラダー", 260), _line("ポテトサラダ 480円", 320)]
    assert [(i.name, i.section) for i in menu.parse(lines).items] == [("酸辣湯", "湯品"), ("ポテトサラダ", "サラダ")]


def test_a_notice_between_dishes_is_neither_a_dish_nor_their_description():
    lines = [_line("Pad Thai $12", 100), _line("Green Curry $14", 160), _line("Tel: (555) 014-2233", 220),
             _line("Open daily 11am - 10pm", 280)]
    parsed = menu.parse(lines)
    assert [(i.name, i.description) for i in parsed.items] == [("Pad Thai", []), ("Green Curry", [])]


def test_a_line_set_in_under_a_dish_and_a_little_smaller_is_its_description():
    lines = [_line("唐揚げ 680円", 100, size=62), _line("鶏もも肉の唐揚げ", 170, size=55, x0=130),
             _line("焼き鳥 980円", 250, size=60)]
    assert [(i.name, i.description) for i in menu.parse(lines).items] == [("唐揚げ", ["鶏もも肉の唐揚げ"]),
                                                                          ("焼き鳥", [])]


def test_a_line_that_stops_mid_phrase_is_no_dish():
    lines = [_line("Ribeye 32", 100), _line("Chips and", 150), _line("Fish Tacos 14", 250), _line("Pho 12", 310)]
    assert [i.name for i in menu.parse(lines).items] == ["Ribeye", "Fish Tacos", "Pho"]


def test_confidence_rises_with_a_price_and_a_known_name_and_falls_for_a_shape_that_is_no_dish():
    from common.engines.local import confidence, dishes

    kb = dishes.load()
    known = menu.ParsedItem("Pad Thai", prices.find_price("$12")[1], size=40)
    unknown = menu.ParsedItem("Grandma's Sunday Roast", None, size=40)
    odd = menu.ParsedItem("served with rice and a fresh salad on the side", None, size=40)
    blurred = menu.ParsedItem("Pad Thai", prices.find_price("$12")[1], size=40, ocr=0.55)
    sure = confidence.of(known, kb.match("Pad Thai"), kb, 40)
    assert sure >= confidence.CONFIDENT > confidence.of(unknown, None, kb, 40) > confidence.of(odd, None, kb, 40)
    assert confidence.of(blurred, kb.match("Pad Thai"), kb, 40) < sure


def test_the_top_three_are_picked_only_from_confident_dishes():
    from common.menu.items import MenuItem, finalise_top3

    items = [MenuItem(id=f"item-{n}", original_name=f"Dish {n}", translated_name=f"Dish {n}", confidence=c)
             for n, c in enumerate([0.3, 0.95, None, 0.2, 0.7])]
    items[0].is_top3 = True  # the engine's pick, but not a confident one
    top = [i.id for i in finalise_top3(items) if i.is_top3]
    assert top == ["item-1", "item-2", "item-4"]
    assert [i.image_status for i in items] == ["none", "pending", "pending", "none", "pending"]


def test_a_price_alone_on_its_line_goes_with_the_name_not_with_a_description():
    lines = [_line("炸牡蠣", 100), _line("小 $139 · 大 $169", 150), _line("醬油、辣椒、青椒，鮮嫩多汁", 200, size=30),
             _line("炒飯", 260), _line("小 $99 · 大 $129", 310), _line("蔥、醬油、芹菜，大火快炒", 360, size=30)]
    assert [(i.name, i.price.amount) for i in menu.parse(lines).items] == [("炸牡蠣", 139), ("炒飯", 99)]


def test_one_priced_line_on_a_priceless_menu_does_not_set_the_size_its_dishes_are_measured_by():
    # a set menu's price, set larger than the dishes; the dishes slightly larger than what is under them
    dishes = ["大阪燒", "鹽烤鯖魚", "鐵板田雞燴飯", "潤餅", "味噌拉麵"]
    lines, y = [_line("豪華套餐 472元", 40, size=46)], 100
    for name in dishes:
        lines += [_line(name, y, size=38), _line("蔥、芹菜、蒜，鮮嫩多汁", y + 42, size=36)]
        y += 90
    parsed = menu.parse(lines)
    assert [i.name for i in parsed.items] == ["豪華套餐", *dishes]
    assert parsed.item_size == pytest.approx(38)



@pytest.mark.parametrize("text, aside", [("Pork or Beef", True), ("Contains Peanuts", True), ("Add Egg", True),
                                         ("Serves 2-3", True), ("Spicy Level: Hot", True), ("Milkfish soup", False),
                                         ("Grandma's braised platter", False), ("Three cup chicken", False)])
def test_a_choice_a_warning_or_an_extra_under_a_dish_is_an_aside_and_a_name_is_not(text, aside):
    assert notes.is_aside(text) is aside
