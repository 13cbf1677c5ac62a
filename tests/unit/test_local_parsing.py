"""How menu lines become dishes where layout misleads: labelled options (prices), a set menu's centred
courses and a price-less page's dishes (menu.parse), a CJK dish's English name, lines of column labels,
and OCR's Simplified slips on a Traditional menu (hanzi). No OCR runs here."""
from __future__ import annotations

import pytest

from common.engines.local import hanzi, menu
from common.engines.local.layout import Box, Line
from common.engines.local.prices import find_price, is_options


@pytest.mark.parametrize("line, name, options", [
    ("Dal Makhani Veg 26 Prawn 32", "Dal Makhani", [("Veg", 26.0), ("Prawn", 32.0)]),
    ("Uttapam Veg 4 Prawn 5", "Uttapam", [("Veg", 4.0), ("Prawn", 5.0)]),
    ("Somen Veg $7. Prawn $9", "Somen", [("Veg", 7.0), ("Prawn", 9.0)]),
    ("Coq Au Vin Chicken $4 Beef $6", "Coq Au Vin", [("Chicken", 4.0), ("Beef", 6.0)]),
    ("炸牡蠣半隻 $24 · 一隻 $34", "炸牡蠣", [("半隻", 24.0), ("一隻", 34.0)]),
    ("Lentil Soup Glass 25 . Bottle 31", "Lentil Soup", [("Glass", 25.0), ("Bottle", 31.0)]),
    ("おにぎり並¥480大¥600", "おにぎり", [("並", 480.0), ("大", 600.0)]),
    ("GAZPACHO S $30 / L $38 !", "GAZPACHO", [("S", 30.0), ("L", 38.0)]),
    ("韓式糖餅半隻117元一隻147元", "韓式糖餅", [("半隻", 117.0), ("一隻", 147.0)]),
    ("芋圓半隻130/一隻 200", "芋圓", [("半隻", 130.0), ("一隻", 200.0)]),
    ("日本酒グラス1,900ボトル2,380", "日本酒", [("グラス", 1900.0), ("ボトル", 2380.0)]),
    ("牛肉麵 小碗 120 大碗150", "牛肉麵", [("小碗", 120.0), ("大碗", 150.0)]),
])
def test_a_dishs_labelled_prices_are_its_options_however_they_are_printed(line, name, options):
    head, price = find_price(line)
    assert head == name and price.options == options and price.amount == min(a for _, a in options)


def test_one_digit_with_no_label_is_still_no_price_and_two_bare_dishes_are_not_one_dishs_options():
    assert find_price("Gyoza 6")[1] is None
    assert find_price("Pasta 1 / Salad 4")[1] is None
    assert find_price("牛肉麵 120大碗150")[0] == "牛肉麵"  # bare: no name is split off a label
    head, price = find_price("啤酒 2杯 300")  # a count of glasses starts no option
    assert (head, price.amount, price.options) == ("啤酒 2杯", 300, [])
    assert find_price("例牌€12大€18")[1].options == [("例牌", 12), ("大", 18)]  # a label glued before a €
    assert find_price("牛排套餐 280")[0] == "牛排套餐"  # a set is a dish, not a portion


def test_a_box_of_options_alone_is_told_from_a_dish_with_options():
    assert is_options("Chicken 38 / Beef 48") and is_options("Veg 26 Prawn 32") and is_options("小 $47 大 $57")
    assert not is_options("Kimbap Chicken 31 / Beef 39") and not is_options("炸牡蠣半隻 $24 · 一隻 $34")


def _line(text, y, size=40, x0=100, column=0):
    """A line of one box, its width from its characters (CJK square, Latin about half)."""
    x1 = x0 + size * sum(1.0 if ord(c) > 0x2e80 else 0.55 for c in text)
    return Line(text, size, x0, y, column=column, y1=y + size,
                boxes=[Box(text, 0.99, [(x0, y), (x1, y), (x1, y + size), (x0, y + size)])])


def _names(lines):
    return [i.name for i in menu.parse(lines).items]


def _names_with(lines, is_dish):
    return [i.name for i in menu.parse(lines, is_dish=is_dish).items]


