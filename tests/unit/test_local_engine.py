"""The offline engine in-process without its OCR models: prices, layout, parser, knowledge base."""
from __future__ import annotations

import unicodedata

import pytest

from common.core.errors import ConfigError
from common.engines.local import dishes, menu, prices, wording
from common.engines.local.layout import Box, Line, read_lines


# -- prices ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, head, amount, currency", [
    ("唐揚げ 680円", "唐揚げ", 680, "JPY"),
    ("天ぷら ¥1,280", "天ぷら", 1280, "JPY"),
    ("刺身 ￥1,280", "刺身", 1280, "JPY"),
    ("とんかつ 千二百円", "とんかつ", 1200, "JPY"),
    ("枝豆六百八十円", "枝豆", 680, "JPY"),
    ("唐揚げ……680円", "唐揚げ", 680, "JPY"),
    ("Pad Thai $14.50", "Pad Thai", 14.5, "USD"),
    ("Steak frites 14,50 €", "Steak frites", 14.5, "EUR"),
    ("Filet 1.280,50 €", "Filet", 1280.5, "EUR"),
    ("Carbonara ........ 12.5", "Carbonara", 12.5, None),
    ("牛肉麵 NT$180", "牛肉麵", 180, "TWD"),
    ("宫保鸡丁 38元", "宫保鸡丁", 38, "CNY"),
    ("Bibimbap 12,000원", "Bibimbap", 12000, "KRW"),
    ("Tom yum 120 บาท", "Tom yum", 120, "THB"),
    ("生ビール 580円(税込)", "生ビール", 580, "JPY"),
    ("Butter Chicken -$18-", "Butter Chicken", 18, "USD"),  # decorated, bracketed, a full stop: the same price
    ("Samosa (12)", "Samosa", 12, None),
    ("Goat Curry (7)", "Goat Curry", 7, None),
    ("Burger 18.", "Burger", 18, None),
    ("传统铜锅 (小) 16元 □", "传统铜锅 (小)", 16, "CNY"),  # an order sheet's tick box
    ("手切羊肉 38元/份", "手切羊肉", 38, "CNY"),  # per unit
    ("Oysters $3/pc", "Oysters", 3, "USD"),
    ("WRAP Glass £20.00 Bottle £25.00:", "WRAP", 20, "GBP"),  # a speck OCR read as a colon after it
    ("GINGER SQUID E9.00", "GINGER SQUID", 9, None),  # £ or € read as E: the menu's other prices say which
    ("里28.00", "", 28, None),  # a script £ read as 里
    ("SHIO RAMEN 里36.00", "SHIO RAMEN", 36, None),
])
def test_prices_in_the_forms_menus_print_are_split_from_the_name(line, head, amount, currency):
    got_head, price = prices.find_price(unicodedata.normalize("NFKC", line))
    assert got_head == head and price is not None
    assert price.amount == amount and price.currency == currency


def test_a_price_per_unit_keeps_its_unit_in_the_printed_price():
    assert [prices.find_price(line)[1].text for line in ("北冰洋 5元/瓶 口", "焼き鳥 180円/本", "Oysters $3/pc",
                                                           "Wings $2 each")] == ["5元/瓶", "180円/本", "$3/pc", "$2 each"]


def test_several_prices_on_a_line_by_portion_or_protein_become_options():
    head, p = prices.find_price("-Chicken- $21 - Lamb- $26-")
    assert head == "" and p.options == [("Chicken", 21), ("Lamb", 26)] and p.amount == 21
    head, p = prices.find_price("Tikka masala: Chicken $21 / Lamb $26")
    assert head == "Tikka masala" and p.text == "Chicken $21 / Lamb $26"


@pytest.mark.parametrize("line, head, text", [
    ("名物豚バラ丼 1,650円2,150円", "名物豚バラ丼", "1,650円 2,150円"),
    ("牛肉麵 130元170元", "牛肉麵", "130元 170元"),
    ("Soup $5.50$7", "Soup", "$5.50 $7"),
    ("Bier 0,5L 4,80", "Bier 0,5", "L 4,80"),  # a volume: no labelled amount before it
    ("1,650円2,150円", "", "1,650円 2,150円"),  # a price column's line: no name left
    ("Chicken 65$12.95", "Chicken 65", "$12.95"),  # a name's number before a price is no price
    ("No.5$12", "No.5", "$12"),
])
def test_two_prices_ocr_read_as_one_box_are_both_prices_of_the_line(line, head, text):
    got_head, price = prices.find_price(line)
    assert (got_head, price.text) == (head, text)


@pytest.mark.parametrize("line, amount", [("Sangria Carafe 1L 22", 22), ("Hauswein rot Carafe 0,5L 14,00", 14),
                                          ("Pils S 0,3L 3,50 L 0,5L 4,80", 4.8), ("Lemonade L 1L 6", 6)])
def test_a_volume_run_into_its_unit_is_never_a_labelled_amount(line, amount):
    # an amount is parted from the next label only when both are sizes of one scale, in cents
    assert prices.find_price(line)[1].amount == amount


@pytest.mark.parametrize("line, head, options", [
    ("沙茶牛腩 小NT$220 大 NT$280", "沙茶牛腩", [("小", 220), ("大", 280)]),
    ("鮪魚細卷小NT$470/大 NT$590", "鮪魚細卷", [("小", 470), ("大", 590)]),
    ("牛肉麵 小HK$30 大HK$40", "牛肉麵", [("小", 30), ("大", 40)]),
    ("Soup S 5 L 9", "Soup", [("S", 5), ("L", 9)]),
    ("WRAPVeg 28,00 € Prawn 35,00 €", "WRAP", [("Veg", 28), ("Prawn", 35)]),
    ("TacosS $12 / L $15", "Tacos", [("S", 12), ("L", 15)]),
    ("PizzaM $12 / L $15", "Pizza", [("M", 12), ("L", 15)]),
    ("NACHOS 9 / L 12", "NACHOS", [("L", 12)]),  # capitals end in their own S and M: MUSSELS, CHICKEN PARM
    ("PadThai 12 Prawn 14", "PadThai 12 Prawn", []),  # Thai is no option's label
    ("白切全雞 $200 半隻 $110", "白切全雞", [("半隻", 110)]),  # a whole bird in the name, not a whole portion
    ("NACHOS $5 / $8", "NACHOS", []),  # no later label: its S is its own
    ("PurinGlass 4.95 / Bottle 5.95", "Purin", [("Glass", 4.95), ("Bottle", 5.95)]),
    ("Ayran S 11.75L 14.75", "Ayran", [("S", 11.75), ("L", 14.75)]),  # an amount run into the next label
    ("客家小炒半售 NT$240 一隻 NT$300", "客家小炒", [("半售", 240), ("一隻", 300)]),  # 半隻, its counter misread
    ("炒飯半售 NT$660 / 一售 NT$820", "炒飯", [("半售", 660), ("一售", 820)]),
    ("牛肉麵 NT$100 大 NT$150", "牛肉麵", [("大", 150)]),  # 麵 is no portion
    ("Golden Lentil Cakes Chicken $11 Beef $14", "Golden Lentil Cakes", [("Chicken", 11), ("Beef", 14)]),
    ("Buffalo WingsVeg 23.95 · Prawn 29.95", "Buffalo Wings", [("Veg", 23.95), ("Prawn", 29.95)]),
    ("Tortilla De PatatasVeg 12.25Prawn 15.25", "Tortilla De Patatas", [("Veg", 12.25), ("Prawn", 15.25)]),
    ("Fish Ball SoupChicken 17.95 Beef 21.95", "Fish Ball Soup", [("Chicken", 17.95), ("Beef", 21.95)]),
    ("Wonton Noodle S 6.5L 8.5", "Wonton Noodle", [("S", 6.5), ("L", 8.5)]),  # a price of one decimal, no volume
    ("Merlot Glass 9.5Bottle 38", "Merlot", [("Glass", 9.5), ("Bottle", 38)]),
])
def test_a_label_ocr_ran_into_the_name_the_amount_or_a_currency_prefix_stays_a_label(line, head, options):
    got_head, price = prices.find_price(line)
    assert (got_head, price.options) == (head, options)


