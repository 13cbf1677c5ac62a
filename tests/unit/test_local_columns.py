"""Columns a whitespace gutter alone gets wrong: printed rules (rules, segment), stacked prices on the far
side of a gutter (gutters), rows OCR grouped across two columns or captions (runin.split_row), and the
words over price columns (labels). Boxes are built by hand; the rule finder runs on a drawn image."""
from __future__ import annotations

import numpy as np
import pytest

from common.engines.local import labels, rules
from common.engines.local.layout import Box, read_lines


def _box(text, x0, y0, x1, y1):
    return Box(text, 0.99, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def _texts(boxes, found=()):
    return [ln.text for ln in read_lines(boxes, list(found))[0]]


def _page(w=1500, h=2000, ink=30, paper=235):
    img = np.full((h, w, 3), paper, np.uint8)
    return img, ink


def test_a_printed_rule_is_found_and_a_letters_long_stroke_is_not():
    img, ink = _page()
    img[300:1700, 748:752] = ink                      # a rule between two columns
    img[100:260, 400:410] = ink                       # a tall title's letter stroke, inside its box
    title = _box("Harbour", 300, 90, 900, 270)
    found = rules.vertical(img, [title])
    assert len(found) == 1
    r = found[0]
    assert 740 <= r.x0 <= r.x1 <= 760 and r.y0 <= 310 and r.y1 >= 1690


def test_a_photographed_rule_leaning_two_degrees_and_a_light_rule_on_a_dark_page_are_found():
    img, ink = _page()
    for y in range(200, 1800):
        x = int(700 + 0.035 * (y - 200))
        img[y, x:x + 3] = ink
    dark = np.full((2000, 1500, 3), 25, np.uint8)
    dark[200:1800, 900:903] = 220
    assert len(rules.vertical(img, [])) == 1 and len(rules.vertical(dark, [])) == 1


def _stacked(x, y, dishes, pitch=110):
    """Names with their prices set flush under them."""
    out = []
    for n, (name, price) in enumerate(dishes):
        top = y + pitch * n
        out += [_box(name, x, top, x + 46 * len(name), top + 46), _box(price, x, top + 50, x + 26 * len(price), top + 90)]
    return out


def test_a_column_setting_prices_far_right_is_cut_at_its_printed_rule_not_at_the_wider_gap_before_its_prices():
    boxes = []
    for n, (name, price) in enumerate([("帕能咖哩", "540"), ("蛋餅", "570"), ("宮廷茄子煲", "150"), ("胡椒餅", "560")]):
        y = 220 + 80 * n
        boxes += [_box(name, 700, y, 700 + 44 * len(name), y + 44), _box(price, 1220, y, 1290, y + 44)]
    for n, (name, price) in enumerate([("泡菜煎餅", "200"), ("鯛魚燒", "80"), ("避風塘牛肉", "300"), ("彈珠汽水", "200")]):
        y = 240 + 80 * n
        boxes += [_box(name, 1380, y, 1380 + 44 * len(name), y + 44), _box(price, 1880, y, 1950, y + 44)]
    rule = _box("", 1330, 200, 1334, 560)
    assert _texts(boxes, [rule]) == ["帕能咖哩 540", "蛋餅 570", "宮廷茄子煲 150", "胡椒餅 560",
                                     "泡菜煎餅 200", "鯛魚燒 80", "避風塘牛肉 300", "彈珠汽水 200"]


def test_two_columns_set_close_are_told_apart_by_the_rule_between_them_where_whitespace_cannot():
    left = [_box(n, 100, 200 + 70 * k, 560, 244 + 70 * k) for k, n in enumerate(["Pad Thai Noodles 12",
                                                                                  "Green Curry Chicken 14",
                                                                                  "Tom Yum Goong Soup 9"])]
    right = [_box(n, 568, 200 + 70 * k, 1020, 244 + 70 * k) for k, n in enumerate(["Spring Rolls Four 6",
                                                                                   "Mango Sticky Rice 7",
                                                                                   "Thai Iced Tea Glass 4"])]
    rule = _box("", 563, 180, 565, 420)
    assert _texts(left + right) != _texts(left + right, [rule])
    assert _texts(left + right, [rule]) == ["Pad Thai Noodles 12", "Green Curry Chicken 14", "Tom Yum Goong Soup 9",
                                            "Spring Rolls Four 6", "Mango Sticky Rice 7", "Thai Iced Tea Glass 4"]


def test_a_rule_along_only_the_lower_part_of_a_column_cuts_the_two_boxed_lists_beside_it():
    # A column's dishes, then a heading over two lists set close, a rule between them: the rule runs along
    # less than half the column, and the lists' gap is narrower than a name's gap to its price.
    boxes = [_box(*b) for b in [
        ("1. Tianbula", 97, 377, 280, 414), ("21.75", 614, 377, 714, 414),
        ("Wok tossed with pickled onion, soy glaze and crispy shallots", 131, 419, 700, 450),
        ("2. Makgeolli", 94, 456, 298, 494), ("14.95", 614, 456, 714, 495),
        ("Stir fried with cucumber, jasmine rice and ginger", 131, 498, 589, 531),
        ("3. Country Squid Stir Fry", 95, 542, 505, 583), ("20.00", 614, 541, 714, 580),
        ("Topped with basil, mint and garlic", 134, 586, 456, 617),
        ("4. Pajeon", 94, 625, 252, 667), ("16.75", 614, 625, 714, 664),
        ("Wok tossed with peanuts, cabbage and cucumber", 131, 669, 602, 700), ("Sides", 92, 745, 195, 791),
        ("ADD ONS", 102, 805, 250, 842), ("BURGERS", 423, 808, 602, 844),
        ("1. Egg Tart", 94, 855, 231, 888), ("17.95", 311, 853, 388, 886),
        ("1. Fun Guo", 422, 855, 556, 886), ("29.95", 639, 853, 716, 886),
        ("2. Edamame", 92, 889, 241, 920), ("24.00", 311, 889, 388, 922),
        ("2. Gyoza", 420, 889, 527, 920), ("31.25", 639, 888, 716, 920),
        ("3. Com Tam", 94, 933, 239, 964), ("25.95", 311, 931, 388, 964),
        ("3. Green Curry", 422, 931, 598, 962), ("18.75", 641, 930, 714, 962),
        ("4. Sashimi", 95, 970, 222, 997), ("19.50", 312, 967, 388, 1000),
        ("4. Rasam", 422, 972, 536, 1005), ("23.75", 639, 970, 714, 1005),
        ("5. Kushikatsu", 94, 1011, 256, 1042), ("17.95", 312, 1009, 386, 1042),
        ("5. Khanom Jeen", 422, 1014, 609, 1045), ("29.95", 639, 1013, 714, 1045),
        ("6. Smoked Duck", 95, 1048, 287, 1075), ("22.75", 311, 1045, 386, 1078),
        ("7. Garden Tofu", 97, 1091, 270, 1117), ("12.50", 312, 1088, 388, 1120),
        ("— Sweet Treats —", 423, 1095, 695, 1131), ("1.Omurice", 422, 1147, 560, 1180),
        ("15.95", 639, 1147, 716, 1180)]]
    rule = _box("", 400, 810, 408, 1258)
    got = _texts(boxes, [rule])
    assert "1. Egg Tart 17.95" in got and "1. Fun Guo 29.95" in got and "7. Garden Tofu 12.50" in got
    assert got.index("7. Garden Tofu 12.50") < got.index("BURGERS")  # the left list is read first
    assert got[:2] == ["1. Tianbula 21.75", "Wok tossed with pickled onion, soy glaze and crispy shallots"]
    # the rule cuts them by itself: no gap in the rows' whitespace need be found for it
    from common.engines.local import segment
    assert segment._ruled_bands(boxes, [rule]) is not None


def test_two_priced_lists_side_by_side_over_two_set_menus_are_cut_at_their_own_gutter():
    # The gap between the left list's names and prices is wider than the gutter between the lists, and
    # under them the set menus' courses sit on both sides of it: it must still not be taken for the gutter.
    boxes = [_box(*b) for b in [
        ("川味坊", 631, 126, 959, 263), ("【燒臘】", 156, 258, 288, 314), ("點心", 827, 284, 917, 344),
        ("炸猪排定食", 141, 331, 323, 380), ("660", 695, 347, 761, 389), ("素麵", 828, 350, 909, 398),
        ("口血视基·集彩·特·新基", 150, 369, 424, 413), ("180", 1361, 378, 1427, 422), ("燒鸭", 827, 406, 909, 459),
        ("水餃", 139, 416, 227, 469), ("140", 694, 431, 761, 473), ("30", 1375, 441, 1425, 480),
        ("XO酱蝦仁燴飯", 823, 472, 1049, 527), ("豆漿", 139, 477, 222, 530), ("630", 695, 492, 761, 534),
        ("200", 1359, 502, 1427, 544), ("芹菜、香菜·洋葱·鲜嫩多汁", 835, 509, 1155, 566), ("農家鸭胸煲", 139, 541, 323, 594),
        ("40", 711, 556, 759, 597), ("韓式炸雞", 823, 556, 974, 613), ("520", 1356, 584, 1427, 631),
        ("蒜、花椒·薑·古早味", 836, 598, 1086, 646), ("韓式刀切麵", 139, 609, 322, 658), ("140", 692, 620, 759, 662),
        ("避風塘茄子", 827, 650, 1002, 698), ("180", 1358, 673, 1423, 716), ("泰北香腸", 141, 675, 288, 723),
        ("660", 690, 681, 760, 729), ("青椒、洋蕙、蒜·解嫩多汁", 837, 689, 1130, 736), ("豆瓣、麗、花椒·解嫩多汁", 152, 717, 420, 753),
        ("香辣羊肉", 827, 739, 969, 789), ("660", 1355, 759, 1424, 807), ("泰式檸檬魚", 141, 769, 322, 817),
        ("30", 706, 777, 759, 820), ("燒賣", 825, 803, 903, 852), ("洋葱、翻油、芹菜·大火快炒", 150, 808, 438, 844),
        ("100", 1356, 827, 1422, 869), ("黑椒豆腐麵", 139, 856, 320, 905), ("120", 692, 864, 758, 906),
        ("合家歡套餐880", 984, 895, 1269, 956), ("雙人套餐3,440", 305, 948, 597, 1002), ("青甘魚", 1069, 975, 1180, 1027),
        ("糖醋魚", 392, 1020, 505, 1070), ("蒜蓉牛腩", 1050, 1035, 1197, 1094), ("豉汁鳳爪", 375, 1075, 522, 1125),
        ("泰式糯米飯", 1036, 1092, 1211, 1145), ("茉莉花茶", 375, 1136, 520, 1186), ("椒鹽魷魚", 1050, 1156, 1195, 1211),
        ("韓式豬腳", 373, 1198, 520, 1248), ("商業午餐1,040", 983, 1256, 1261, 1314), ("湯圓", 406, 1259, 491, 1312),
        ("避風塘花枝拼盘", 323, 1322, 569, 1369), ("台式飯糖", 1053, 1328, 1192, 1378), ("炸豆腐佐高湯", 1014, 1379, 1224, 1436),
        ("蚵嗲", 405, 1383, 486, 1436)]]
    got = _texts(boxes)
    assert "炸猪排定食 660" in got and "農家鸭胸煲 40" in got and "黑椒豆腐麵 120" in got
    assert not [t for t in got if "素麵" in t and "660" in t or "韓式炸雞" in t and "農家" in t]
    assert got.index("黑椒豆腐麵 120") < next(i for i, t in enumerate(got) if "素麵" in t)  # the left list first


def test_a_single_columns_last_section_set_as_lists_side_by_side_is_cut_into_its_columns():
    # Wide rows above (names, leaders, prices across the page) leave no gutter through the whole column;
    # the last section's three lists have one, under a row gap only a little wider than the others.
    boxes = [_box(*b) for b in [
        ("Sweet Treats", 45, 272, 336, 328), ("Lamb Tagine Chicken $8.50 Beef $10.50", 45, 366, 973, 427),
        ("Sweet Chili Cauliflower Platter ... Chicken $19.50·Beef $24.50", 48, 450, 1450, 502),
        ("Curry Udon", 47, 536, 327, 598), ("S $29.00 / L $36.00", 1034, 537, 1450, 589),
        ("Tandoori Chicken", 47, 616, 461, 667), ("Small $26.25·Large $33.25", 841, 616, 1453, 672),
        ("Bia Hoi Veg $22.50· Prawn $28.50", 47, 692, 830, 748),
        ("Tossed in ginger, soy glaze and sesame", 62, 737, 653, 781), ("Mapo Tofu", 45, 816, 305, 878),
        ("Chicken $19.95 Beef $24.95", 828, 817, 1450, 869), ("— Beverages –", 45, 940, 435, 1006),
        ("Fish Ball Soup Small $28.25· Large $35.25", 45, 1022, 1012, 1084),
        ("Latte Chicken $26.95 Beef $33.95", 45, 1106, 825, 1162),
        ("Slow cooked with cucumber, jasmine rice and coriander", 66, 1158, 991, 1198),
        ("Beef And Broccoli", 48, 1227, 459, 1278), ("Glass $11.75 / Bottle $14.75", 845, 1228, 1453, 1280),
        ("Salads", 42, 1339, 200, 1404), ("Ebi Fry S $28.50 L $35.50", 528, 1430, 984, 1477),
        ("FROM THE WOK", 1012, 1436, 1360, 1491), ("Sharing Plates", 48, 1439, 416, 1497),
        ("Madras .….. S $4.95 L$5.95", 48, 1517, 489, 1559), ("Sukiyaki S$4.50·L $5.50", 1011, 1517, 1436, 1559),
        ("Whisky S$30.95 L $38.95", 1011, 1573, 1444, 1616), ("Udon S$18.00·L$22.00", 48, 1575, 458, 1620)]]
    got = _texts(boxes)
    assert "Udon S$18.00·L$22.00" in got and "Whisky S$30.95 L $38.95" in got
    assert "Madras .….. S $4.95 L$5.95" in got and "Sukiyaki S$4.50·L $5.50" in got
    assert got.index("Udon S$18.00·L$22.00") < got.index("Sukiyaki S$4.50·L $5.50")  # left list first
    assert got[1] == "Lamb Tagine Chicken $8.50 Beef $10.50"  # the rows above stay whole


def test_a_price_stacked_under_its_name_right_of_a_gutter_is_not_taken_by_the_row_left_of_it():
    # the left column opens with a heading, so its dishes sit half a row lower than the right column's
    left = [_box("招牌推介", 40, 200, 300, 250)]
    left += _stacked(40, 260, [("帶子餃", "NT$120"), ("叉燒包", "NT$80"), ("泰式冰咖啡", "NT$120")])
    right = _stacked(780, 200, [("帕能咖哩", "NT$290"), ("避風塘田雞麵", "NT$470"), ("腰果雞丁", "NT$50")])
    texts = _texts(left + right)
    assert texts[:7] == ["招牌推介", "帶子餃", "NT$120", "叉燒包", "NT$80", "泰式冰咖啡", "NT$120"]
    assert texts[7:] == ["帕能咖哩", "NT$290", "避風塘田雞麵", "NT$470", "腰果雞丁", "NT$50"]


def test_a_description_and_the_next_columns_priced_dish_on_one_row_are_cut_apart():
    boxes = [_box("Stir fried with garlic, cabbage and sesame", 66, 508, 809, 553),
             _box("Garden Mushroom Salad", 1030, 525, 1552, 572), _box("30.75", 1669, 523, 1797, 573)]
    assert _texts(boxes) == ["Stir fried with garlic, cabbage and sesame", "Garden Mushroom Salad 30.75"]


def test_a_count_a_unit_or_a_dietary_mark_after_a_gap_stays_on_its_dishs_row():
    for tail in ("6 pcs 18", "double shot 4", "V GF 12"):
        boxes = [_box("Oysters", 60, 300, 200, 340), _box(tail, 420, 300, 420 + 20 * len(tail), 340)]
        assert _texts(boxes) == [f"Oysters {tail}"]


def test_a_price_set_smaller_on_its_names_baseline_is_on_the_names_row():
    boxes = [_box("Braised Short Rib", 60, 300, 420, 360), _box("24", 700, 330, 740, 358)]
    assert _texts(boxes) == ["Braised Short Rib 24"]


def test_three_photo_captions_on_one_row_are_three_lines():
    boxes = [_box("Rasam", 170, 1660, 290, 1700), _box("Goi Cuon", 480, 1660, 640, 1700),
             _box("Haejangguk", 740, 1660, 950, 1700)]
    assert _texts(boxes) == ["Rasam", "Goi Cuon", "Haejangguk"]


def test_a_numbered_dish_far_right_of_another_on_one_row_starts_a_line_of_its_own():
    boxes = [_box("7. GARDEN LAMB SLIDERS", 50, 480, 420, 511), _box("6. KIMBAP", 539, 480, 680, 511)]
    assert _texts(boxes) == ["7. GARDEN LAMB SLIDERS", "6. KIMBAP"]
    assert _texts([_box("Oysters", 60, 300, 200, 340), _box("6 pcs", 420, 300, 520, 340)]) == ["Oysters 6 pcs"]


def test_two_tile_captions_close_together_each_with_its_price_under_it_are_two_dishes():
    # two em apart: too close for two columns' names, but each caption has a price of its own under it
    # (under a list whose long names cross the gap between them, so no gutter cuts them apart)
    boxes = [_box(name, 997, y, 1250, y + 40) for name, y in (("Braised Beef Short Rib", 1200), ("Spicy Pork Bulgogi", 1270),
                                                                ("Chicken Katsu Curry", 1340))]
    boxes += [_box(f"£{n}.00", 1400, y, 1470, y + 40) for n, y in ((24, 1200), (19, 1270), (18, 1340))]
    boxes += [_box("Dakbokkeumtang", 997, 1448, 1158, 1488), _box("Roast Meat Rice", 1223, 1453, 1372, 1489),
              _box("£17.00", 1048, 1490, 1108, 1520), _box("£31.00", 1267, 1493, 1327, 1523)]
    assert _texts(boxes)[3:] == ["Dakbokkeumtang", "Roast Meat Rice", "£17.00 £31.00"]
    # one name set wide over its one price stays one name
    wide = [_box("Pad Thai", 997, 1448, 1120, 1488), _box("Goong", 1185, 1453, 1270, 1489),
            _box("£17.00", 1080, 1485, 1150, 1515)]
    assert _texts(wide) == ["Pad Thai Goong", "£17.00"]


def test_a_price_then_another_columns_name_on_one_row_are_cut_apart_but_a_dishs_options_stay_on_its_row():
    boxes = [_box("Braised Prawns Sliders", 60, 300, 420, 340), _box("$8", 440, 300, 480, 340),
             _box("Coconut Prawns Curry", 560, 300, 900, 340)]
    assert _texts(boxes) == ["Braised Prawns Sliders $8", "Coconut Prawns Curry"]
    options = [_box("Kimbap", 60, 300, 180, 340), _box("Chicken 31 / Beef 39", 300, 300, 640, 340)]
    assert _texts(options) == ["Kimbap Chicken 31 / Beef 39"]


def test_two_columns_dishes_on_one_row_are_cut_apart_after_a_price_read_with_its_name_and_options_stay():
    # a dish priced in sizes, then a name priced in the same sizes, half an em apart: a narrow gutter
    sizes = [_box("CHOW MEIN S $22.25 / L $28.25", 75, 300, 503, 341), _box("MADRAS", 523, 300, 656, 341),
             _box("S $10.25 · L $13.25", 700, 300, 935, 341)]
    assert _texts(sizes) == ["CHOW MEIN S $22.25 / L $28.25", "MADRAS S $10.25 · L $13.25"]
    # a name and its price in one box, then another dish an em and a half on
    assert _texts([_box("Pad Thai $12", 60, 300, 260, 340), _box("Green Curry $14", 330, 300, 560, 340)]) == \
        ["Pad Thai $12", "Green Curry $14"]
    # one dish's options, whatever their spacing
    assert _texts([_box("Kimbap Chicken $31", 60, 300, 360, 340), _box("Beef $39", 380, 300, 500, 340)]) == \
        ["Kimbap Chicken $31 Beef $39"]
    assert _texts([_box("Soup S 5 L 9", 60, 300, 300, 340), _box("Veg 6 Prawn 10", 320, 300, 560, 340)]) == \
        ["Soup S 5 L 9 Veg 6 Prawn 10"]
    assert _texts([_box("Pad Thai Chicken S $12 / L $15", 60, 300, 500, 340), _box("Shrimp S $14 / L $17", 525, 300, 800, 340)]) \
        == ["Pad Thai Chicken S $12 / L $15 Shrimp S $14 / L $17"]  # a protein's sizes
    # and an unpriced note after a dish stays on its row
    assert _texts([_box("Margherita $12", 60, 300, 300, 340), _box("Chef's Choice", 370, 300, 560, 340)]) == \
        ["Margherita $12 Chef's Choice"]


@pytest.mark.parametrize("word, label", [("Small", True), ("Lg", True), ("Glass", True), ("Lunch", True),
                                         ("套餐", True), ("例", True), ("Larb", False), ("Pho", False),
                                         ("炒飯", False), ("Half Moon Pie", False)])
def test_the_words_menus_print_over_price_columns_are_labels_and_dish_names_are_not(word, label):
    assert labels.is_label(word) is label


def _line(text, x0, y0, column, width=None):
    from common.engines.local.layout import Line

    box = _box(text, x0, y0, x0 + (width or 20 * len(text)), y0 + 35)
    return Line(text=text, size=35, x0=x0, y0=y0, column=column, boxes=[box], y1=y0 + 35)


def _price_only(box):
    from common.engines.local.layout import _is_price_only

    return _is_price_only(box)


@pytest.mark.parametrize("label, prices", [("Ful", ["38", "40"]), ("Glas", ["S17", "S22"]), ("Bottle", ["$40", "$44"]),
                                           ("Reg", ["9 12", "27 35"])])
def test_a_label_over_a_price_column_cut_apart_from_the_names_is_dropped_though_ocr_misread_a_letter(label, prices):
    # the block a cut left of a second price column: its label, then its prices, no name beside them
    block = [_line(label, 700, 275, 3)] + [_line(p, 700, y, 3) for p, y in zip(prices, (320, 370))]
    assert [ln.text for ln in labels.drop(block, _price_only)] == prices


def test_a_stacked_dish_over_its_price_and_a_word_a_letter_off_a_label_over_a_description_stay():
    stacked = [_line("Pad Thai", 60, 300, 1), _line("$12", 60, 350, 1)]
    assert len(labels.drop(stacked, _price_only)) == 2
    # a stacked menu's dish named as a label is, or one letter off one, heading its column or not
    for names in (["Koshari", "Ful", "Falafel"], ["Ful", "Falafel"], ["Koshari", "Lunch Box", "Falafel"], ["Half", "Whole"]):
        dishes = [ln for k, name in enumerate(names) for ln in (_line(name, 60, 300 + 100 * k, 1),
                                                                 _line(f"${9 - k}", 60, 350 + 100 * k, 1))]
        assert [ln.text for ln in labels.drop(dishes, _price_only)] == [ln.text for ln in dishes]
    # ...and on a centred stacked menu, a short name centred as the longer ones around it are
    centred = [_line(text, 400 - 10 * len(text), y, 1) for text, y in (("Grilled Halloumi Salad", 300), ("$12", 350),
                                                                      ("Ful", 400), ("$8", 450), ("Falafel", 500), ("$7", 550))]
    assert [ln.text for ln in labels.drop(centred, _price_only)] == [ln.text for ln in centred]
    near = [_line("Ful", 60, 300, 1), _line("Fava beans with cumin", 60, 350, 1), _line("$9", 60, 400, 1)]
    assert len(labels.drop(near, _price_only)) == 3
    beside = [_line("Ful", 700, 300, 2), _line("$9", 1200, 350, 3)]  # a price far from under it
    assert len(labels.drop(beside, _price_only)) == 2


@pytest.mark.parametrize("word, near", [("Ful", True), ("Glas", True), ("Gloss", True), ("Bottel", False),
                                        ("Pho", False), ("Smal", True), ("Fu", False), ("12", False)])
def test_a_label_ocr_misread_one_letter_of_is_near_a_label(word, near):
    assert labels.is_label(word) is False and labels.is_label(word, near=True) is near