def test_a_set_menus_centred_courses_are_dishes_and_a_smaller_title_case_line_set_in_is_a_description():
    latin = [_line("Banquet B $127.00", 100, x0=627), _line("Bun Cha", 160, size=33, x0=751),
             _line("Moussaka", 210, size=31, x0=746), _line("Country Prawns Salad", 260, size=31, x0=643),
             _line("Slow cooked with garlic, sesame and basil", 310, size=27, x0=560)]
    assert _names(latin) == ["Banquet B", "Bun Cha", "Moussaka", "Country Prawns Salad"]
    chinese = [_line("三杯鴨胸 NT$390", 100, size=57, x0=58), _line("商業午餐 NT$360", 210, size=67, x0=527),
               _line("湯豆腐", 300, size=60, x0=720), _line("韓式辣燉雞", 390, size=57, x0=660),
               _line("棺材板", 470, size=61, x0=718)]
    assert _names(chinese) == ["三杯鴨胸", "商業午餐", "湯豆腐", "韓式辣燉雞", "棺材板"]
    described = [_line("Diavola $14", 100), _line("Spicy Salami & Chili Oil", 150, size=30, x0=130),
                 _line("Margherita $12", 200)]
    assert [(i.name, i.description) for i in menu.parse(described).items] == [
        ("Diavola", ["Spicy Salami & Chili Oil"]), ("Margherita", [])]


def test_a_price_less_page_of_many_sections_reads_its_dishes_not_only_its_headings():
    lines, y = [], 100
    for heading, dishes in [("熱炒", ["火雞肉飯", "燉羊栖菜", "泰式椰奶小煎餅"]), ("麵食", ["三杯羊肉飯", "剁椒排骨飯"]),
                            ("燒臘", ["韓式海苔冬粉捲", "炒青菜"]), ("飲品", ["湯圓", "韓式蒸蛋"])]:
        lines.append(_line(heading, y, size=55))
        y += 70
        for d in dishes:
            lines.append(_line(d, y, size=38))
            y += 48
        y += 40
    names = _names(lines)
    assert {"火雞肉飯", "燉羊栖菜", "泰式椰奶小煎餅", "三杯羊肉飯", "剁椒排骨飯", "韓式海苔冬粉捲", "炒青菜", "湯圓",
            "韓式蒸蛋"} <= set(names)


def test_an_english_line_under_a_chinese_dish_is_its_translation_not_another_dish():
    lines = [_line("虱目魚湯 420", 100, size=42), _line("Milkfish soup", 142, size=33, x0=109),
             _line("芒果布丁 530", 190, size=37), _line("Mango pudding", 230, size=36, x0=108)]
    items = menu.parse(lines).items
    assert [i.name for i in items] == ["虱目魚湯", "芒果布丁"]
    assert items[1].description == ["Mango pudding"]


def test_a_line_of_price_column_labels_is_never_an_item():
    lines = [_line("Small Large", 100, x0=100), _line("Pad Thai 12 15", 160), _line("Laksa 13 16", 220)]
    assert _names(lines) == ["Pad Thai", "Laksa"]


def test_simplified_slips_on_a_traditional_or_japanese_menu_are_put_back_and_shared_characters_are_left():
    fix = hanzi.for_script
    assert [fix(s, "zh-Hant") for s in ("刺椒鸭胸煲", "宫廷豆腐", "绍興酒", "海鲜", "豆腐麺")] == \
        ["刺椒鴨胸煲", "宮廷豆腐", "紹興酒", "海鮮", "豆腐麵"]
    printed = ["虱目魚湯", "游水海鮮", "濃郁", "羊栖菜", "咸魚", "蚝油", "豆干", "里肌", "台灣", "炒面", "皇后"]
    assert [fix(s, "zh-Hant") for s in printed] == printed
    assert [fix(s, "ja") for s in ("烧き鳥", "鲑の塩焼き", "猪肉", "国産")] == ["焼き鳥", "鮭の塩焼き", "猪肉", "国産"]
    # a line of Simplified text (a translation beside the dish) is no slip, nor any text on a Simplified menu
    assert fix("宫保鸡丁", "ja") == "宫保鸡丁" and fix("烧鸭 海鲜", "zh-Hans") == "烧鸭 海鲜"