@pytest.mark.parametrize("line, head, options", [
    ("Latte Sm 4.50 Lg 5.50", "Latte", [("Sm", 4.5), ("Lg", 5.5)]),
    ("House Red Glass 9 Carafe 22 Bottle 30", "House Red", [("Glass", 9), ("Carafe", 22), ("Bottle", 30)]),
    ("House RedCarafe 22 / Bottle 30", "House Red", [("Carafe", 22), ("Bottle", 30)]),
    ("Tacos Small 8Medium 10", "Tacos", [("Small", 8), ("Medium", 10)]),
    ("NachosL 12 / XL 15", "Nachos", [("L", 12), ("XL", 15)]),
    ("NachosL 12 / M 15", "NachosL", [("M", 15)]),  # M is smaller than L: not one scale, so the L stays
])
def test_every_size_of_a_scale_is_a_label_wherever_ocr_ran_it_in_and_only_a_larger_one_follows(line, head, options):
    got_head, price = prices.find_price(line)
    assert (got_head, price.options) == (head, options)


@pytest.mark.parametrize("text, value", [("六百八十", 680), ("千二百", 1200), ("一万二千", 12000), ("一二八〇", 1280),
                                         ("二千五百八十", 2580), ("十", 10), ("百五十", 150)])
def test_kanji_numerals_read_as_numbers(text, value):
    assert prices.kanji_number(text) == value


@pytest.mark.parametrize("line, amount, market, currency", [("Poutine 12,50 $", 12.5, False, "USD"),
                                                             ("Lobster MP", None, True, None),
                                                             ("Crab s.q.", None, True, None)])
def test_a_dollar_sign_after_the_amount_and_a_market_price_word_of_its_own_are_prices(line, amount, market, currency):
    _, price = prices.find_price(line)
    assert price is not None and (price.amount, price.market, price.currency) == (amount, market, currency)


@pytest.mark.parametrize("line, head, amount", [
    ("Soup of the Day 7.50", "Soup of the Day", 7.5), ("Catch of the Day 28", "Catch of the Day", 28),
    ("Gyoza 6 pcs 8.50", "Gyoza 6 pcs", 8.5), ("Nuggets 10 pieces 7.99", "Nuggets 10 pieces", 7.99),
    ("Macallan 12 Years 16", "Macallan 12 Years", 16), ("Chef's Table 95", "Chef's Table", 95)])
def test_a_unit_after_a_count_leaves_the_price_after_it(line, head, amount):
    got_head, price = prices.find_price(line)
    assert got_head == head and price is not None and price.amount == amount


def test_market_price_ranges_and_sizes_are_understood():
    _, market = prices.find_price("刺身盛り合わせ 時価")
    assert market.market and market.amount is None
    _, rng = prices.find_price("Lobster 45-60€")
    assert (rng.amount, rng.range_max, rng.currency) == (45, 60, "EUR")
    head, sizes = prices.find_price("Milkshake S5/M6/L7")
    assert head == "Milkshake" and sizes.options == [("S", 5), ("M", 6), ("L", 7)] and sizes.amount == 5
    head, cjk = prices.find_price("珍珠奶茶中55/大65")
    assert head == "珍珠奶茶" and cjk.options == [("中", 55), ("大", 65)]


@pytest.mark.parametrize("line", ["Menu 2", "7up", "B1 ランチ", "Sushi set 2 pcs", "一品料理", "Steak frites",
                                  "Serves 4.", "Est. 2009.", "Room 101 -", "Open 11:", "Lunch 11.30:", "EGG E12", "Pieces: 6", "Chili Shrimp", "Tacos x 3"])
def test_numbers_that_are_not_prices_are_left_in_the_name(line):
    assert prices.find_price(line) == (line, None)


def test_currency_is_inferred_from_the_menu_then_from_its_script():
    assert prices.infer_currency(["EUR", None, "EUR", "USD"], "latin") == "EUR"
    assert prices.infer_currency([None, None], "ja") == "JPY"
    assert prices.infer_currency([None], "zh-Hant") == "TWD"
    assert prices.infer_currency([None], "latin") is None


# -- knowledge base --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kb():
    return dishes.load()


def test_knowledge_base_has_800_dishes_across_thirteen_cuisines_with_five_languages(kb):
    assert len(kb.dishes) >= 800
    assert {d.cuisine for d in kb.dishes} == {"ja", "zh", "ko", "th", "vi", "it", "fr", "es", "us", "in", "mx", "me",
                                               "intl"}
    assert len({d.id for d in kb.dishes}) == len(kb.dishes)
    tags = {"spicy", "vegetarian", "vegan", "raw", "contains_alcohol", "pork", "beef"}
    allergens = {"gluten", "crustacean", "egg", "fish", "peanut", "soy", "milk", "tree_nut", "celery", "mustard",
                 "sesame", "sulphite", "mollusc"}
    for d in kb.dishes:
        assert all(d.name[lang] for lang in dishes.LANGS), d.id
        assert d.names and d.description["en"] and d.description["zh_tw"] and d.description["zh_cn"], d.id
        assert set(d.tags) <= tags and set(d.allergens) <= allergens, d.id
        assert d.course in menu_course_names() and 0 <= d.rank <= 3, d.id


def test_no_name_belongs_to_two_dishes_the_menus_script_cannot_tell_apart(kb):
    # A shared name resolves by the menu's script (餃子: gyoza on a Japanese menu, jiaozi on a Chinese
    # one); two dishes of one cuisine, or two a Latin-script menu reaches, would be a coin toss.
    latin_ok = {frozenset({"us.craft_beer", "ja.nama_beer"})}  # "draft beer": the same drink either way
    for k, found in kb._exact.items():
        if len(found) < 2:
            continue
        assert len({d.cuisine for d in found}) == len(found), (k, [d.id for d in found])
        if k.isascii():
            assert frozenset(d.id for d in found) in latin_ok, (k, [d.id for d in found])


def test_a_row_in_every_new_cuisine_reads_in_all_five_languages(kb):
    by_id = {d.id: d for d in kb.dishes}
    assert by_id["in.butter_chicken"].name == {"en": "Butter chicken", "zh_tw": "奶油咖哩雞", "zh_cn": "黄油鸡",
                                               "ja": "バターチキンカレー", "ko": "버터 치킨 커리"}
    assert by_id["in.chicken_curry"].name["zh_tw"] == "咖哩雞" and by_id["in.chicken_curry"].name["zh_cn"] == "咖喱鸡"
    assert by_id["mx.tacos_al_pastor"].name["ko"] and by_id["me.hummus"].name["ja"] == "フムス"
    assert by_id["tw.danzai_noodles"].name["zh_cn"] == "担仔面"  # derived from zh-TW by OpenCC
    assert kb.match("Chicken Tikka Masala").dish.id == "in.tikka_masala"
    assert kb.match("Baba Ghanoush").dish.id == "me.baba_ganoush"
    assert kb.match("蝦餃").dish.id == "zh.har_gow" and kb.match("Flat White").dish.id == "cafe.flat_white"


def test_unknown_latin_names_are_put_word_by_word_into_the_readers_language(kb):
    assert kb.gloss("Lamb Pepper Fry", "zh_tw").startswith("羊肉")
    assert kb.gloss("Chicken Rogan", "ja").startswith(kb.terms_in("chicken")[0].name["ja"])
    assert kb.gloss("Mystery Platter", "zh_tw") == "Mystery Platter"  # nothing known: left as printed
    assert kb.gloss("Lamb Pepper Fry", "en") == "Lamb Pepper Fry"


def menu_course_names() -> set[str]:
    return {"starter", "main", "side", "soup", "noodle", "rice", "dessert", "drink"}


