"""The offline engine's page structure: blocks cut at gutters and gaps (segment, gutters), ornaments dropped
(ornament), boxes OCR ran across a gutter cut in two. Boxes are built by hand: no OCR runs here."""
from __future__ import annotations

from common.engines.local import ornament, runin
from common.engines.local.layout import Box, read_lines
from common.engines.local.prices import find_price


def _box(text, x0, y0, x1, y1):
    return Box(text, 0.99, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def _rows(x, y, pairs, pitch=70, w=300, price_x=None):
    """A list of "name  price" rows from (x, y); prices right-aligned at price_x."""
    out = []
    for n, (name, price) in enumerate(pairs):
        top = y + pitch * n
        out.append(_box(name, x, top, x + min(w, 22 * len(name)), top + 46))
        if price:
            px = price_x or x + w + 60
            out.append(_box(price, px - 18 * len(price), top, px, top + 46))
    return out


def _texts(boxes):
    return [ln.text for ln in read_lines(boxes)[0]]


def test_a_heading_spanning_two_columns_cuts_them_into_bands_and_no_line_crosses_the_gutter():
    boxes = [_box("SEAFOOD AND NOODLES FROM THE WOK", 200, 60, 1300, 120)]
    boxes += _rows(80, 200, [("Pad Thai", "$12"), ("Chow Mein", "$11"), ("Laksa", "$13")], price_x=640)
    boxes += _rows(800, 200, [("Red Curry", "$14"), ("Satay", "$9"), ("Tom Yum", "$10")], price_x=1400)
    boxes += [_box("DESSERTS SERVED ALL DAY LONG", 250, 450, 1250, 510)]
    boxes += _rows(80, 560, [("Mango Rice", "$7"), ("Roti", "$6")], price_x=640)
    boxes += _rows(800, 560, [("Ice Cream", "$5"), ("Sago", "$6")], price_x=1400)
    assert _texts(boxes) == ["SEAFOOD AND NOODLES FROM THE WOK", "Pad Thai $12", "Chow Mein $11", "Laksa $13",
                             "Red Curry $14", "Satay $9", "Tom Yum $10", "DESSERTS SERVED ALL DAY LONG",
                             "Mango Rice $7", "Roti $6", "Ice Cream $5", "Sago $6"]


def test_a_section_splitting_into_sub_columns_beside_a_plain_column_is_read_block_by_block():
    # left column: a list, then a heading over two sub-columns; right column: one list, rows offset
    boxes = _rows(80, 200, [("Burger", "$12"), ("Hot Dog", "$8")], price_x=700)
    boxes += [_box("BUILD YOUR OWN", 80, 380, 500, 430)]
    boxes += _rows(80, 470, [("Bacon", "$2"), ("Cheese", "$1"), ("Egg", "$2")], w=150, price_x=330)
    boxes += _rows(420, 470, [("Avocado", "$3"), ("Onion", "$1"), ("Jalapeno", "$1")], w=160, price_x=700)
    boxes += _rows(860, 230, [("Fries", "$4"), ("Onion Rings", "$5"), ("Salad", "$6"), ("Coleslaw", "$3"),
                              ("Wings", "$9")], price_x=1420)
    assert _texts(boxes) == ["Burger $12", "Hot Dog $8", "BUILD YOUR OWN", "Bacon $2", "Cheese $1", "Egg $2",
                             "Avocado $3", "Onion $1", "Jalapeno $1", "Fries $4", "Onion Rings $5", "Salad $6",
                             "Coleslaw $3", "Wings $9"]


def test_a_price_ocr_ran_into_the_next_columns_name_is_cut_off_it():
    boxes = []
    for n, (a, pa, b, pb) in enumerate([("蝦壽司", "74元", "椒鹽排骨", "56元"), ("韓式餃子", "70元", "泰式粿條湯", "96元"),
                                        ("柯仔煎", "89元", "香辣烤魚", "92元"), ("農家一碗香", "71元", "棺材板", "45元")]):
        y = 200 + 90 * n
        boxes += [_box(a, 85, y, 85 + 44 * len(a), y + 45), _box(f"{pa} {b}", 430, y, 430 + 44 * (len(b) + 2), y + 45),
                  _box(pb, 870, y, 936, y + 45)]
    assert [b.text for b in runin.split_run_in(boxes[1:2])] == ["74元", "椒鹽排骨"]
    assert _texts(boxes) == ["蝦壽司 74元", "韓式餃子 70元", "柯仔煎 89元", "農家一碗香 71元",
                             "椒鹽排骨 56元", "泰式粿條湯 96元", "香辣烤魚 92元", "棺材板 45元"]


def test_price_column_labels_are_no_line_of_their_own_nor_a_column():
    boxes = [_box("Small", 900, 150, 1020, 196), _box("Large", 1150, 150, 1270, 196)]
    for n, name in enumerate(["Latte", "Mocha", "Flat White", "Chai"]):
        y = 220 + 70 * n
        boxes += [_box(name, 100, y, 100 + 22 * len(name), y + 46), _box(f"{4 + n}.50", 930, y, 1020, y + 46),
                  _box(f"{5 + n}.50", 1180, y, 1270, y + 46)]
    assert _texts(boxes) == ["Latte 4.50 5.50", "Mocha 5.50 6.50", "Flat White 6.50 7.50", "Chai 7.50 8.50"]


def test_ornament_rows_and_border_patterns_are_not_text_and_a_lucky_price_or_one_character_dish_is():
    page = _rows(200, 200, [(f"Dish {c}", f"${n + 5}") for n, c in enumerate("ABCDEFGH")], price_x=1200)
    decor = [_box("✦ ✦ ✦", 600, 900, 800, 940), _box("-=-=-=-=-", 500, 960, 900, 990), _box("88888888", 100, 1000, 500, 1040),
             _box("ooOoo", 600, 1050, 700, 1080)]
    border = [_box("口", 40, 100 + 120 * k, 70, 130 + 120 * k) for k in range(8)]
    kept = [b.text for b in ornament.strip(page + decor + border + [_box("888元", 900, 1100, 1000, 1140),
                                                                    _box("粥", 300, 1100, 340, 1140)])]
    assert kept == [b.text for b in page] + ["888元", "粥"]


def test_a_border_read_as_a_chain_of_marks_away_from_the_edge_is_not_text_but_prices_repeating_are():
    # photographed at an angle, the border's links stand inside the text's extent, not along its edge
    page = _rows(200, 200, [(f"Dish {c}", "$8") for c in "ABCDEFGHIJ"], price_x=1200)
    border = [_box("口", 400 + 60 * k, 180 + 40 * k, 430 + 60 * k, 210 + 40 * k) for k in range(9)]
    kept = [b.text for b in ornament.strip(page + border + [_box("粥", 300, 1100, 340, 1140)])]
    assert kept == [b.text for b in page] + ["粥"]


def test_labelled_options_separated_by_a_middle_dot_are_one_price_and_two_dishes_on_a_line_are_not():
    head, price = find_price("PAD PAK BOONG Small 13 · Large 16")
    assert (head, price.amount, price.options) == ("PAD PAK BOONG", 13, [("Small", 13), ("Large", 16)])
    head, price = find_price("ALBONDIGAS Chicken 23·Beef 29")
    assert (head, price.amount, price.options) == ("ALBONDIGAS", 23, [("Chicken", 23), ("Beef", 29)])
    head, price = find_price("炒飯 小 $139 · 大 $169")
    assert (head, price.amount) == ("炒飯", 139)
    assert find_price("Pasta 12 / Salad 14")[0] != ""


def test_a_name_centred_over_its_own_price_is_no_column_label():
    boxes = []
    for n, (name, price) in enumerate([("Satay", "-$12-"), ("Laksa", "-$22-"), ("Pho", "-$37-")]):
        y = 200 + 250 * n
        boxes += [_box(name, 750 - 14 * len(name), y, 750 + 14 * len(name), y + 60),
                  _box(price, 690, y + 70, 810, y + 126), _box("slow cooked with onions and spices", 420, y + 135,
                                                                1080, y + 175)]
    assert _texts(boxes)[:3] == ["Satay", "-$12-", "slow cooked with onions and spices"]


def test_a_description_beside_the_next_columns_price_does_not_cut_the_page_into_rows():
    boxes = []
    for n, (a, b) in enumerate([("Bruschetta", "Ikayaki"), ("Flan", "Smoky Wings"), ("Aguachile", "Corn Salad")]):
        y = 200 + 130 * n
        boxes += [_box(a, 90, y, 90 + 22 * len(a), y + 46), _box(f"{n + 6}.50", 620, y, 710, y + 46),
                  _box("served with rice, and salad", 100, y + 50, 560, y + 80),
                  # on a curled photo the right column's name sits higher than its price
                  _box(b, 760, y + 20, 760 + 22 * len(b), y + 62), _box(f"{n + 16}.00", 1290, y + 36, 1380, y + 82)]
    texts = _texts(boxes)
    assert texts[:2] == ["Bruschetta 6.50", "served with rice, and salad"]
    assert texts[6:] == ["Ikayaki 16.00", "Smoky Wings 17.00", "Corn Salad 18.00"]


def test_a_price_ocr_ran_into_a_chinese_name_without_a_space_is_cut_off_it_too():
    assert [b.text for b in runin.split_run_in([_box("17元火雞肉飯", 860, 200, 1160, 245)])] == ["17元", "火雞肉飯"]


def test_two_prices_in_two_columns_are_two_amounts_and_a_grouped_thousand_is_one():
    assert find_price("打拋豬肉飯 460 600")[1].amount == 460
    assert find_price("Cafe 80 100")[1].amount == 80
    assert find_price("Bun Bo Hue 45 000 đ")[1].amount == 45000
    assert find_price("Steak 1 280 €")[1].amount == 1280


def test_a_chinese_name_with_its_price_run_into_it_is_priced_and_a_count_before_a_name_is_not():
    assert (find_price("炒飯480")[0], find_price("炒飯480")[1].amount) == ("炒飯", 480)
    assert (find_price("そば1,080")[0], find_price("そば1,080")[1].amount) == ("そば", 1080)  # grouped thousands too
    assert find_price("2人前")[1] is None and find_price("七味7")[1] is None


def test_two_column_labels_ocr_read_as_one_box_are_still_labels():
    boxes = [_box("Lunch Dinner", 1209, 327, 1438, 369)]
    for n, name in enumerate(["Tamagoyaki", "Taiyaki", "Earl Grey"]):
        y = 389 + 78 * n
        boxes += [_box(name, 66, y, 66 + 24 * len(name), y + 57), _box(f"{20 + n}", 1252, y, 1322, y + 57),
                  _box(f"{30 + n}", 1367, y, 1434, y + 57)]
    assert _texts(boxes) == ["Tamagoyaki 20 30", "Taiyaki 21 31", "Earl Grey 22 32"]


def test_a_heading_level_with_the_first_rows_is_one_row_and_does_not_make_a_name_price_gap_a_gutter():
    # Three columns whose prices stand nearer the next column's names than their own, and the middle
    # column opens with a heading level with the first dish of its neighbours: that heading, the dish
    # left of it and that dish's price are one row, not the three rows a sub-column needs.
    dishes = [["三杯茄子飯", "陳皮雞", "綠豆煎餅", "照燒雞", "鐵板花枝"], ["芝麻球", "雞蛋仔", "燒賣", "擔仔麵"],
              ["沾麵", "芥蘭牛肉", "黑椒花枝", "湯豆腐", "大福"]]
    boxes = [_box("麵食", 731, 317, 830, 370)]
    for (x, px), names in zip([(120, 675), (731, 1275), (1330, 1866)], dishes):
        top = 377 if x == 731 else 317
        boxes += _rows(x, top, [(n, f"NT${500 + 10 * i}") for i, n in enumerate(names)], pitch=60, price_x=px)
    texts = _texts(boxes)
    assert texts[5:10] == ["麵食", "芝麻球 NT$500", "雞蛋仔 NT$510", "燒賣 NT$520", "擔仔麵 NT$530"]
    assert not any(t.startswith("NT$") for t in texts)