def test_a_category_that_is_also_a_dish_heads_a_stacked_list_and_a_price_less_one_with_descriptions():
    is_dish = {"火鍋", "蒜蓉牛腩飯", "生啤酒"}.__contains__
    stacked = [Line("香辣雞丁煲", 42, 72, 242, y1=284), Line("127元", 39, 72, 275, y1=314),
               Line("關東煮", 46, 72, 320, y1=366), Line("69元", 40, 72, 355, y1=395),
               Line("香辣牛肉麵", 42, 72, 766, y1=808), Line("31元", 36, 73, 802, y1=838),
               Line("醬油、蒜、洋蔥，秘製醬汁", 32, 83, 834, y1=866), Line("火鍋", 48, 75, 902, y1=950),
               Line("農家羊肉炒麵", 43, 73, 948, y1=991), Line("48元", 36, 73, 986, y1=1022),
               Line("芹菜蒜、薑，大火快炒", 31, 84, 1019, y1=1050), Line("韓式豆漿冷麵", 37, 73, 1066, y1=1103),
               Line("92元", 39, 70, 1100, y1=1139)]
    parsed = menu.parse(stacked, is_dish)
    assert "火鍋" not in [i.name for i in parsed.items] and parsed.sections == ["火鍋"]
    price_less = [Line("阿嬤的廚房", 111, 600, 60, y1=171)] + [Line(*a, column=1, y1=y1) for *a, y1 in [
        ("火鍋", 47, 59, 211, 258), ("剁椒五花肉拼盤", 42, 48, 275, 317), ("薑、蔥、豆瓣，鮮嫩多汁", 31, 59, 316, 347),
        ("蒜蓉牛腩飯", 47, 45, 364, 411), ("青椒、花椒、蔥，秘製醬汁", 32, 59, 406, 438), ("生啤酒", 50, 45, 452, 502),
        ("Draft beer", 33, 58, 494, 527)]]  # the title in a band of its own above the column
    parsed = menu.parse(price_less, is_dish)
    assert [i.name for i in parsed.items] == ["剁椒五花肉拼盤", "蒜蓉牛腩飯", "生啤酒"] and "火鍋" in parsed.sections


def test_a_japanese_name_read_in_older_forms_takes_todays_when_the_dish_list_knows_that_better():
    from common.engines.local import LocalEngine

    known = LocalEngine()._known_in_japanese  # the real dish list: 焼肉 is Japanese, 燒肉 a Cantonese roast
    assert [hanzi.shinjitai_if_known(s, known) for s in ("燒肉", "燒酎", "鐵板燒きそば")] == ["焼肉", "焼酎", "鐵板燒きそば"]
    assert hanzi.shinjitai_if_known("燒肉", lambda s: 0) == "燒肉"  # no dish known either way: as printed


@pytest.mark.parametrize("line, name, amount", [("Harbour Beef Skewers S16", "Harbour Beef Skewers", 16.0),
                                                ("SHOYU RAMEN SS17 LS23", "SHOYU RAMEN", 17.0),
                                                ("SORBET S 29·LS36", "SORBET", 29.0)])
def test_a_dollar_ocr_read_as_s_at_a_lines_end_is_still_a_price(line, name, amount):
    head, price = find_price(line)
    assert head == name and price.amount == amount and price.currency == "USD"


def test_a_dollar_prefix_read_with_an_s_keeps_its_currency_and_a_speck_after_the_amount_is_dropped():
    assert find_price("NTS680") == ("", find_price("NT$680")[1]) and find_price("NTS680")[1].currency == "TWD"
    assert find_price("叉燒飯 HKS 48")[1].currency == "HKD"
    head, price = find_price("CHAI LATTE S$34·L$42!")
    assert head == "CHAI LATTE" and price.amount == 34


def test_a_size_before_a_dollar_read_as_s_stays_a_size_option_and_units_after_a_number_are_no_marks():
    assert find_price("SHOYU RAMEN SS17 LS23")[1].options == [("S", 17.0), ("L", 23.0)]
    for line in ("Sirloin Steak 300 g", "Draft Beer 0.5 l", "Phở bò 45 K"):
        assert find_price(line)[1] is None
    assert find_price("宮保雞丁 $24 炒飯 $34")[0] != "宮保"  # two dishes, not a name and its portions


def test_an_s_number_opening_a_line_is_a_row_number_not_a_price():
    assert find_price("S1 Spring Rolls")[1] is None


def test_a_category_that_is_also_a_dish_heads_a_priced_list_and_a_tagline_under_the_title_is_no_dish():
    lines = [_line("鼎香園", 60, size=120, x0=560), _line("正宗川菜", 200, size=45, x0=650),
             _line("火鍋", 300, size=48), _line("麻辣鍋 NT$420", 370), _line("酸菜白肉鍋 NT$380", 430),
             _line("素食", 530, size=48), _line("麻婆豆腐 NT$180", 600), _line("火鍋 NT$500", 660)]
    parsed = menu.parse(lines, is_dish=lambda s: s == "火鍋")
    assert [(i.name, i.section) for i in parsed.items] == [("麻辣鍋", "火鍋"), ("酸菜白肉鍋", "火鍋"),
                                                           ("麻婆豆腐", "素食"), ("火鍋", "素食")]
    # set as the dishes are, a category word that names a dish is one
    course = [_line("松コース ¥5,000", 100), _line("刺身", 160), _line("天ぷら", 220), _line("茶碗蒸し", 280)]
    assert "刺身" in _names_with(course, lambda s: s in ("刺身", "天ぷら", "茶碗蒸し"))