@pytest.mark.parametrize("printed, dish_id", [
    ("唐揚げ", "ja.karaage"), ("から揚げ", "ja.karaage"), ("カラアゲ", "ja.karaage"), ("特製唐揚げ", "ja.karaage"),
    ("焼きとり", "ja.yakitori"), ("とんかっ定食", "ja.tonkatsu_teishoku"), ("宫保鸡丁", "zh.kung_pao_chicken"),
    ("宮保雞丁", "zh.kung_pao_chicken"), ("Spagheti Carbonara", "it.carbonara"), ("PAD THAI", "th.pad_thai"),
    ("Phở bò", "vi.pho_bo"), ("Pho Bo", "vi.pho_bo"), ("creme brulee", "fr.creme_brulee"),
    ("Bœuf bourguignon", "fr.boeuf_bourguignon"), ("石焼ビビンバ", "ko.dolsot_bibimbap"),
    ("Tiramisù", "it.tiramisu"), ("Classic Cheesburger", "us.cheeseburger"), ("Gambas al ajilo", "es.gambas_ajillo"),
    ("特製とんかつ", "ja.tonkatsu"), ("自家製ハンバーグ", "ja.hamburg"), ("Homemade Tiramisu", "it.tiramisu"),
])
def test_dish_names_match_through_ocr_noise_and_spelling_variants(kb, printed, dish_id):
    m = kb.match(printed)
    assert m is not None and m.dish.id == dish_id, (printed, m)


@pytest.mark.parametrize("printed, not_id", [
    ("焼きうどん", "ja.yakisoba"), ("Thai red curry", "th.green_curry"), ("shio ramen", "ja.shoyu_ramen"),
    ("onigiri", "ja.sushi"), ("Fried spring rolls", "vi.goi_cuon"), ("枝豆腐", "ja.edamame"),
    ("餃子の皮", "ja.gyoza"),
])
def test_near_miss_names_do_not_match_the_neighbouring_dish(kb, printed, not_id):
    m = kb.match(printed)
    assert m is None or m.dish.id != not_id, (printed, m.dish.id, m.how, m.score)


def test_fuzzy_threshold_keeps_one_ocr_error_and_rejects_two_in_a_short_name(kb):
    assert kb.match("Carbonarra").dish.id == "it.carbonara"        # one extra letter: ratio 95
    assert kb.match("Tiramusi") is None                            # two wrong letters in 8: ratio 75


def test_a_shared_name_resolves_to_the_menus_own_cuisine(kb):
    assert kb.match("餃子", prefer="ja").dish.id == "ja.gyoza"
    assert kb.match("餃子", prefer="zh").dish.id == "zh.jiaozi"


def test_glossary_terms_describe_unknown_dishes_and_latin_terms_match_whole_words(kb):
    assert [t.id for t in kb.terms_in("海老と帆立のバター焼き")][:3] == ["t.shrimp", "t.scallop", "t.butter"]
    assert "t.cabbage" not in [t.id for t in kb.terms_in("Coca-Cola")]
    assert {t.id for t in kb.terms_in("Grilled chicken with soy sauce")} >= {"t.chicken", "t.soysauce"}


@pytest.mark.parametrize("tag, lang", [("zh-TW", "zh_tw"), ("zh-Hant-HK", "zh_tw"), ("zh", "zh_cn"), ("zh-CN", "zh_cn"),
                                       ("zh-Hans", "zh_cn"), ("ja-JP", "ja"), ("ko", "ko"), ("en-GB", "en"), ("fr", "en")])
def test_reader_languages_map_onto_the_knowledge_base(tag, lang):
    assert dishes.reader_lang(tag) == lang


# -- layout and parser -----------------------------------------------------------------------------
def _box(text, x0, y0, x1, y1):
    return Box(text, 0.99, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def test_two_columns_read_left_column_first_and_a_price_column_stays_with_its_names():
    boxes = [_box("Trattoria", 500, 40, 1000, 110)]
    for n, (name, price) in enumerate([("Bruschetta", "6,50 €"), ("Caprese", "9,00 €"), ("Lasagne", "14,00 €")]):
        y = 200 + 80 * n
        boxes += [_box(name, 80, y, 380, y + 50), _box(price, 560, y, 700, y + 50)]
    for n, (name, price) in enumerate([("Ossobuco", "22,00 €"), ("Tiramisù", "7,00 €"), ("Panna cotta", "6,50 €")]):
        y = 200 + 80 * n
        boxes += [_box(name, 800, y, 1100, y + 50), _box(price, 1280, y, 1420, y + 50)]
    lines, orientation = read_lines(boxes)
    assert orientation == "horizontal"
    assert [ln.text for ln in lines] == ["Trattoria", "Bruschetta 6,50 €", "Caprese 9,00 €", "Lasagne 14,00 €",
                                         "Ossobuco 22,00 €", "Tiramisù 7,00 €", "Panna cotta 6,50 €"]


def test_a_single_column_with_right_aligned_prices_is_not_split():
    boxes = []
    for n, (name, price) in enumerate([("唐揚げ", "680円"), ("焼き鳥", "980円"), ("枝豆", "380円"), ("刺身", "時価")]):
        y = 100 + 90 * n
        boxes += [_box(name, 100, y, 330, y + 60), _box(price, 1200, y, 1400, y + 60)]
    lines, _ = read_lines(boxes)
    assert [ln.text for ln in lines] == ["唐揚げ 680円", "焼き鳥 980円", "枝豆 380円", "刺身 時価"]


def test_vertical_columns_read_right_to_left():
    boxes = [_box("お品書き", 1300, 100, 1360, 400), _box("唐揚げ六百八十円", 1150, 100, 1210, 700),
             _box("焼き鳥九百八十円", 1000, 100, 1060, 700)]
    lines, orientation = read_lines(boxes)
    assert orientation == "vertical"
    assert [ln.text for ln in lines] == ["お品書き", "唐揚げ六百八十円", "焼き鳥九百八十円"]


def test_skewed_lines_are_straightened_before_grouping():
    import math

    boxes = []
    a = math.radians(4)
    for n, text in enumerate(["Bruschetta 6.50", "Carbonara 13.00", "Tiramisu 7.00"]):
        x0, y0, w, h = 100, 100 + 70 * n, 900, 50
        pts = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
        boxes.append(Box(text, 0.99, [(x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a))
                                      for x, y in pts]))
    lines, _ = read_lines(boxes)
    assert [ln.text for ln in lines] == ["Bruschetta 6.50", "Carbonara 13.00", "Tiramisu 7.00"]


def test_parser_keeps_sections_descriptions_and_prices_on_their_own_line():
    lines = [Line("【揚げ物】", 70, 100, 0), Line("唐揚げ 680円", 50, 100, 100), Line("鶏もも肉の唐揚げ", 34, 140, 170),
             Line("とんかつ", 50, 100, 240), Line("1,200円", 50, 900, 310), Line("DRINKS", 62, 100, 400),
             Line("生ビール 580円", 50, 100, 480)]
    parsed = menu.parse(lines)
    assert [(i.name, i.price.amount, i.section) for i in parsed.items] == [
        ("唐揚げ", 680, "揚げ物"), ("とんかつ", 1200, "揚げ物"), ("生ビール", 580, "DRINKS")]
    assert parsed.items[0].description == ["鶏もも肉の唐揚げ"]
    assert parsed.sections == ["揚げ物", "DRINKS"]


def test_a_stacked_centred_menu_pairs_each_price_line_with_the_name_above_and_keeps_descriptions():
    lines = [Line("Butter Chicken", 50, 560, 200, y1=250), Line("-$18-", 44, 660, 262, y1=306),
             Line("Tender chicken in a creamy tomato sauce", 34, 420, 318, y1=352),
             Line("Rogan Josh", 50, 570, 430, y1=480), Line("-Chicken- $21 - Lamb- $26-", 44, 500, 492, y1=536),
             Line("Slow braised with Kashmiri chillies", 34, 430, 548, y1=582),
             Line("Garlic Naan", 50, 565, 660, y1=710), Line("-$4-", 44, 670, 722, y1=766)]
    parsed = menu.parse(lines)
    assert [(i.name, i.price.amount) for i in parsed.items] == [("Butter Chicken", 18), ("Rogan Josh", 21),
                                                                ("Garlic Naan", 4)]
    assert parsed.items[1].price.options == [("Chicken", 21), ("Lamb", 26)]
    assert parsed.items[0].description == ["Tender chicken in a creamy tomato sauce"]


