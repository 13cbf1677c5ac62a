"""What a generated menu prints: dish names (known to the knowledge base and invented), descriptions,
prices in a page's style, headings, and the text around a menu that is not a dish (addresses, hours,
notices). Every draw comes from the page's own seeded random source.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Dish:
    """One line a reader orders from; `optional` lines (a set menu's title) may be read as an item or not."""
    name: str
    price: str = ""                   # as printed; "" for none
    amount: Optional[float] = None    # the lowest amount printed; None when there is no price
    desc: str = ""
    aliases: tuple = ()               # another printed name of the same dish (a bilingual menu's English)
    optional: bool = False
    labels: tuple = ()                # a price-column page's prices, one per column
    dish_id: Optional[str] = field(default=None, repr=False)


ADJ = {"en": ["Crispy", "Smoked", "Honey", "Garlic", "Lemongrass", "Sweet Chili", "Charred", "Braised", "Golden",
              "Country", "Harbour", "Garden", "Firecracker", "Black Pepper", "Sesame", "Ginger", "Coconut", "Volcano"],
       "zh": ["招牌", "秘製", "香辣", "蒜蓉", "鐵板", "砂鍋", "乾煸", "避風塘", "宮廷", "農家", "黑椒", "三杯", "剁椒",
              "椒鹽", "沙茶", "XO醬"],
       "ja": ["特製", "自家製", "炙り", "季節の", "厚切り", "本日の", "名物", "極上", "塩", "味噌"]}
NOUN = {"en": ["Chicken", "Beef", "Pork Belly", "Tofu", "Prawns", "Salmon", "Duck", "Lamb", "Mushroom", "Eggplant",
               "Squid", "Brisket", "Scallops", "Cauliflower", "Short Rib"],
        "zh": ["牛肉", "雞丁", "排骨", "魚片", "豆腐", "蝦仁", "茄子", "五花肉", "鴨胸", "羊肉", "花枝", "牛腩", "田雞"],
        "ja": ["鶏", "豚バラ", "海老", "鮭", "茄子", "牛タン", "ホタテ", "穴子", "烏賊"]}
FORM = {"en": ["", "", "Bowl", "Skewers", "Salad", "Wrap", "Stir Fry", "Platter", "Burger", "Tacos", "Noodles",
               "Curry", "Sliders", "Fried Rice"],
        "zh": ["", "", "煲", "飯", "麵", "燴飯", "炒麵", "拼盤"],
        "ja": ["焼き", "揚げ", "煮込み", "串", "天ぷら", "丼", "ポン酢"]}
INGREDIENT = {"en": ["garlic", "ginger", "lime", "basil", "coriander", "chilli", "spring onion", "peanuts", "cabbage",
                     "jasmine rice", "cucumber", "soy glaze", "pickled onion", "mint", "sesame", "crispy shallots"],
              "zh": ["蔥", "薑", "蒜", "辣椒", "花椒", "香菜", "醬油", "豆瓣", "芹菜", "洋蔥", "青椒"],
              "ja": ["大根おろし", "ポン酢", "柚子胡椒", "生姜", "ねぎ", "山椒", "大葉", "味噌"]}
METHOD = {"en": ["Wok tossed with", "Slow cooked with", "Grilled and served with", "Stir fried with",
                 "Served with", "Topped with", "Tossed in"],
          "zh": ["慢火燉煮", "大火快炒", "秘製醬汁", "香酥可口", "鮮嫩多汁", "古早味"],
          "ja": ["で仕上げました", "と一緒にどうぞ", "を添えて"]}
HEADINGS = {"en": ["Starters", "Soups", "Salads", "Mains", "Noodles & Rice", "Thai Dishes", "Classic Curry",
                   "From the Wok", "From the Grill", "Build Your Own", "Add Ons", "Sides", "Kids Meals", "Desserts",
                   "Drinks", "Small Plates", "Chef's Specials", "Sandwiches", "Burgers", "Seafood", "Vegetarian",
                   "Appetizers", "Entrees", "Sharing Plates", "Bowls", "Beverages", "Sweet Treats"],
            "zh": ["招牌推介", "冷盤", "熱炒", "鐵板類", "砂鍋類", "湯品", "麵食", "飯類", "點心", "甜品", "飲品",
                   "海鮮", "素食", "小吃", "主廚推薦", "燒臘", "火鍋"],
            "ja": ["おつまみ", "焼き物", "揚げ物", "刺身", "ご飯もの", "麺類", "デザート", "お飲み物", "一品料理",
                   "本日のおすすめ", "鍋物", "サラダ"]}
TITLES = {"en": ["Golden Lotus", "The Burger Joint", "Bangkok Street Kitchen", "Harbour & Vine", "Mama's Kitchen",
                 "Blue Door Bistro", "Lucky Bamboo", "The Green Fork", "Saffron House", "Oak & Ember"],
          "zh": ["金龍酒家", "老街小館", "川味坊", "福滿樓", "鼎香園", "阿嬤的廚房", "好味道小吃", "海港餐廳"],
          "ja": ["居酒屋 たぬき", "らーめん 一番", "食堂 さくら", "炉端 かがり火", "和み処 花"]}
TAGLINES = {"en": ["Authentic Thai Cuisine", "Fresh · Local · Handmade", "Since 1987", "Family owned and operated",
                   "Dine in · Take away · Delivery"],
            "zh": ["正宗川菜", "傳承三代好味道", "歡迎外帶", "精緻台菜"], "ja": ["創業昭和四十年", "お品書き", "季節の味をどうぞ"]}
NOTICES = {"en": ["123 Main Street, Springfield", "Tel: (555) 014-2233", "Open daily 11am - 10pm",
                  "www.goldenlotus-kitchen.com", "Please inform our staff of any allergies.",
                  "Consuming raw or undercooked meats may increase your risk of foodborne illness.",
                  "A 10% service charge will be added to parties of 6 or more.", "All prices include VAT.",
                  "Follow us @bluedoorbistro", "Mon - Sat 5pm to 11pm, Sunday closed"],
           "zh": ["地址：台北市中山區南京東路一段123號", "電話：02-2345-6789", "營業時間：11:00-21:00",
                  "以上價格均另加一成服務費", "本店不收信用卡", "如有食物過敏請告知服務人員", "歡迎預約訂位"],
           "ja": ["営業時間 17:00〜23:00", "TEL 03-1234-5678", "表示価格は税込です", "定休日 毎週月曜日",
                  "アレルギーのある方はお申し出ください"]}
DRINKS = {"en": ["Thai Iced Tea", "Fresh Lemonade", "Iced Coffee", "Coconut Water", "Ginger Ale", "Mango Lassi"],
          "zh": ["珍珠奶茶", "凍檸茶", "酸梅湯", "豆漿", "冬瓜茶"], "ja": ["生ビール", "ハイボール", "烏龍茶", "日本酒"]}
SET_TITLES = {"en": ["Set Menu A", "Lunch Set", "Dinner for Two", "Banquet B", "Chef's Tasting Menu"],
              "zh": ["豪華套餐", "商業午餐", "雙人套餐", "宴席菜單", "合家歡套餐"], "ja": ["おまかせコース", "ランチセット", "宴会コース"]}


def _kb_names(lang: str) -> list[tuple[str, str]]:
    from common.engines.local.dishes import load

    out = []
    for d in load().dishes:
        if lang == "en":
            name = next((x for x in d.names if x.isascii() and 3 < len(x) <= 26 and "(" not in x), "")
            name = name.title() if name else ""
        elif lang == "zh":
            name = d.name["zh_tw"] if d.cuisine in ("zh", "th", "ko", "ja") and len(d.name["zh_tw"]) <= 7 else ""
        else:
            name = d.name.get("ja", "") if d.cuisine == "ja" and len(d.name.get("ja", "")) <= 9 else ""
        if name and "/" not in name and "(" not in name:
            out.append((name, d.id))
    return out


def invented(lang: str, rnd: random.Random) -> str:
    sep = " " if lang == "en" else ""
    if lang == "ja":
        return f"{rnd.choice(ADJ[lang])}{rnd.choice(NOUN[lang])}{rnd.choice(FORM[lang])}"
    return sep.join(x for x in (rnd.choice(ADJ[lang]), rnd.choice(NOUN[lang]), rnd.choice(FORM[lang])) if x)


class Unfillable(ValueError):
    """A page asks for more different dish names than its language has."""


class Source:
    """A page's dishes: two thirds from the knowledge base (any cuisine), a third invented; never one twice."""

    def __init__(self, lang: str, rnd: random.Random, caps: bool = False) -> None:
        from common.engines.local.dishes import key

        self.lang, self.rnd, self.caps, self._key = lang, rnd, caps, key
        self.known = _kb_names(lang)
        rnd.shuffle(self.known)
        self.seen: set[str] = set()

    def name(self) -> tuple[str, Optional[str]]:
        for _ in range(50):
            if self.rnd.random() < 0.67 and self.known:
                name, dish_id = self.known.pop()
            else:
                name, dish_id = invented(self.lang, self.rnd), None
            name = name.upper() if self.caps and self.lang == "en" else name
            k = self._key(name)
            if k not in self.seen and len(k) >= 2:
                self.seen.add(k)
                return name, dish_id
        raise Unfillable(f"no fresh {self.lang} dish name left")

    def desc(self) -> str:
        r, lang = self.rnd, self.lang
        ing = r.sample(INGREDIENT[lang], 3)
        if lang == "en":
            return f"{r.choice(METHOD[lang])} {ing[0]}, {ing[1]} and {ing[2]}"
        if lang == "zh":
            return f"{ing[0]}、{ing[1]}、{ing[2]}，{r.choice(METHOD[lang])}"
        return f"{ing[0]}と{ing[1]}{r.choice(METHOD[lang])}"


@dataclass
class PriceStyle:
    """How one page prints its prices."""
    lang: str
    form: str        # dollar | bare | cents | yuan | nt | yen | en-yen | euro | pound
    rnd: random.Random

    @classmethod
    def draw(cls, lang: str, rnd: random.Random) -> "PriceStyle":
        forms = {"en": ["dollar", "bare", "cents", "dollar-cents", "euro", "pound"],
                 "zh": ["yuan", "nt", "bare", "dollar"], "ja": ["yen", "en-yen", "bare"]}[lang]
        return cls(lang, rnd.choice(forms), rnd)

    def amount(self) -> float:
        r = self.rnd
        if self.lang == "ja":
            return float(r.randint(28, 198) * 10)
        if self.lang == "zh":
            return float(r.randint(3, 68) * 10 if self.form in ("nt", "bare") else r.randint(12, 168))
        if "cents" in self.form:
            return r.randint(4, 32) + r.choice([0.5, 0.95, 0.25, 0.75, 0.0])
        return float(r.randint(4, 38))

    def text(self, a: float) -> str:
        whole = f"{a:,.0f}"
        return {"dollar": f"${whole}", "bare": whole, "cents": f"{a:.2f}", "dollar-cents": f"${a:.2f}",
                "euro": f"{a:.2f} €".replace(".", ","), "pound": f"£{a:.2f}", "yuan": f"{whole}元",
                "nt": f"NT${whole}", "yen": f"{whole}円", "en-yen": f"¥{whole}"}[self.form]