def test_a_run_of_one_and_two_digit_groups_is_no_price_and_hides_none_after_it():
    assert find_price("1," * 100) == ("1," * 100, None)
    assert find_price("12." * 30 + "5")[1] is None
    head, price = find_price("Fries 1,1,1,1,1,1,1 $5")
    assert price.amount == 5 and head == "Fries 1,1,1,1,1,1,1"
    assert find_price("B 1,5301,990")[1].amount == 1530  # two prices OCR ran together still read


def test_a_menu_setting_its_dishes_in_capitals_with_bare_prices_reads_one_digit_and_run_in_prices():
    names = ["GREEN CURRY 30", "MANGO STICKY RICE 25", "PAD WOON SEN 10", "GARDEN BEEF 5", "CARAMEL MACCHIATO8",
             "LEMONGRASS CHICKEN WRAP37", "EGG B12"]
    parsed = menu.parse([Line(text, 40, 100, 100 + 60 * n, y1=140 + 60 * n) for n, text in enumerate(names)])
    got = {i.name: i.price and i.price.amount for i in parsed.items}
    assert got["GARDEN BEEF"] == 5 and got["CARAMEL MACCHIATO"] == 8 and got["LEMONGRASS CHICKEN WRAP"] == 37
    assert got["EGG B12"] is None  # a letter and its number: a code, not a price run in


def test_on_a_menu_naming_its_dishes_in_capitals_a_set_menus_courses_in_capitals_are_dishes():
    texts = ["MAINS", "THALI 13.95", "NACHOS 17.95", "KHAO PAD 14.00", "PHO GA 6.75", "Banquet B 224.00",
             "COCONUT PORK BELLY", "VOLCANO DUCK FRIED RICE", "GOLDEN DUCK PLATTER"]
    parsed = menu.parse([Line(text, 40, 100, 100 + 60 * n, y1=140 + 60 * n) for n, text in enumerate(texts)])
    assert [i.name for i in parsed.items][-3:] == ["COCONUT PORK BELLY", "VOLCANO DUCK FRIED RICE",
                                                   "GOLDEN DUCK PLATTER"]
    lower = menu.parse([Line(text, 40, 100, 100 + 60 * n, y1=140 + 60 * n) for n, text in
                        enumerate(["Thali 13.95", "Nachos 17.95", "Khao Pad 14.00", "FROM THE WOK", "Mango Rice 8.00"])])
    assert "FROM THE WOK" not in [i.name for i in lower.items]  # capitals head a menu naming dishes otherwise


def test_a_price_less_menu_naming_its_dishes_in_capitals_keeps_them_as_dishes_under_its_headings():
    texts = [("From the Grill", 68), ("SALTED CHICKEN", 47), ("DAKKOCHI", 47), ("CHEESE NAAN", 42),
             ("SMOKED SQUID SKEWERS", 41), ("Burgers", 50), ("FLAN", 45), ("THAI SPRING ROLLS", 42),
             ("HARBOUR SHORT RIB NOODLES", 42), ("GOLDEN SHORT RIB TACOS", 42)]
    parsed = menu.parse([Line(text, size, 100, 100 + 70 * n, y1=100 + 70 * n + size) for n, (text, size) in
                         enumerate(texts)])
    assert [i.name for i in parsed.items] == ["SALTED CHICKEN", "DAKKOCHI", "CHEESE NAAN", "SMOKED SQUID SKEWERS",
                                              "FLAN", "THAI SPRING ROLLS", "HARBOUR SHORT RIB NOODLES",
                                              "GOLDEN SHORT RIB TACOS"]
    assert parsed.sections == ["From the Grill", "Burgers"]
    titled = menu.parse([Line(text, 42, 100, 100 + 70 * n, y1=142 + 70 * n) for n, text in enumerate(
        ["Salted Chicken", "Dakkochi", "Cheese Naan", "FROM THE WOK", "Flan", "Thai Spring Rolls", "Pad Thai"])])
    assert "FROM THE WOK" not in [i.name for i in titled.items]  # capitals still head a menu naming dishes otherwise


def test_a_numbered_price_less_list_keeps_its_first_dish_and_its_dishes_set_a_little_smaller():
    # capitals have no descenders: OCR's boxes for RIBEYE STEAK are lower than for CHOCOLATE CAKE
    rows = [("Saffron House", 80), ("1. CHOCOLATE CAKE", 31), ("2. KALGUKSU", 36), ("3. RIBEYE STEAK", 26),
            ("4. LEMON TART", 26), ("5. Ginger Short Rib Fried Rice", 31), ("Stir fried with mint, basil and lime", 24)]
    lines = [_line(text, 60 + 60 * n, size=size) for n, (text, size) in enumerate(rows)]
    lines[0] = _line("Saffron House", 0, size=80, x0=400)
    items = menu.parse(lines).items
    # (five words after its number: no sentence)
    assert [i.name for i in items] == ["CHOCOLATE CAKE", "KALGUKSU", "RIBEYE STEAK", "LEMON TART",
                                       "Ginger Short Rib Fried Rice"]
    assert items[-1].description == ["Stir fried with mint, basil and lime"]