def test_a_stacked_bilingual_menu_reads_its_first_dish_and_keeps_each_english_name_with_its_dish():
    # name / price / English name, the price on a line of its own: the first dish is set apart from the
    # title as a heading would be, and each English line sits under a price, not under its CJK name.
    lines = [Line("金龍酒家", 108, 562, 75, y1=183), Line("傳承三代好味道", 42, 627, 181, y1=223),
             Line("招牌蝦仁", 33, 55, 261, y1=294), Line("600", 29, 55, 294, y1=323),
             Line("薑醬油、蔥，鮮嫩多汁", 31, 66, 327, y1=358),
             Line("打拋雞", 34, 56, 366, y1=400), Line("390", 31, 55, 397, y1=428),
             Line("Basil chicken", 31, 66, 431, y1=462),
             Line("紅豆湯", 34, 56, 469, y1=503), Line("240", 30, 55, 500, y1=530),
             Line("Sweet red bean soup", 27, 67, 537, y1=564),
             Line("菠蘿包", 34, 58, 569, y1=603), Line("650", 30, 55, 600, y1=630),
             Line("Pineapple bun", 32, 66, 634, y1=666)]
    parsed = menu.parse(lines, is_dish={"Basil chicken", "Sweet red bean soup", "Pineapple bun"}.__contains__)
    assert [(i.name, i.price.amount) for i in parsed.items] == [("招牌蝦仁", 600), ("打拋雞", 390), ("紅豆湯", 240),
                                                                ("菠蘿包", 650)]
    assert [i.description for i in parsed.items] == [["薑醬油、蔥,鮮嫩多汁"], ["Basil chicken"],
                                                     ["Sweet red bean soup"], ["Pineapple bun"]]
    assert "招牌蝦仁" not in parsed.sections


def test_a_price_set_just_above_its_name_pairs_downwards():
    lines = [Line("$18", 40, 600, 100, y1=140), Line("Butter Chicken", 50, 520, 146, y1=196),
             Line("creamy tomato sauce", 34, 520, 200, y1=234),
             Line("$21", 40, 600, 330, y1=370), Line("Rogan Josh", 50, 520, 376, y1=426),
             Line("braised lamb", 34, 520, 430, y1=464)]
    parsed = menu.parse(lines)
    assert [(i.name, i.price.amount, i.description) for i in parsed.items] == [
        ("Butter Chicken", 18, ["creamy tomato sauce"]), ("Rogan Josh", 21, ["braised lamb"])]


def test_a_title_above_the_first_price_does_not_take_it_from_the_name_below():
    lines = [Line("House of Spice", 80, 450, 60, y1=178), Line("$23", 40, 700, 200, y1=240),
             Line("Taco Salad", 50, 600, 262, y1=312), Line("crisp lettuce and beans", 34, 540, 318, y1=352)]
    for n, (price, name) in enumerate([("$21", "Toro"), ("$33", "Chorizo")]):
        y = 430 + 230 * n
        lines += [Line(price, 40, 700, y, y1=y + 40), Line(name, 50, 620, y + 46, y1=y + 96),
                  Line("slow cooked with warm spices", 34, 520, y + 102, y1=y + 136)]
    parsed = menu.parse(lines)
    assert [(i.name, i.price.amount) for i in parsed.items] == [("Taco Salad", 23), ("Toro", 21), ("Chorizo", 33)]


def _stack(*rows):
    """Lines one under another: (text, size) each, 12 px apart, or (text, size, gap below)."""
    lines, y = [], 60
    for text, size, *gap in rows:
        lines.append(Line(text, size, 500, y, y1=y + size))
        y += size + (gap[0] if gap else 12)
    return lines


def test_stacked_prices_read_by_the_sizes_around_them_where_ocr_sets_a_price_taller_or_shorter():
    # The price line's box may be taller than its name's ($ and digits) or shorter (a line of options):
    # what decides is the name above against its description below, then the menu's own way.
    below = menu.parse(_stack(("House of Spice", 98), ("Larb", 61), ("-Chicken-$15 - Lamb- $20-", 47),
                              ("Charred over the grill", 44), ("Smoky Maple Wings", 62), ("-Chicken-$14 - Lamb- $19-", 42),
                              ("Finished with fresh herbs", 41), ("Curry Udon", 62), ("-$38-", 56),
                              ("Slow cooked with onions", 41)))
    assert [(i.name, i.price.amount) for i in below.items] == [("Larb", 15), ("Smoky Maple Wings", 14),
                                                               ("Curry Udon", 38)]
    above = menu.parse(_stack(("House of Spice", 98, 40), ("$13", 60, 8), ("Roast Goose", 51),
                              ("Charred over the grill", 44, 40), ("$10", 61, 8), ("Bucatini All'Amatriciana", 51),
                              ("Tender pieces in sauce", 44, 40), ("$4", 59, 8), ("Chicken Tikka", 54),
                              ("With toasted bread", 45)))
    assert [(i.name, i.price.amount) for i in above.items] == [("Roast Goose", 13), ("Bucatini All'Amatriciana", 10),
                                                               ("Chicken Tikka", 4)]


def test_a_known_dish_whose_name_ends_in_a_number_keeps_it(kb):
    def is_dish(s):
        return (m := kb.match(s)) is not None and m.how in ("exact", "reading")

    lines = _stack(("Chicken 65", 60), ("(10)", 60), ("Spiced Pumpkin Curry", 60), ("(28)", 60), ("Chicken 65 12.95", 60))
    parsed = menu.parse(lines, is_dish=is_dish)
    assert [(i.name, i.price.amount) for i in parsed.items] == [("Chicken 65", 10), ("Spiced Pumpkin Curry", 28),
                                                                ("Chicken 65", 12.95)]


def _boxed_line(text, size, x0, y0, x1):
    """A Line with its one OCR box, so the parser knows how far across the column it reaches."""
    return Line(text, size, x0, y0, y1=y0 + size, boxes=[_box(text, x0, y0, x1, y0 + size)])


def test_a_long_name_wrapped_onto_its_priced_line_is_joined_and_a_heading_set_like_a_dish_is_not():
    lines = [_boxed_line("Dinner", 55, 660, 173, 840), _boxed_line("MAINS", 54, 105, 260, 300),
             _boxed_line("Margherita 12", 50, 100, 100, 1400),
             _boxed_line("Braised Short Rib with Creamy Polenta", 58, 101, 330, 966),
             _boxed_line("and Gremolata 18", 47, 108, 391, 1395), _boxed_line("Curry Udon 38", 54, 105, 470, 1397),
             _boxed_line("Bistecca Alla Fiorentina - lemon, capers, rocket and shaved", 56, 101, 560, 1380),
             _boxed_line("fennel 24", 50, 105, 613, 1395)]
    lines.pop(2)  # (kept aside for the heading case below)
    parsed = menu.parse(lines)
    assert [(i.name, i.price.amount, i.description, i.section) for i in parsed.items] == [
        ("Braised Short Rib with Creamy Polenta and Gremolata", 18, [], "MAINS"),
        ("Curry Udon", 38, [], "MAINS"),
        ("Bistecca Alla Fiorentina", 24, ["lemon, capers, rocket and shaved fennel"], "MAINS")]


def test_a_heading_a_note_or_a_translation_above_a_dish_is_not_the_start_of_its_name():
    heading = menu.parse([_boxed_line("Margherita 12", 50, 100, 100, 1400),
                          _boxed_line("Handmade Pasta & Risotto", 55, 100, 260, 800),
                          _boxed_line("Tagliatelle al Ragu 16", 50, 100, 330, 1400)])
    note = menu.parse([_boxed_line("PIZZA", 70, 100, 100, 400),
                       _boxed_line("All pizzas are made with our 48-hour dough", 40, 100, 200, 1000),
                       _boxed_line("Margherita 12", 50, 100, 250, 1400)])
    english = menu.parse([_boxed_line("宫保鸡丁 38元", 50, 100, 100, 1400),
                          _boxed_line("Kung Pao Chicken with Peanuts", 36, 100, 200, 900),
                          _boxed_line("鱼香肉丝 32元", 50, 100, 240, 1400)])
    assert [i.name for i in heading.items][-1] == "Tagliatelle al Ragu"
    assert [i.name for i in note.items] == ["Margherita"]
    assert [i.name for i in english.items] == ["宫保鸡丁", "鱼香肉丝"]