def test_on_a_price_less_chinese_menu_a_name_a_little_smaller_is_a_dish_and_a_much_smaller_phrase_describes():
    rows = [("小吃", 66), ("乾燒蝦仁", 59), ("和牛", 64), ("剁椒田雞煲", 53), ("泰式檸檬冰茶", 53), ("雙皮奶", 61),
            ("椒鹽魷魚", 64), ("花椒薑洋蔥，香酥可口", 41), ("砂鍋田雞飯", 53)]
    lines = [_line("鼎香園", 0, size=115, x0=500)] + [_line(t, 100 + 80 * n, size=s) for n, (t, s) in enumerate(rows)]
    items = menu.parse(lines).items
    assert [i.name for i in items] == ["乾燒蝦仁", "和牛", "剁椒田雞煲", "泰式檸檬冰茶", "雙皮奶", "椒鹽魷魚", "砂鍋田雞飯"]
    assert items[5].description == ["花椒薑洋蔥,香酥可口"]  # (NFKC)


def test_the_sections_real_menus_name_head_their_dishes_even_set_as_their_dishes_are():
    # (the Thai menu of issue 26: THAI DISHES and the like read as dishes)
    for heading in ("Thai Dishes", "ADD ONS", "Add-ons", "Bowls", "From the Wok", "Extras"):
        # price-less, and evenly spaced: only its words tell the heading from the dishes
        names = ["Starters", "Satay", "Spring Rolls", heading, "Pad Thai", "Green Curry", "Tom Yum"]
        parsed = menu.parse([_line(name, 100 + 60 * n) for n, name in enumerate(names)])
        assert [i.name for i in parsed.items] == ["Satay", "Spring Rolls", "Pad Thai", "Green Curry", "Tom Yum"], heading
        assert [i.section for i in parsed.items][2:] == [parsed.sections[-1]] * 3


def test_a_category_that_is_also_a_dish_set_as_large_as_the_dishes_over_a_priced_one_heads_it():
    # a price-column list: 火鍋 a little larger than its dishes (not the 1.15 a size alone asks), no price
    lines = [_line("韓式豬腳 NT$370", 100), _line("鹽烤鮭魚 NT$450", 160), _line("火鍋", 240, size=44),
             _line("紅寶石椰奶 NT$680", 320), _line("香辣雞丁 NT$90", 380)]
    parsed = menu.parse(lines, is_dish=lambda s: s in ("火鍋", "韓式豬腳"))
    assert [(i.name, i.section) for i in parsed.items][2:] == [("紅寶石椰奶", "火鍋"), ("香辣雞丁", "火鍋")]
    # a dish whose price OCR lost, set smaller than its neighbours, stays a dish
    lost = [_line("韓式豬腳 NT$370", 100), _line("火鍋", 160, size=36), _line("紅寶石椰奶 NT$680", 220)]
    assert "火鍋" in _names_with(lost, lambda s: s == "火鍋")


def test_a_title_barely_larger_than_its_dishes_and_the_tagline_centred_under_it_are_no_dishes():
    lines = [_line("海港餐廳", 100, size=70, x0=619), _line("精緻台菜", 190, size=49, x0=680),
             _line("【飲品】", 270, size=68, x0=122), _line("避風塘豆腐炒麵 106元", 360, size=52, x0=95),
             _line("胡椒餅 143元", 477, size=61, x0=94), _line("椒鹽田雞 106元", 562, size=60, x0=94),
             _line("臭豆腐", 640, size=61, x0=94)]
    assert _names(lines) == ["避風塘豆腐炒麵", "胡椒餅", "椒鹽田雞", "臭豆腐"]
    # a dish centred under another is no tagline of it
    courses = [_line("雙人套餐 200元", 100, size=62, x0=553), _line("招牌魚片拼盤", 190, size=48, x0=560)]
    assert "招牌魚片拼盤" in _names(courses)