def test_an_evenly_spaced_name_ending_mid_phrase_still_joins_its_priced_line():
    parsed = menu.parse(_stack(("Caesar Salad 12", 50), ("Grilled Salmon with", 50), ("Lemon Butter Sauce 24", 50),
                               ("Tiramisu 8.50", 50)))
    assert [i.name for i in parsed.items] == ["Caesar Salad", "Grilled Salmon with Lemon Butter Sauce", "Tiramisu"]


@pytest.mark.parametrize("rows", [
    (("Margherita 12", 50, 100, 100), ("tomato, mozzarella,", 50, 140, 155), ("Diavola 14", 50, 100, 250)),
    (("Burger 15", 60, 100, 300), ("Angus beef, served with", 60, 100, 365), ("Club Sandwich 13", 60, 100, 470)),
    (("Ribeye 32", 50, 100, 100), ("Chips and", 50, 100, 155), ("Fish Tacos 14", 50, 100, 250))])
def test_a_description_under_its_dish_is_not_glued_to_the_next_one(rows):
    parsed = menu.parse([Line(t, size, x0, y0, y1=y0 + size) for t, size, x0, y0 in rows])
    assert [(i.name, i.description) for i in parsed.items] == [(_name(rows[0][0]), [rows[1][0]]),
                                                               (_name(rows[2][0]), [])]


def _name(priced: str) -> str:
    return priced.rsplit(" ", 1)[0]


def test_a_menu_of_bare_numbers_takes_its_one_digit_prices_and_digits_ocr_ran_into_a_word():
    lines = _stack(("Panna Cotta - ricotta, spinach, sage butter 15", 50), ("Trofie Al Pesto - burrata, basil oil, sea salt 8", 50),
                   ("Tagliatelle - crispy pancetta, peas, parmigiano27", 50), ("Arancini 12", 50), ("Tiramisu 9.50", 50))
    parsed = menu.parse(lines)
    assert [(i.name, i.price and i.price.amount) for i in parsed.items] == [
        ("Panna Cotta", 15), ("Trofie Al Pesto", 8), ("Tagliatelle", 27), ("Arancini", 12), ("Tiramisu", 9.5)]
    assert prices.find_price("Trofie Al Pesto - burrata, basil oil, sea salt 8")[1] is None  # alone, not a price
    # ...but not a description's allergen codes, a heading's number, or a count after a naming word
    coded = menu.parse(_stack(("Margherita 9", 50), ("pomodoro, mozzarella, basilico 1, 7", 36), ("Diavola 11", 50),
                              ("COMBO 2", 60), ("Capricciosa 12", 50), ("Kitchen open until 9", 50), ("Bufala 14", 50),
                              ("Quattro Formaggi 13", 50)))
    assert [(i.name, i.price and i.price.amount) for i in coded.items if i.price] == [
        ("Margherita", 9), ("Diavola", 11), ("Capricciosa", 12), ("Bufala", 14), ("Quattro Formaggi", 13)]


def test_a_name_in_capitals_or_before_a_dot_is_told_from_its_description():
    parsed = menu.parse(_stack(("BURRATA heirloom tomato, basil oil 16", 50), ("Rad Na· miso glaze, sesame · 13", 50),
                               ("BLT sandwich with fries 9.50", 50)))
    assert [(i.name, i.description) for i in parsed.items] == [
        ("BURRATA", ["heirloom tomato, basil oil"]), ("Rad Na", ["miso glaze, sesame"]), ("BLT sandwich with fries", [])]
    assert wording.described("BBQ pulled pork, pickled slaw") == ("BBQ pulled pork, pickled slaw", None)
    assert wording.described("Col·lecció de formatges catalans") == ("Col·lecció de formatges catalans", None)
    assert wording.described("Caprese - tomato, mozzarella") == ("Caprese", "tomato, mozzarella")


def test_a_lone_unlabelled_price_under_a_priced_dish_is_dropped_and_a_labelled_one_is_an_option():
    parsed = menu.parse([Line("とんかつ 1,180円", 50, 100, 100), Line("550円", 50, 900, 160),
                         Line("唐揚げ 680円", 50, 100, 220), Line("House Red Bottle 36", 50, 100, 280),
                         Line("Glass 9", 50, 900, 340)])
    assert [(i.name, i.price.text) for i in parsed.items] == [("とんかつ", "1,180円"), ("唐揚げ", "680円"),
                                                              ("House Red", "Bottle 36 / Glass 9")]


def test_a_menu_without_prices_finds_its_dishes_by_the_smaller_line_under_each():
    # Two lines of description under each name: most lines on the page are set small.
    lines = [Line("Seasonal Menu", 90, 450, 60), Line("Spiced Pumpkin Curry", 67, 120, 230),
             Line("Served with rice and", 42, 150, 300), Line("a fresh salad", 42, 150, 340),
             Line("Roast Goose", 58, 120, 420), Line("A generous portion", 43, 150, 490),
             Line("to share", 43, 150, 530), Line("Quesadilla", 70, 120, 610),
             Line("Charred over the grill", 44, 150, 680), Line("with a lime salsa", 44, 150, 720)]
    parsed = menu.parse(lines)
    assert [(i.name, i.section, i.description) for i in parsed.items] == [
        ("Spiced Pumpkin Curry", "Seasonal Menu", ["Served with rice and", "a fresh salad"]),
        ("Roast Goose", "Seasonal Menu", ["A generous portion", "to share"]),
        ("Quesadilla", "Seasonal Menu", ["Charred over the grill", "with a lime salsa"])]


def test_a_name_and_its_description_on_one_line_are_told_apart_and_a_wrapped_name_is_joined():
    lines = [Line("Margherita - tomato, mozzarella, basil 12", 50, 100, 100),
             Line("Grilled Atlantic Salmon with", 50, 100, 180), Line("Lemon Butter Sauce 24", 50, 100, 240),
             Line("Pho - Beef 14", 50, 100, 320)]
    parsed = menu.parse(lines)
    assert [(i.name, i.price.amount, i.description) for i in parsed.items] == [
        ("Margherita", 12, ["tomato, mozzarella, basil"]), ("Grilled Atlantic Salmon with Lemon Butter Sauce", 24, []),
        ("Pho - Beef", 14, [])]


def test_a_caption_wider_than_the_gutter_finder_expects_still_keeps_its_column():
    boxes = [_box("Our Favourites", 475, 60, 1020, 150)]
    for row, y in enumerate((620, 1190, 1750)):
        names = [("Chirashi", "Cookie", "Hong Kong French Toast")[row], ("Banh Mi", "Pani Puri", "Harbour Fish Stew")[row],
                 ("Spiced Pumpkin Curry", "Tinto De Verano", "Garden Harvest Bowl")[row]]
        for col, (name, x0, x1) in enumerate(zip(names, (131, 617, 1005), (550, 942, 1408))):
            w = 30 + 17 * len(name)
            left = (x0 + x1 - w) / 2
            boxes += [_box(name, left, y + 4 * col, left + w, y + 60 + 4 * col),
                      _box(f"${10 + row * 3 + col}", (x0 + x1) / 2 - 40, y + 55 + 4 * col, (x0 + x1) / 2 + 40, y + 110 + 4 * col)]
    texts = [ln.text for ln in read_lines(boxes)[0]]
    assert texts == ["Our Favourites", "Chirashi", "$10", "Cookie", "$13", "Hong Kong French Toast", "$16",
                     "Banh Mi", "$11", "Pani Puri", "$14", "Harbour Fish Stew", "$17",
                     "Spiced Pumpkin Curry", "$12", "Tinto De Verano", "$15", "Garden Harvest Bowl", "$18"]