def test_one_digit_prices_in_price_columns_are_prices_and_a_numbered_dish_below_is_no_wrapped_half():
    # on a menu that prices its dishes in two columns, two one-digit amounts (or an OCR leader) are prices
    lines = [_line("Reg Lg", 40, x0=300), _line("1. Gelato 5 7", 100), _line("2. Umeshu 12 16", 150),
             _line("3. Sorbet 16_ 18", 200), _line("4. Kheer 25 33", 250)]
    assert [(i.name, i.price.amount) for i in menu.parse(lines).items] == [
        ("Gelato", 5), ("Umeshu", 12), ("Sorbet", 16), ("Kheer", 25)]
    # elsewhere such numbers are allergen codes, a count, a set's number: no price
    for line in ("Latte 4 5", "Bruschetta 1 3 7", "Tomato Soup 1 7", "Set 1 2", "Combo 2 3", "Serves 2 4",
                 "Pasta 1 / Salad 4", "Room 2 1"):
        assert find_price(line)[1] is None, line
    codes = [_line("Bruschetta 12", 100), _line("Tomato Soup 1 7", 150), _line("Risotto 14", 200),
             _line("Tiramisu 8.50", 250)]
    assert [i.price.amount if i.price else None for i in menu.parse(codes).items] == [12, None, 14, 8.5]
    # a numbered dish whose price OCR lost is not the first half of the next one's name
    lost = [_line("Reg Lg", 40, x0=300), _line("1. Gelato", 100), _line("2. Umeshu 12 16", 150),
            _line("3. Sorbet 16 18", 200)]
    assert [i.name for i in menu.parse(lost).items] == ["Gelato", "Umeshu", "Sorbet"]


def test_a_letter_or_two_alone_is_a_speck_or_an_ornament_and_no_dish_but_a_one_glyph_dish_is_one():
    lines = [_line("D", 100), _line("Pho", 160), _line("CC", 220), _line("Tom Yum", 280), _line("00", 340),
             _line("粥", 400), _line("O&", 460), _line("7UP", 520), _line("Bò", 580), _line("£5.00E", 640)]
    assert _names(lines) == ["Pho", "Tom Yum", "粥", "7UP", "Bò"]


def test_a_numbered_lists_first_dish_under_a_gap_is_a_dish_and_numbered_headings_over_dishes_stay_headings():
    dishes_ = [_line("Saffron House", 0, size=80, x0=400), _line("1. CHOCOLATE CAKE", 200, size=31),
               _line("2. KALGUKSU", 250, size=31), _line("3. YELLOW CURRY", 300, size=31),
               _line("4. MISO SOUP", 350, size=31)]
    assert _names(dishes_) == ["CHOCOLATE CAKE", "KALGUKSU", "YELLOW CURRY", "MISO SOUP"]
    courses = ["1. Antipasti", "Bruschetta", "Caprese", "2. Primi", "Carbonara", "Lasagna", "3. Secondi",
               "Saltimbocca", "Branzino"]
    lines, y = [], 100
    for text in courses:
        y += 110 if text[0].isdigit() else 50  # each heading set apart by the space above it
        lines.append(_line(text, y))
    assert _names(lines) == ["Bruschetta", "Caprese", "Carbonara", "Lasagna", "Saltimbocca", "Branzino"]
    # numbered dishes with their prices stacked under them, a description under some, a gap before each
    stacked, y = [], 100
    for name, price in (("1. WAGYU", "$12.25"), ("2. PROFITEROLES", "$31.25"), ("3. CHADOLBAEGI", "$8.25"),
                        ("4. CARROT CAKE", "$24.75")):
        stacked += [_line(name, y, size=42), _line(price, y + 50, size=45)]
        if name.startswith("3."):
            stacked.append(_line("Stir fried with coriander, chilli and basil", y + 105, size=36, x0=160))
            y += 55
        y += 140
    assert _names(stacked) == ["WAGYU", "PROFITEROLES", "CHADOLBAEGI", "CARROT CAKE"]


def test_a_numbered_dish_set_much_smaller_than_its_neighbours_is_still_a_dish_not_a_description():
    lines = [_line("1. Pad Thai", 100, size=40), _line("2. Green Curry", 150, size=40),
             _line("3. Khao Man Gai", 200, size=26), _line("4. Tom Yum", 250, size=40)]
    assert _names(lines) == ["Pad Thai", "Green Curry", "Khao Man Gai", "Tom Yum"]


def test_a_category_that_is_also_a_dish_set_apart_over_a_price_less_list_heads_it():
    names = ["小吃", "乾燒蝦仁", "沙嗲串", "和牛", "火鍋", "麻辣鍋", "酸菜白肉鍋", "石頭火鍋"]
    lines = [_line(n, 100 + 60 * k + (80 if k >= 4 else 0)) for k, n in enumerate(names)]
    parsed = menu.parse(lines, is_dish=lambda s: s in ("火鍋", "和牛"))
    assert [i.name for i in parsed.items] == ["乾燒蝦仁", "沙嗲串", "和牛", "麻辣鍋", "酸菜白肉鍋", "石頭火鍋"]
    assert parsed.items[-1].section == "火鍋"