def test_two_boxed_columns_with_a_gutter_narrower_than_a_line_are_still_two_columns():
    # A photographed page of boxed sections: the left box's prices end 26 px before the right box's names.
    boxes = [_box("BISTRO MENU", 476, 78, 987, 165)]
    for n, (left, right) in enumerate([("Bagel", "Poke"), ("Kung Pao Chicken", "Boiled Fish In Chili Oil"),
                                        ("Garden Harvest Bowl", "Dalgona Coffee"), ("Sirloin", "Tianbula")]):
        y = 350 + 145 * n
        boxes += [_box(left, 116 + 4 * n, y, 116 + 4 * n + 22 * len(left), y + 60),
                  _box(f"({n + 4})", 660 + 4 * n, y + 55, 740 + 6 * n, y + 120),
                  _box(right, 790 + 4 * n, y + 10, 790 + 4 * n + 20 * len(right), y + 70),
                  _box(f"({n + 30})", 1290, y + 70, 1380, y + 135)]
    texts = [ln.text for ln in read_lines(boxes)[0]]
    assert texts[:3] == ["BISTRO MENU", "Bagel", "(4)"] and "Poke" in texts and "(30)" in texts


def test_a_price_whose_name_ocr_lost_does_not_join_the_next_dish():
    lines = [Line("魚丸湯 20元 小籠包 98元", 60, 100, 100), Line("10元 家常豆腐煲 26元", 60, 600, 180),
             Line("泰式炸雞油飯 68元粥 51元", 60, 100, 260)]  # and a dish of one character is still a dish
    assert [(i.name, i.price.amount) for i in menu.parse(lines).items] == [
        ("魚丸湯", 20), ("小籠包", 98), ("家常豆腐煲", 26), ("泰式炸雞油飯", 68), ("粥", 51)]
    # a portion after a price is not a dish of its own
    items = menu.parse([Line("白切雞 半隻 280元 一隻 520元", 60, 100, 100), Line("紅茶 30元 冰 35元", 60, 100, 180)]).items
    assert [i.name for i in items] == ["白切雞", "紅茶 30元冰"]
    assert items[0].price.options == [("半隻", 280.0), ("一隻", 520.0)]  # the half and the whole bird


def test_order_sheet_rows_lose_their_numbers_and_tick_boxes_and_split_into_dishes():
    lines = [Line("101 传统铜锅 (小) 16元 □ 102 传统铜锅 (大) 26元 □", 40, 50, 100),
             Line("103 手切羊肉 38元/份 □", 40, 50, 160), Line("宫保鸡丁 38元 麻婆豆腐 28元", 40, 50, 220)]
    got = [(i.name, i.price.amount, i.price.text) for i in menu.parse(lines).items]
    assert got == [("传统铜锅 (小)", 16, "16元"), ("传统铜锅 (大)", 26, "26元"), ("手切羊肉", 38, "38元/份"),
                   ("宫保鸡丁", 38, "38元"), ("麻婆豆腐", 28, "28元")]


def test_two_numbered_dishes_ocr_read_as_one_line_are_two_and_a_count_after_a_price_is_not_a_number():
    lines = [Line("1. RAMEN S 15.00·L 19.00  1. BOSSAM  S 9.50 L 11.50", 40, 50, 100),
             Line("Pad Thai 12.50 2. Green Curry 14", 40, 50, 160), Line("Gyoza 6 pcs 8.50", 40, 50, 220)]
    got = [(i.name, i.price.amount) for i in menu.parse(lines).items]
    assert got == [("RAMEN", 15), ("BOSSAM", 9.5), ("Pad Thai", 12.5), ("Green Curry", 14), ("Gyoza 6 pcs", 8.5)]


# -- the recogniser's scoring, the engine's prerequisites, lines that are not prices -------------------
def test_ctc_likelihood_sums_every_alignment_of_the_text():
    import itertools
    import math

    import numpy as np

    from common.engines.local.ocr import _ctc_log_likelihood

    rng = np.random.default_rng(3)
    probs = rng.random((5, 3))
    probs /= probs.sum(axis=1, keepdims=True)  # 5 frames over blank, a, b

    def collapse(path):
        out = [c for n, c in enumerate(path) if c and (n == 0 or c != path[n - 1])]
        return out

    for labels in ([1], [1, 2], [1, 1], [2, 1, 2]):
        brute = sum(math.prod(probs[t, c] for t, c in enumerate(path))
                    for path in itertools.product(range(3), repeat=5) if collapse(path) == labels)
        assert _ctc_log_likelihood(probs, labels) == pytest.approx(math.log(brute))
    assert _ctc_log_likelihood(probs, [1, None]) == -math.inf  # a character the model cannot write


class _Recogniser:
    """A recogniser whose re-reading scores each text by `score(printed, text)`; the boxes it was asked
    to read again, in `asked`; `nearly` the runner-up glyphs its frames give for each box's text."""

    def __init__(self, score, nearly=None):
        self.score, self.nearly, self.asked = score, nearly or {}, []

    def reread(self, image, boxes):
        from common.engines.local.wording import clean

        self.asked.extend(box.text for box in boxes)
        return [_Read(self, clean(box.text)) for box in boxes]


class _Read:
    def __init__(self, recogniser, printed):
        self.recogniser, self.printed = recogniser, printed

    def likelihood(self, text):
        return self.recogniser.score(self.printed, text)

    def nearly(self, text, wanted, count=24):
        return self.recogniser.nearly.get(text, {})


def test_a_reading_the_recogniser_cannot_write_is_never_replaced():
    import math

    from common.engines.local import lexicon
    from common.engines.local.ocr import Reading

    # the printed reading holds a glyph the model has none of
    unwritable = _Recogniser(lambda printed, text: -math.inf if text == printed else -1.0)

    items = [menu.ParsedItem("蝦绞", None)]
    reading = Reading([_box("蝦绞 71元", 0, 0, 200, 50)], 0, 300.0, image=object())
    assert lexicon.correct(items, [None], reading, unwritable, dishes.load()) == [] and items[0].name == "蝦绞"
    unsure = _Recogniser(lambda printed, text: -2.0 if text == printed else -5.0)
    assert lexicon.correct(items, [None], reading, unsure, dishes.load()) == [0] and items[0].name != "蝦绞"


def test_an_evaluation_template_whose_font_is_missing_is_skipped_naming_the_package(monkeypatch):
    from devstack import menu_templates

    monkeypatch.setitem(menu_templates.FONTS, "decorative", "/nonexistent/lobster.otf")
    template = next(t for t in menu_templates.TEMPLATES if t.key == "decorative-font")
    assert "apt-get install fonts-lobster" in menu_templates.font_missing(template)


def test_a_missing_word_list_fails_at_engine_start_naming_the_package(monkeypatch):
    import importlib.util

    from common.engines.local import check_prerequisites

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jieba" else real(name, *a))
    with pytest.raises(ConfigError, match="jieba's word list"):
        check_prerequisites()