def test_a_menu_numbering_its_dishes_with_bare_numbers_loses_the_numbers_but_a_count_stays():
    lines = [_line(t, 100 + 60 * n) for n, t in enumerate(
        ["1 ORANGE JUICE $7", "2 MIXED GRILL $18", "3 CRISPY MUSHROOM $21", "4 HALLOUMI $12", "3 Cup Chicken $14"])]
    # (3 Cup Chicken follows 4: it starts no sequence, its 3 is the dish's)
    assert _names(lines) == ["ORANGE JUICE", "MIXED GRILL", "CRISPY MUSHROOM", "HALLOUMI", "3 Cup Chicken"]
    # two numbered lines in a row are no list: 2 Eggs is two eggs
    assert _names([_line("2 Eggs $6", 100), _line("3 Pancakes $8", 160), _line("Toast $4", 220)]) == \
        ["2 Eggs", "3 Pancakes", "Toast"]


@pytest.mark.parametrize("line, name, options", [
    ("とんかつ定食 並V570/大V710", "とんかつ定食", [("並", 570.0), ("大", 710.0)]),
    ("餃子グラス¥650/ボトルV810", "餃子", [("グラス", 650.0), ("ボトル", 810.0)]),
    ("和牛V1,680·大V2,100", "和牛", [("大", 2100.0)]),
])
def test_a_blurred_yen_sign_read_as_v_before_a_japanese_price_is_a_yen_sign(line, name, options):
    head, price = find_price(line)
    assert head == name and price.currency == "JPY" and set(options) <= set(price.options)


def test_a_v_before_an_amount_on_a_latin_line_or_a_drinks_name_stays_a_letter():
    assert find_price("Vegetable Soup V12")[1] is None  # a Latin line: V is a letter (vegan), never a yen sign
    assert find_price("V8 Juice 5")[1] is None
    assert find_price("V8 野菜ジュース 300")[0] == "V8 野菜ジュース"


def test_bare_numbers_make_a_list_only_as_one_sequence_of_priced_different_dishes():
    def names(texts):
        return _names([_line(t, 100 + 60 * n) for n, t in enumerate(texts)])

    # two short runs are no list of four: counts stay
    assert names(["2 Eggs $6", "3 Eggs $8", "Toast $4", "1 Taco $4", "2 Tacos $7"])[0] == "2 Eggs"
    assert names(["1 Scoop $3", "2 Scoops $5", "3 Scoops $7", "4 Scoops $9"])[0] == "1 Scoop"  # one thing counted
    assert names(["1 人前 ¥1,200", "2 人前 ¥2,300", "3 人前 ¥3,300", "4 人前 ¥4,200"])[0].startswith("1")
    # a dotted number the blur kept counts in the sequence; the heading between sections is no dish
    assert names(["1 Ramen $12", "2 Udon $11", "3. Soba $10", "4 Gyoza $8"]) == ["Ramen", "Udon", "Soba", "Gyoza"]
    assert names(["1 Ramen $12", "2 Udon $11", "3 Soba $10", "Sides", "4 Gyoza $8"]) == \
        ["Ramen", "Udon", "Soba", "Gyoza"]


def test_a_yen_sign_read_as_v_needs_a_label_or_a_separator_before_it_and_is_the_yuan_in_simplified_chinese():
    from common.engines.local.prices import currency_of

    assert find_price("V60手沖咖啡 ¥38")[0] == "V60手沖咖啡"  # a coffee's name, not a price
    assert find_price("野菜ジュース V8")[1] is None           # one digit: no yen
    head, price = find_price("宫保鸡丁 Y38.00")
    assert head == "宫保鸡丁" and price.amount == 38.0
    assert currency_of(price, "zh-Hans") == "CNY" and currency_of(find_price("牛丼 ¥480")[1], "ja") == "JPY"
    assert find_price("とんかつ定食 V1200")[1].amount == 1200


def test_numbered_headings_over_priced_dishes_are_no_list_of_dishes():
    lines = [_line(t, 100 + 60 * n) for n, t in enumerate(
        ["1 ANTIPASTI", "Bruschetta $9", "2 PRIMI", "Carbonara $14", "3 SECONDI", "Steak $30", "4 DOLCI", "Tiramisu $8"])]
    parsed = menu.parse(lines)
    # (priced none, the headings' numbers are no list's: they stay as printed, the first one a section)
    assert parsed.items[0].section == "1 ANTIPASTI" and "PRIMI" not in [i.name for i in parsed.items]