def test_a_missing_font_fails_at_engine_start_naming_the_package(monkeypatch, tmp_path):
    from common.engines.local import check_prerequisites

    monkeypatch.setenv("FONT_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="fonts-noto-cjk"):
        check_prerequisites()


@pytest.mark.parametrize("line, name", [("3色丼 980円", "3色丼"), ("2人前 もつ鍋 1,800円", "2人前 もつ鍋"),
                                        ("3種の前菜盛り合わせ 1,200円", "3種の前菜盛り合わせ"),
                                        ("100年老店 牛肉麵 180元", "100年老店 牛肉麵"),
                                        ("101传统铜锅 (小) 16元", "传统铜锅 (小)")])
def test_a_count_leading_a_dish_name_stays_and_an_order_sheets_row_number_goes(line, name):
    head, price = prices.find_price(line)
    assert price is not None and wording.dish_name(head) == name


def test_a_line_of_ocr_noise_is_read_in_bounded_time():
    import time

    t0 = time.perf_counter()
    assert prices.find_price("1," * 400 + "x") == ("1," * 400 + "x", None)
    # spaced digits and portion labels (found by a search for the slowest line: 1 s before the separators
    # between amounts were made possessive, 1 ms after), a hundred times over
    for _ in range(100):
        prices.find_price("01大  0大    0大 1   0,0_0,1_1,1   1,0   半隻   1   大")
    assert time.perf_counter() - t0 < 10  # bounded by the price window; unbounded, it would never finish


def test_a_glyph_no_known_name_is_written_with_is_tried_as_the_known_word_it_nearly_makes():
    from common.engines.local import glyphs

    kb = dishes.load()

    def fixes(name, script):
        return glyphs.fixes(name, kb, script)

    assert "麻油雞" in fixes("麻油碰", "zh-Hant")              # no dish is written with 碰
    assert "農家鴨胸飯" in fixes("農家鴨胸版", "zh-Hant")      # a glyph names end in, last
    assert fixes("外婆紅燒肉", "zh-Hant") == []                # every glyph a dish's: left alone
    # in what the menu's script prints: 雞 on a Traditional menu, 鸡 on a Simplified one, no kana in Chinese
    assert "麻油鸡" not in fixes("麻油碰", "zh-Hant")
    assert "麻油鸡" in fixes("麻油碰", "zh-Hans") and "麻油雞" not in fixes("麻油碰", "zh-Hans")
    assert "台式炒飯" in fixes("台式炒版", "zh-Hant")           # 台 as Taiwan prints it
    assert not any("め" in f for f in fixes("台式炒版", "zh-Hant"))


def test_a_latin_word_no_list_holds_is_offered_as_the_listed_words_one_letter_from_it():
    from common.engines.local import spelling

    kb = dishes.load()
    assert ("Sesame Salmon Sliders", 1) in spelling.fixes("Sesome Salmon Sliders", kb)
    assert ("BUFFALO WINGS", 1) in spelling.fixes("BUFFOLO WINGS", kb)  # capitals stay capitals
    assert ("Pizza", 1) in spelling.fixes("Pizz0", kb)
    assert ("Spaghetti Alla Carbonara", 1) in spelling.fixes("Spaghetti Alla Corbonara", kb)  # a known dish's word
    assert ("Coconut Beef Wrap", 2) in spelling.fixes("Coconuf Beef Wrep", kb)  # two words, each one letter off
    assert spelling.fixes("Dongo", kb)[0] == ("Dango", 1)  # a known dish's word before commoner English ones
    assert not any("'" in f for f, _ in spelling.fixes("Eds Tacos", kb))  # no possessive (Ed's)
    # listed words, short words, numbers and codes are left alone
    assert spelling.fixes("Golden Squid Curry", kb) == [] and spelling.fixes("Pho Ga", kb) == []
    assert spelling.fixes("Set 2024", kb) == [] and spelling.fixes("A12B", kb) == []


def test_a_misread_latin_word_is_put_right_only_when_the_recogniser_finds_it_nearly_as_likely():
    import math

    from common.engines.local import lexicon
    from common.engines.local.ocr import Reading

    def Recogniser(loss):
        return _Recogniser(lambda printed, text: -1.0 if text == printed
                           else -1.0 - (loss if text.startswith("Sesame Salmon") else 40.0))

    reading = Reading([_box("Sesome Salmon Sliders $18", 0, 0, 400, 50)], 0, 400.0, image=object())
    for loss, name in ((4.0, "Sesame Salmon Sliders"), (math.inf, "Sesome Salmon Sliders"),
                       (lexicon.WORD_LOSS + 1, "Sesome Salmon Sliders")):
        items = [menu.ParsedItem("Sesome Salmon Sliders", None)]
        lexicon.correct(items, [None], reading, Recogniser(loss), dishes.load(), script="en")
        assert items[0].name == name


def test_a_one_glyph_fix_is_taken_only_when_the_recogniser_finds_it_nearly_as_likely():
    import math

    from common.engines.local import lexicon
    from common.engines.local.ocr import Reading

    def Recogniser(loss):  # the printed reading, then 農家鴨胸飯 a glyph's cost behind it
        return _Recogniser(lambda printed, text: -2.0 if text == printed
                           else -2.0 - (loss if text.startswith("農家鴨胸飯") else 30.0))

    reading = Reading([_box("農家鴨胸版 120元", 0, 0, 300, 50)], 0, 300.0, image=object())
    items = [menu.ParsedItem("農家鴨胸版", None)]
    assert lexicon.correct(items, [None], reading, Recogniser(3.0), dishes.load(), script="zh-Hant") == [0]
    assert items[0].name == "農家鴨胸飯"
    items = [menu.ParsedItem("農家鴨胸版", None)]  # a blurred photo: a misread glyph costs more than a word list's word
    assert lexicon.correct(items, [None], reading, Recogniser(lexicon.WORD_LOSS + 2), dishes.load(),
                           script="zh-Hant") == [0]
    items = [menu.ParsedItem("農家鴨胸版", None)]
    assert lexicon.correct(items, [None], reading, Recogniser(math.inf), dishes.load(), script="zh-Hant") == []
    assert items[0].name == "農家鴨胸版"


def test_the_names_nearest_a_spelling_are_re_read_first_and_a_page_reads_no_more_than_its_budget():
    from common.engines.local import lexicon
    from common.engines.local.ocr import Reading


    # first on the page a name that merely shares words with known dishes, then more names a one-glyph
    # fix can help (版 for 飯), last a known dish one letter off (Potsfickers: Potstickers)
    names = ["Black Pepper Squid Noodles"]
    names += [a + b + "版" for a in ("農家", "招牌", "秘製", "香辣", "家常", "古早", "宮廷", "砂鍋", "鐵板", "三杯")
              for b in ("鴨胸", "牛腩", "排骨", "雞丁", "花枝")][:lexicon.MAX_BOXES + 6]
    names += ["Potsfickers", "蝦绞"]
    reading = Reading([_box(f"{name} 120", 0, 60 * n, 300, 60 * n + 50) for n, name in enumerate(names)], 0, 300.0,
                      image=object())
    items = [menu.ParsedItem(name, None) for name in names]
    recogniser = _Recogniser(lambda printed, text: 0.0 if text == printed else -50.0)
    lexicon.correct(items, [None] * len(items), reading, recogniser, dishes.load(), script="zh-Hant")
    assert len(recogniser.asked) == lexicon.MAX_BOXES
    # one edit from a known dish, though read last on the page: before the one-glyph fixes
    assert any(t.startswith("Potsfickers") for t in recogniser.asked)
    assert any(t.startswith("蝦绞") for t in recogniser.asked)  # short as it is
    assert not any(t.startswith("Black Pepper") for t in recogniser.asked)


def test_misread_names_re_read_in_batches_get_each_its_own_crops_scores_in_the_order_asked():
    import math

    import numpy as np

    from common.engines.local import ocr

    class Rec:  # a recogniser whose every frame says the crop's width: scores tell crops apart
        class postprocess_op:
            character = ["blank", "a", "b"]

        def resize_norm_img(self, crop, ratio):
            out = np.zeros((3, 48, int(48 * ratio)), np.float32)
            out[0, 0, 0] = crop.shape[1]
            return out

        def session(self, batch):
            widths = batch[:, 0, 0, 0]
            probs = np.full((len(batch), 4, 3), 0.25, np.float32)
            probs[:, :, 1] = (widths / 1000.0)[:, None]
            return probs

    engine = type("Engine", (), {"_load_rec_model": lambda self: Rec()})()
    reader = object.__new__(ocr.Ocr)
    reader._engine, reader._index = engine, None
    image = np.full((400, 1400, 3), 255, np.uint8)
    widths = [300, 40, 900, 120, 200, 600, 80, 1000]  # unsorted, more than one batch
    frames = reader.reread(image, [_box("x", 10, 10, 10 + w, 50) for w in widths])
    scores = [[f.likelihood(t) for t in ("a", "b")] for f in frames]
    assert len(scores) == len(widths) and all(math.isfinite(v) for s in scores for v in s)
    # a wider crop reads "a" likelier: the scores rank as the widths do, so each box got its own crop's
    assert list(np.argsort([s[0] for s in scores])) == list(np.argsort(widths))


def test_a_chinese_glyph_joining_no_word_is_in_doubt_and_a_known_dishs_rare_word_is_not():
    from common.engines.local import hanwords

    known = dishes.load().cjk_names()
    assert hanwords.doubtful("黑椒田維趣", known) == [2, 3, 4]  # 黑椒 is a word; 田維, 維趣 are none
    assert hanwords.doubtful("乾煸茄子", known) == []  # 乾煸, in no dictionary, is a piece of 乾煸四季豆
    assert hanwords.doubtful("紅燒牛肉", known) == [] and hanwords.doubtful("牛肉麵", known) == []
    assert hanwords.doubtful("黑椒田雞麵", known) == []  # 麵 ends a name as a word of its own


def test_doubtful_glyphs_are_offered_as_the_runner_ups_that_make_words_commonest_in_menus_first():
    from common.engines.local import hanwords

    known = dishes.load().cjk_names()
    # as the recogniser's frames had it: 雞 ninth after 維, 麵 sixth after 趣
    nearly = {3: list("非雖单路雄肆锦染雞"), 4: list("题趟频矩超麵")}
    fixes = hanwords.fixes("黑椒田維趣", [2, 3, 4], nearly, known)
    assert fixes[0].name == "黑椒田雞麵" and fixes[0].glyphs == 2 and fixes[0].doubts == 0
    # 田单 is a word too (a general's name): one menus print far less, so it ranks below
    single = {f.name: f for f in fixes}
    assert "黑椒田单麵" in single and single["黑椒田单麵"].prior < fixes[0].prior
    assert hanwords.fixes("黑椒田維趣", [2, 3, 4], {}, known) == []  # no runner-ups, nothing to offer


def test_a_runner_up_fix_is_taken_only_within_its_glyphs_loss_after_the_menus_prior():
    import math

    from common.engines.local import hanwords, lexicon
    from common.engines.local.ocr import Reading

    kb = dishes.load()
    nearly = {"黑椒田維趣 170": {3: list("单雞"), 4: list("题麵")}}
    fix = next(f for f in hanwords.fixes("黑椒田維趣", [2, 3, 4], {3: list("单雞"), 4: list("题麵")}, kb.cjk_names())
               if f.name == "黑椒田雞麵")
    assert 0 < fix.prior <= 2 * hanwords.MAX_PRIOR  # 雞 and 麵 are far commoner in dishes' names
    reading = Reading([_box("黑椒田維趣 170", 0, 0, 300, 50)], 0, 300.0, image=object())
    for loss, name in ((2 * lexicon.RUNNER_UP_LOSS - 0.5, "黑椒田雞麵"),
                       (2 * lexicon.RUNNER_UP_LOSS + 1.0, "黑椒田雞麵"),  # the menus' prior pays the rest
                       (lexicon.MAX_LOSS + 0.5, "黑椒田維趣")):          # no prior pays past a spelling's cost
        def score(printed, text, loss=loss):
            return -1.0 if text == printed else -1.0 - (loss if text.startswith("黑椒田雞麵") else math.inf)
        items = [menu.ParsedItem("黑椒田維趣", None)]
        lexicon.correct(items, [None], reading, _Recogniser(score, nearly), kb, script="zh-Hant")
        assert items[0].name == name
    # a Latin menu's names are never put in doubt
    items = [menu.ParsedItem("黑椒田維趣", None)]
    lexicon.correct(items, [None], reading, _Recogniser(lambda p, t: 0.0 if t in (p, "黑椒田雞麵 170") else -math.inf,
                                                        nearly), kb, script="latin")
    assert items[0].name == "黑椒田維趣"


def test_two_doubtful_glyphs_side_by_side_are_tried_together_and_fewer_doubts_left_rank_first():
    from common.engines.local import hanwords

    known = dishes.load().cjk_names()
    # neither 餛 beside 純 nor 飩 beside 銀 makes a word; 餛飩 does
    fixes = hanwords.fixes("銀純湯", [0, 1], {0: ["餛"], 1: ["飩"]}, known)
    assert "餛飩湯" in [f.name for f in fixes]
    doubts = [f.doubts for f in fixes]
    assert doubts == sorted(doubts)
    # a Simplified menu is offered no Traditional glyph, a Traditional one no glyph Big5 lacks
    assert "餛飩湯" not in [f.name for f in hanwords.fixes("銀純湯", [0, 1], {0: ["餛"], 1: ["飩"]}, known, "zh-Hans")]
    # a noisy string with five glyphs in doubt is no misread name: nothing is tried
    assert hanwords.doubtful("鑫淼犇骉羴", known) == []


def test_the_frames_runner_ups_are_found_for_each_glyph_even_where_they_read_another():
    import numpy as np

    from common.engines.local.ocr import Frames

    chars = ["blank", "田", "維", "雞", "麵", "趣", "題", " "]
    index = {c: i for i, c in enumerate(chars)}

    def frames(spec):  # one (likeliest, runner-up or None) a frame
        probs = np.full((len(spec), len(chars)), 0.001)
        for t, (best, second) in enumerate(spec):
            probs[t, index[best]] = 0.8
            if second:
                probs[t, index[second]] = 0.15
        return Frames(probs, index, chars)

    # 田 and 維 side by side with no blank between: 田's frame is not 維's runner-up
    read = frames([("田", None), ("維", "雞"), ("維", "雞"), ("blank", None), ("題", "麵"), ("blank", None)])
    near = read.nearly("田維趣 12", {0, 1, 2}, 2)
    assert near[1][0] == "雞"  # (田 would be, were 田's peak frame counted as 維's)
    assert near[2][:2] == ["題", "麵"]  # OCR printed 趣 where these frames read 題: aligned all the same
    assert set(read.nearly("田維趣", {1}, 2)) == {1} and read.nearly("", {0}, 2) == {}
    # these frames read a space OCR's text has not (OCR drops those between CJK glyphs): still aligned
    spaced = frames([("田", None), ("blank", None), (" ", None), ("維", "雞"), ("blank", None), ("題", "麵")])
    assert spaced.nearly("田維趣", {1}, 2)[1][0] == "雞"


def test_a_fault_finding_doubtful_glyphs_costs_that_fix_only_and_a_known_spelling_still_wins(monkeypatch):
    from common.engines.local import hanwords, lexicon
    from common.engines.local.ocr import Reading

    def broken(*_):
        raise OSError("word list unreadable")

    monkeypatch.setattr(hanwords, "doubtful", broken)
    items = [menu.ParsedItem("蝦绞", None)]
    reading = Reading([_box("蝦绞 71元", 0, 0, 200, 50)], 0, 300.0, image=object())
    recogniser = _Recogniser(lambda printed, text: -2.0 if text == printed else -3.0)
    assert lexicon.correct(items, [None], reading, recogniser, dishes.load(), script="zh-Hant") == [0]
    assert items[0].name == "蝦餃"


def test_a_glyph_with_no_han_glyph_beside_it_is_never_in_doubt_and_a_missing_word_list_file_fails_start_up(
        monkeypatch, tmp_path):
    from common.engines.local import check_prerequisites, hanwords

    known = dishes.load().cjk_names()
    assert hanwords.doubtful("XO田 (S)", known) == []
    monkeypatch.setattr(hanwords, "dictionary_path", lambda: tmp_path / "dict.txt")  # jieba there, its list not
    with pytest.raises(ConfigError, match="jieba's word list"):
        check_prerequisites()


@pytest.mark.parametrize("line", ["中華涼麵 130元 170元", "腸粉 55元 75元", "烤花魚 35元 45元"])
def test_a_dish_priced_in_two_sizes_stays_one_row_and_keeps_both_prices(line):
    items = menu.parse([Line(line, 40, 50, 100), Line("Cold ramen salad", 30, 55, 150)]).items
    assert [i.name for i in items][:1] == [line.split()[0]]
    assert items[0].price.text == line.split(" ", 1)[1]
    assert all(i.price is None for i in items[1:])  # the English line under it takes no price