def test_a_price_under_a_priced_dishs_description_is_a_lost_names_and_names_neither_the_description_nor_more_options():
    # OCR lost the name of the dish "S $26.00 / L $32.00" priced; the line above it describes Bhuna
    lines = [_line("Malatang S$13.50·L$16.50", 100), _line("Stir fried with coriander, basil and soy glaze", 150, size=36, x0=120),
             _line("Bhuna Veg $28.25 · Prawn $35.25", 200), _line("Served with mint, peanuts and lime", 250, size=36, x0=120),
             _line("S $26.00 / L $32.00", 300, x0=380), _line("Dinner for Two $113.00", 400)]
    parsed = menu.parse(lines)
    assert [i.name for i in parsed.items] == ["Malatang", "Bhuna", "Dinner for Two"]
    assert [a for _, a in parsed.items[1].price.options] == [28.25, 35.25]


@pytest.mark.parametrize("order", ["name, description, price", "price, name, description"])
@pytest.mark.parametrize("step", [150, 190])  # evenly spaced, or a gap between dishes
def test_a_price_stacked_under_its_dishs_description_or_over_its_name_is_that_dishs(order, step):
    lines, y = [], 100
    for name, price in (("Kamameshi", "$19.75"), ("Curry Rice", "$21.95"), ("Oyakodon", "$18.50"), ("Katsu Don", "$20.00")):
        dish = [(name, 40), ("Served with pickles and miso soup", 34), (price, 40)]
        if order.startswith("price"):
            dish = dish[2:] + dish[:2]
        lines += [_line(text, y + 50 * k, size=size) for k, (text, size) in enumerate(dish)]
        y += step
    items = menu.parse(lines).items
    assert [(i.name, i.price.amount, i.description) for i in items] == [
        (n, a, ["Served with pickles and miso soup"]) for n, a in
        (("Kamameshi", 19.75), ("Curry Rice", 21.95), ("Oyakodon", 18.5), ("Katsu Don", 20.0))]


def test_an_unknown_chinese_dish_takes_the_english_name_its_menu_prints_for_an_english_reader():
    from common.engines.local import LocalEngine, ocr

    lines = [("家傳滷味拼盤 420", 100, 42), ("Grandma's braised platter", 146, 33), ("Braised in soy, star anise", 184, 30),
             ("虱目魚湯 380", 240, 42), ("Milkfish soup", 286, 33), ("招牌手工丸 150", 340, 42),
             ("Chef's Recommendation", 386, 33)]
    boxes = [_line(text, y, size=size).boxes[0] for text, y, size in lines]
    engine = LocalEngine()
    items = engine.menu_of(ocr.Reading(boxes, 0, 500.0), "en").items
    first = items[0]
    assert (first.original_name, first.translated_name, first.known) == ("家傳滷味拼盤", "Grandma's braised platter", False)
    assert first.description == "Braised in soy, star anise"
    # a reader of another language is not given the English; a dish the list knows keeps its own name
    assert engine.menu_of(ocr.Reading(boxes, 0, 500.0), "ja").items[0].translated_name != "Grandma's braised platter"
    known = engine.kb.match("虱目魚湯").dish
    assert items[1].known and items[1].translated_name == known.name_in("en")
    assert items[2].translated_name != "Chef's Recommendation"  # a badge names no food: no English name
    # a choice or a warning under a dish is no name either, and stays its description
    for note in ("Pork or Beef", "Contains Peanuts", "Add Egg"):
        boxes[1] = _line(note, 146, size=33).boxes[0]
        first = engine.menu_of(ocr.Reading(boxes, 0, 500.0), "en").items[0]
        assert first.translated_name != note and note in first.description


def test_a_wines_second_size_under_its_first_joins_it_though_a_tasting_note_comes_between():
    lines = [_line("Prosecco", 100), _line("crisp and dry, with green apple", 145, size=32), _line("Glass 11", 185),
             _line("Bottle 44", 230), _line("Chianti", 320), _line("cherry, leather and earth", 365, size=32),
             _line("Glass 12", 405), _line("Bottle 48", 450)]
    got = [(i.name, i.price.options) for i in menu.parse(lines).items]
    assert got == [("Prosecco", [("Glass", 11), ("Bottle", 44)]), ("Chianti", [("Glass", 12), ("Bottle", 48)])]


def test_a_price_over_its_name_under_a_heading_stays_with_that_name_though_the_column_ends_in_a_price():
    lines, y = [_line("MAINS", 50, size=48)], 110
    for name, price in (("Kamameshi", "$19.75"), ("Curry Rice", "$21.95"), ("Oyakodon", "$18.50")):
        lines += [_line(price, y), _line(name, y + 50), _line("Served with pickles and miso soup", y + 100, size=34)]
        y += 150
    lines += [_line("Extra rice", y), _line("$3", y + 50)]
    got = [(i.name, i.price.amount) for i in menu.parse(lines).items]
    assert got == [("Kamameshi", 19.75), ("Curry Rice", 21.95), ("Oyakodon", 18.5), ("Extra rice", 3)]
