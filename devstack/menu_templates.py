"""Menu layouts as real menus set them, filled with dishes drawn at random: the offline engine's evaluation.

Each template lays out its dishes the way a kind of real menu does (stacked and centred, price above
the name, order sheets, a far price column, boxed sections, photo tiles, several columns, chalkboards,
script and handwritten fonts, no prices, long descriptions, prices by portion). What a template prints
comes from a seeded draw: names from the knowledge base and names it does not know, prices in the
template's style, so the layout, not a fixed list, is what is measured. `photographed` turns a clean
page into a phone photo: perspective, page curl, glare, shadow, blur, low light, JPEG.

Fonts are Debian's (fonts-noto-cjk, fonts-lobster, fonts-dancingscript, fonts-comic-neue,
fonts-arphic-ukai); a template whose font is missing is skipped with a message.
"""
from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from devstack.menu_photos import Dish

SIZE = (1500, 2000)
FONTS = {
    "sans": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "bold": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "serif": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "script": "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
    "decorative": "/usr/share/fonts/opentype/lobster/lobster.otf",
    "hand": "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
    "kai": "/usr/share/fonts/truetype/arphic/ukai.ttc",
    # the held-out layouts' faces (fonts-dejavu-core, fonts-dejavu-extra)
    "dejavu-serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "dejavu-serif-bold": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "dejavu-serif-italic": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "dejavu-sans-bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "dejavu-cond": "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "dejavu-cond-bold": "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
}
FONT_PACKAGE = {"sans": "fonts-noto-cjk", "bold": "fonts-noto-cjk", "serif": "fonts-noto-cjk",
                "script": "fonts-dancingscript", "decorative": "fonts-lobster", "hand": "fonts-comic-neue",
                "kai": "fonts-arphic-ukai", "dejavu-serif": "fonts-dejavu-core",
                "dejavu-serif-bold": "fonts-dejavu-core", "dejavu-serif-italic": "fonts-dejavu-extra",
                "dejavu-sans": "fonts-dejavu-core", "dejavu-sans-bold": "fonts-dejavu-core",
                "dejavu-cond": "fonts-dejavu-extra", "dejavu-cond-bold": "fonts-dejavu-extra"}
# Names no knowledge base holds: a menu is more than the dishes a list knows.
INVENTED = {
    "en": ["Grandma's Sunday Roast", "Harbour Fish Stew", "Smoky Maple Wings", "Garden Harvest Bowl",
           "Chef's Mushroom Toast", "Golden Lentil Cakes", "Lemon Herb Chicken", "Spiced Pumpkin Curry",
           "Charred Corn Salad", "Honey Glazed Pork Belly", "Wild Rice Pilaf", "Crispy Chilli Beef"],
    "zh": ["老北京炸醬拌麵", "秘製紅燒牛腩", "鄉村小炒肉", "金沙南瓜", "香辣烤魚", "蒜蓉粉絲蒸扇貝",
           "川味口水雞", "酸菜魚片", "乾煸四季豆", "農家一碗香", "家常豆腐煲", "椒鹽排骨"],
}
DESCRIPTIONS = ["Slow cooked with onions, garlic and warm spices", "Served with rice and a fresh salad",
                "Tender pieces in a rich, creamy sauce", "A house favourite, mildly spiced",
                "Finished with fresh herbs and lemon", "With toasted bread and a green chutney",
                "Charred over the grill, served with dipping sauce", "A generous portion to share"]
LONG_DESCRIPTIONS = ["Marinated overnight in yoghurt, ginger and garlic, roasted in the clay oven",
                     "and served sizzling with onions, lemon and a cooling mint chutney on the side."]


@dataclass
class Template:
    key: str
    language: str                       # en | zh: the script its dishes are printed in
    font: str                           # the face names and prices are set in
    draw: Callable                      # (draw, dishes, fonts, rnd) -> None
    count: int = 12                     # dishes per page
    priced: bool = True
    dark: bool = False                  # white on a dark board
    price_style: str = "dollar"         # dollar | decorated | bracket | dot | yuan | variants
    note: str = ""
    pick: Callable | None = None        # (template, rnd) -> dishes; None: `_pick`
    fonts: tuple = ()                   # further faces the layout sets text in


def font_missing(t: Template) -> str | None:
    """A message naming the Debian package when the template's font is not installed, else None."""
    for face in {t.font, "sans", "bold", *t.fonts}:
        if not Path(FONTS[face]).is_file():
            return f"{t.key}: skipped, font {FONTS[face]} missing (apt-get install {FONT_PACKAGE[face]})"
    return None


def _font(face: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(FONTS[face], size)


def _pick(language: str, rnd: random.Random, n: int, priced: bool, style: str) -> list[Dish]:
    """n dishes: two thirds from the knowledge base (any cuisine, in the template's script), the rest invented."""
    from common.engines.local.dishes import load

    script_zh = language == "zh"
    pool = []
    for d in load().dishes:
        name = d.name["zh_tw"] if script_zh else next((x for x in d.names if x.isascii() and len(x) > 3), "")
        if name and (not script_zh or d.cuisine in ("zh", "ja", "ko", "th") and len(name) <= 6):
            pool.append((name if script_zh else name.title(), d.id))
    rnd.shuffle(pool)
    known = pool[: n - min(n // 3, len(INVENTED[language]))]
    invented = [(x, None) for x in rnd.sample(INVENTED[language], min(n // 3, len(INVENTED[language])))]
    picked = known + invented
    rnd.shuffle(picked)
    dishes = []
    for name, dish_id in picked:
        amount = float(rnd.randint(4, 38) if not script_zh else rnd.randint(8, 98))
        price = {"dollar": f"${amount:.0f}", "decorated": f"-${amount:.0f}-", "bracket": f"({amount:.0f})",
                 "dot": f"{amount:.0f}.", "yuan": f"{amount:.0f}元", "variants": f"${amount:.0f}"}[style]
        dishes.append(Dish(name, price if priced else "", amount if priced else None, dish_id,
                           rnd.choice(DESCRIPTIONS) if not script_zh else ""))
    return dishes


def _centre(draw, text: str, font, y: float, fill, x0: float = 0, x1: float = SIZE[0]) -> float:
    w = draw.textlength(text, font=font)
    draw.text((x0 + (x1 - x0 - w) / 2, y), text, font=font, fill=fill)
    return y + font.size * 1.25


INK, SOFT, RED = (25, 25, 25), (95, 90, 85), (120, 30, 20)


# -- layouts ----------------------------------------------------------------------------------------
def _stacked(draw, dishes, t, rnd, price_first: bool = False) -> None:
    """Centred: name, price alone on the next line (or the line before), then a description."""
    name_f, price_f, desc_f = _font(t.font, 50), _font("sans", 40), _font("sans", 30)
    y = _centre(draw, "House of Spice" if t.language == "en" else "家常菜館", _font("bold", 80), 70, RED) + 30
    ink = (240, 240, 235) if t.dark else INK
    for n, d in enumerate(dishes):
        variants = t.price_style == "decorated" and n % 4 == 3 and d.amount
        price = (f"-Chicken- ${d.amount:.0f} - Lamb- ${d.amount + 5:.0f}-" if variants else d.price)
        if price_first and price:
            y = _centre(draw, price, price_f, y, ink)
        y = _centre(draw, d.name, name_f, y, ink)
        if not price_first and price:
            y = _centre(draw, price, price_f, y, ink)
        if d.desc:
            y = _centre(draw, d.desc, desc_f, y, (200, 200, 190) if t.dark else SOFT)
        y += 34


def _stacked_price_first(draw, dishes, t, rnd) -> None:
    _stacked(draw, dishes, t, rnd, price_first=True)


def _columns(draw, dishes, t, rnd, n_cols: int = 3, numbered: bool = False, ticks: bool = False) -> None:
    """Rows of "name price" in several columns (an order sheet when numbered, with tick boxes)."""
    f = _font(t.font, 32 if n_cols == 3 else 44)
    _centre(draw, "點菜單" if t.language == "zh" else "MENU", _font("bold", 76), 70, RED)
    col_w = (SIZE[0] - 120) / n_cols
    per_col = math.ceil(len(dishes) / n_cols)
    for i, d in enumerate(dishes):
        c, r = divmod(i, per_col)
        x, y = 60 + c * col_w, 240 + r * 90
        label = f"{101 + i} {d.name}" if numbered else d.name
        draw.text((x, y), label, font=f, fill=INK)
        price = d.price + ("/份" if numbered and i % 3 == 1 else "")
        pw = draw.textlength(price, font=f)
        px = x + col_w - pw - (70 if ticks else 30)
        draw.text((px, y), price, font=f, fill=INK)
        if ticks:
            draw.rectangle((x + col_w - 58, y + 6, x + col_w - 28, y + 36), outline=INK, width=3)


def _order_sheet(draw, dishes, t, rnd) -> None:
    _columns(draw, dishes, t, rnd, 3, numbered=True, ticks=True)


def _two_columns(draw, dishes, t, rnd) -> None:
    _columns(draw, dishes, t, rnd, 2)


def _far_prices(draw, dishes, t, rnd) -> None:
    """Names on the left, their prices alone in a column at the far right, no leaders."""
    name_f, desc_f = _font(t.font, 48), _font("sans", 30)
    _centre(draw, "THE CORNER KITCHEN", _font("bold", 72), 70, RED)
    y = 240
    for d in dishes:
        draw.text((110, y), d.name, font=name_f, fill=INK)
        if d.price:
            draw.text((SIZE[0] - 110 - draw.textlength(d.price, font=name_f), y), d.price, font=name_f, fill=INK)
        if d.desc and t.key == "long-descriptions":
            for k, line in enumerate(LONG_DESCRIPTIONS):
                draw.text((130, y + 66 + 40 * k), line, font=desc_f, fill=SOFT)
            y += 80
        elif d.desc:
            draw.text((130, y + 64), d.desc, font=desc_f, fill=SOFT)
        y += 130


def _boxed(draw, dishes, t, rnd) -> None:
    """Sections in ruled boxes, two boxes a row."""
    f, hf = _font(t.font, 42), _font("bold", 50)
    _centre(draw, "BISTRO MENU", _font("bold", 76), 60, RED)
    sections = ["STARTERS", "MAINS", "SIDES", "DESSERTS"]
    per = math.ceil(len(dishes) / 4)
    for s, title in enumerate(sections):
        x0, y0 = 70 + (s % 2) * 700, 220 + (s // 2) * 880
        draw.rectangle((x0, y0, x0 + 660, y0 + 820), outline=RED, width=6)
        draw.text((x0 + 40, y0 + 30), title, font=hf, fill=RED)
        for r, d in enumerate(dishes[s * per:(s + 1) * per]):
            y = y0 + 140 + r * 150
            draw.text((x0 + 40, y), d.name, font=f, fill=INK)
            if d.price:
                draw.text((x0 + 620 - draw.textlength(d.price, font=f), y + 55), d.price, font=f, fill=INK)


def _tiles(draw, dishes, t, rnd) -> None:
    """A grid of dish photos, each with its caption and price under it."""
    f = _font(t.font, 38)
    _centre(draw, "Our Favourites", _font("bold", 76), 50, RED)
    for i, d in enumerate(dishes[:9]):
        c, r = i % 3, i // 3
        x, y = 70 + c * 470, 210 + r * 590
        hue = rnd.randint(0, 2)
        for k in range(0, 400, 8):  # a food-coloured photo with texture, not text
            shade = tuple(int(v) for v in ((180 - k // 6, 110 - k // 8, 60), (90, 140 - k // 7, 60),
                                           (200, 150 - k // 5, 90))[hue])
            draw.rectangle((x, y + k, x + 420, y + k + 8), fill=shade)
        for _ in range(40):
            cx, cy, rr = x + rnd.randint(20, 400), y + rnd.randint(20, 380), rnd.randint(8, 30)
            draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=(rnd.randint(120, 240), rnd.randint(60, 200), 40))
        _centre(draw, d.name, f, y + 420, INK, x, x + 420)
        if d.price:
            _centre(draw, d.price, f, y + 472, RED, x, x + 420)


def _variants(draw, dishes, t, rnd) -> None:
    """Prices by portion or protein on the dish's own line: "Small $8 / Large $12"."""
    f = _font(t.font, 44)
    _centre(draw, "NOODLE BAR", _font("bold", 76), 70, RED)
    for i, d in enumerate(dishes):
        y = 240 + i * 130
        a = d.amount or 10
        price = (f"Small ${a:.0f} / Large ${a + 4:.0f}" if i % 2 else f"Chicken ${a:.0f}  Beef ${a + 3:.0f}")
        d.price = price
        draw.text((100, y), d.name, font=f, fill=INK)
        draw.text((SIZE[0] - 100 - draw.textlength(price, font=f), y), price, font=f, fill=INK)


def _list(draw, dishes, t, rnd) -> None:
    """One column, "name ...... price" or name alone (a price-less menu), descriptions under the name."""
    name_f, desc_f = _font(t.font, 54), _font("sans", 30)
    ink = (240, 240, 232) if t.dark else INK
    _centre(draw, "Today's Board" if t.dark else "Seasonal Menu", _font(t.font, 86), 60,
            (250, 220, 120) if t.dark else RED)
    y = 230
    for d in dishes:
        draw.text((120, y), d.name, font=name_f, fill=ink)
        if d.price:
            draw.text((SIZE[0] - 120 - draw.textlength(d.price, font=name_f), y), d.price, font=name_f, fill=ink)
        if d.desc and not t.dark:
            draw.text((150, y + 72), d.desc, font=desc_f, fill=SOFT)
            y += 40
        y += 106  # twelve names with descriptions end above the page's foot (2000 px)


TEMPLATES = [
    Template("stacked-centred", "en", "serif", _stacked, 9, price_style="decorated",
             note="name / -$18- / description, centred; some prices by protein"),
    Template("price-above", "en", "sans", _stacked_price_first, 9, note="price on the line above its name"),
    Template("order-sheet", "zh", "sans", _order_sheet, 45, price_style="yuan",
             note="three columns of numbered rows, 元/份, tick boxes"),
    Template("far-price-column", "en", "sans", _far_prices, 13, price_style="dot", note="prices far right, '18.'"),
    Template("boxed-sections", "en", "sans", _boxed, 16, price_style="bracket", note="ruled boxes, (12) under name"),
    Template("photo-tiles", "en", "sans", _tiles, 9, note="dish photos with captions"),
    Template("two-column-zh", "zh", "sans", _two_columns, 30, price_style="yuan", note="two columns, 元"),
    Template("chalkboard", "en", "hand", _list, 12, dark=True, note="white handwriting-style font on a dark board"),
    Template("script-font", "en", "script", _list, 12, note="Dancing Script names and prices"),
    Template("decorative-font", "en", "decorative", _list, 12, note="Lobster display face"),
    Template("kai-zh", "zh", "kai", _columns, 24, price_style="yuan", note="calligraphic Kai face, three columns"),
    Template("price-less", "en", "serif", _list, 12, priced=False, note="no prices at all"),
    Template("long-descriptions", "en", "serif", _far_prices, 8, note="two-line descriptions"),
    Template("variants", "en", "sans", _variants, 12, note="Small/Large and Chicken/Beef on one line"),
]


def render(t: Template, seed: int):
    """(clean page, the dishes printed on it) for one seeded draw of the template."""
    from PIL import Image, ImageDraw

    rnd = random.Random(f"{t.key}-{seed}")
    dishes = t.pick(t, rnd) if t.pick else _pick(t.language, rnd, t.count, t.priced, t.price_style)
    bg = (38, 44, 40) if t.dark else (248, 243, 230)
    img = Image.new("RGB", SIZE, bg)
    t.draw(ImageDraw.Draw(img), dishes, t, rnd)  # a dish's amount stays its lowest option's
    return img, dishes


def photographed(img, seed: int):
    """The page as a phone sees it: tilt and perspective, page curl, glare, a shadow, blur, low light, JPEG."""
    import cv2
    import numpy as np
    from PIL import Image

    rnd = random.Random(seed)
    a = np.asarray(img).astype(np.float32)
    h, w = a.shape[:2]
    # page curl: rows bend by a sine across the width
    amp = rnd.uniform(4, 14)
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_y = yy + amp * np.sin(np.pi * xx / w + rnd.uniform(-0.5, 0.5))
    a = cv2.remap(a, xx, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # perspective: the phone held at an angle
    d = 0.05
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[rnd.uniform(0, d) * w, rnd.uniform(0, d) * h], [w - rnd.uniform(0, d) * w, rnd.uniform(0, d) * h],
                      [w - rnd.uniform(0, d) * w, h - rnd.uniform(0, d) * h], [rnd.uniform(0, d) * w, h - rnd.uniform(0, d) * h]])
    a = cv2.warpPerspective(a, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(70, 60, 50))
    # a shadow across one side, glare in a spot, the room's light level
    side = rnd.choice([xx / w, 1 - xx / w, yy / h])
    a *= (1 - 0.35 * np.clip((side - rnd.uniform(0.4, 0.7)) * 4, 0, 1))[..., None]
    gx, gy, gr = rnd.uniform(0.2, 0.8) * w, rnd.uniform(0.2, 0.8) * h, rnd.uniform(0.08, 0.16) * w
    a += (110 * np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * gr ** 2))))[..., None]
    a *= rnd.uniform(0.55, 0.95)
    a = cv2.GaussianBlur(a, (0, 0), rnd.uniform(0.8, 1.8))
    a += np.random.default_rng(seed).normal(0, 6, a.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=rnd.randint(55, 80))
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def at_an_angle(img, seed: int):
    """The page photographed from aside, as a board on a wall or a menu across the table is: one side
    14 % farther away, turned up to 6 degrees, a little blur, JPEG. Harsher than `photographed`."""
    import cv2
    import numpy as np
    from PIL import Image

    rnd = random.Random(seed * 7 + 1)
    a = np.asarray(img).astype(np.float32)
    h, w = a.shape[:2]
    d = 0.14
    far = rnd.choice(["left", "right", "top"])
    dst = {"left": [[0, d * h], [w, 0], [w, h], [0, h - d * h]],
           "right": [[0, 0], [w, d * h], [w, h - d * h], [0, h]],
           "top": [[d * w, 0], [w - d * w, 0], [w, h], [0, h]]}[far]
    tilt = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(dst))
    turn = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), rnd.uniform(-6, 6), 0.92), [0, 0, 1]])
    a = cv2.warpPerspective(a, turn @ tilt, (w, h), borderValue=(70, 60, 50))
    a = cv2.GaussianBlur(a, (0, 0), 1.0)
    out = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=75)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


# -- held out ---------------------------------------------------------------------------------------
# Layouts the offline engine was never tuned on, to see whether its layout heuristics generalise
# (bench/offline_templates.py --holdout). Each draws its own dishes (two thirds known, a third
# invented, as `_pick`) in the style its kind of menu prints them, and every line is checked to lie
# on the page, so every dish returned is fully visible.
HOLDOUT_INVENTED = {
    "it": ["Tagliatelle Della Nonna", "Risotto Al Limone", "Pappardelle Al Cinghiale", "Polpette Di Mamma",
           "Orecchiette Pugliesi", "Branzino Al Forno", "Pollo Alla Diavola", "Torta Della Casa"],
    "long": ["Grilled Atlantic Salmon with Lemon Butter Sauce", "Pan Seared Sea Scallops over Sweet Corn Purée",
             "Braised Short Rib with Creamy Polenta and Gremolata", "Twelve Hour Smoked Brisket on Toasted Brioche",
             "Buttermilk Fried Chicken with Hot Honey and Slaw", "Roasted Cauliflower Steak with Romesco and Almonds",
             "Slow Roasted Pork Shoulder with Apple Cider Jus", "Wild Mushroom Ravioli in Brown Butter and Sage"],
    "drinks": ["Honey Lavender Latte", "Maple Cinnamon Cold Brew", "Brown Butter Mocha", "Rose Cardamom Chai",
               "Toasted Coconut Cold Foam", "Blood Orange Tonic", "Ginger Turmeric Latte", "Hibiscus Cooler"],
    "ja": ["鶏皮ぽん酢", "自家製さつま揚げ", "海老しんじょ揚げ", "厚切りハムカツ", "長芋の磯辺揚げ", "たぬき豆腐",
           "炙りしめ鯖", "ホタルイカ沖漬け", "本日の鮮魚", "きのこのバター焼き", "明太子だし巻き", "鶏せせり塩焼き"],
    "zh-en": [("老北京炸醬拌麵", "Old Beijing Noodles in Bean Sauce"), ("秘製紅燒牛腩", "House Braised Beef Brisket"),
              ("鄉村小炒肉", "Village-Style Stir-Fried Pork"), ("金沙南瓜", "Golden Salted Egg Pumpkin"),
              ("香辣烤魚", "Spicy Grilled Whole Fish"), ("蒜蓉粉絲蒸扇貝", "Steamed Scallops, Garlic & Vermicelli"),
              ("川味口水雞", "Sichuan Mouth-Watering Chicken"), ("酸菜魚片", "Fish Fillet with Pickled Greens"),
              ("農家一碗香", "Farmhouse Pork and Egg Stir-Fry"), ("家常豆腐煲", "Home-Style Tofu Casserole")],
}
IT_DESCRIPTIONS = ["guanciale, pecorino romano, egg yolk, black pepper", "san marzano tomato, fior di latte, basil",
                   "slow-cooked beef and pork ragù, parmigiano", "clams, garlic, white wine, parsley, chilli",
                   "wild mushrooms, thyme, aged parmigiano, a drop of truffle oil", "ricotta, spinach, sage butter",
                   "burrata, heirloom tomatoes, basil oil, sea salt", "lemon, capers, rocket and shaved fennel",
                   "mascarpone, espresso-soaked savoiardi, cocoa", "crispy pancetta, peas, cream, parmigiano",
                   "anchovies, olives, capers, tomato", "pistachio pesto, stracciatella, lemon zest"]
LONG_SIDES = ["with Lemon Butter Sauce", "with Roasted Garlic Mash and Greens", "and Hand-Cut Fries",
              "over Creamy Parmesan Polenta", "on Toasted Sourdough with Aioli", "with Charred Broccolini",
              "and Seasonal Vegetables", "with Sweet Potato Purée"]


def _en_name(d) -> str:
    return next((x for x in d.names if x.isascii() and len(x) > 3), "").title()


def _kb(name_of: Callable, keep: Callable) -> list[tuple]:
    """(name, dish id) of the knowledge base's dishes that `keep` keeps, named by `name_of`."""
    from common.engines.local.dishes import load

    out = []
    for d in load().dishes:
        name = name_of(d)
        if name and "(" not in name and "/" not in name and keep(d, name):
            out.append((name, d.id))
    return out


def _names(rnd: random.Random, n: int, known: list[tuple], invented: list) -> list[tuple]:
    """n (name, dish id) pairs, two thirds known and a third invented, no two read alike."""
    from common.engines.local.dishes import key

    rnd.shuffle(known)
    made = [(x, None) for x in rnd.sample(invented, min(n // 3, len(invented)))]
    seen, picked = {key(str(x)) for x, _ in made}, []
    for name, dish_id in known:
        if len(picked) == n - len(made):
            break
        if key(name) not in seen:
            seen.add(key(name))
            picked.append((name, dish_id))
    picked += made
    rnd.shuffle(picked)
    return picked


def _put(draw, xy, text: str, font, fill) -> float:
    """Draws `text` at xy, refusing anything not wholly on the page (with room for the photo's curl); its right edge."""
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=font)
    if x0 < 30 or y0 < 30 or x1 > SIZE[0] - 30 or y1 > SIZE[1] - 30:
        raise ValueError(f"off the page: {text!r} at {xy} ({x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f})")
    draw.text(xy, text, font=font, fill=fill)
    return x1


def _put_right(draw, x1: float, y: float, text: str, font, fill) -> float:
    """Right-aligned at x1; its left edge."""
    x = x1 - draw.textlength(text, font=font)
    _put(draw, (x, y), text, font, fill)
    return x


def _leaders(draw, x0: float, x1: float, y: float, font, fill, mark: str = ".") -> None:
    n = int((x1 - x0) / draw.textlength(mark, font=font))
    if n > 2:
        _put(draw, (x1 - n * draw.textlength(mark, font=font), y), mark * n, font, fill)


def _words_fit(draw, words: list[str], font, width: float) -> int:
    """How many of `words` fit on a line `width` wide."""
    k = len(words)
    while k > 1 and draw.textlength(" ".join(words[:k]), font=font) > width:
        k -= 1
    return k


# 1. Italian: "Name – description, description 14" on one line, wrapping onto a second when long.
def _pick_italian(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.cuisine == "it" and d.course != "drink")
    return [Dish(name, f"{a}", float(a), did, rnd.choice(IT_DESCRIPTIONS))
            for (name, did), a in ((x, rnd.randint(8, 28)) for x in _names(rnd, t.count, pool, HOLDOUT_INVENTED["it"]))]


def _italian(draw, dishes, t, rnd) -> None:
    name_f, desc_f = _font("dejavu-serif-bold", 36), _font("dejavu-serif", 36)
    _centre(draw, "Trattoria da Luca", _font("decorative", 90), 60, RED)
    x, right, y = 90, SIZE[0] - 90, 230
    per = math.ceil(len(dishes) / 4)
    for s, title in enumerate(["Antipasti", "Primi", "Secondi", "Dolci"]):
        y = _centre(draw, title, _font("dejavu-serif-italic", 48), y, RED) + 14
        for d in dishes[s * per:(s + 1) * per]:
            end = _put(draw, (x, y), d.name, name_f, INK)
            words = f"– {d.desc}".split()
            room = right - end - 12 - draw.textlength(f"  {d.price}", font=desc_f)
            k = _words_fit(draw, words, desc_f, room) if draw.textlength(" ".join(words), font=desc_f) > room else len(words)
            end = _put(draw, (end + 12, y), " ".join(words[:k]), desc_f, INK)
            if k < len(words):
                y += 48
                end = _put(draw, (x, y), " ".join(words[k:]), desc_f, INK)
            _put(draw, (end + 22, y), d.price, desc_f, INK)
            y += 68


# 2. Long names that wrap, the price (after leaders) on the name's second line.
def _pick_long(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.course in ("main", "starter", "noodle", "rice") and len(n) <= 24)
    out = []
    for name, did in _names(rnd, t.count, pool, HOLDOUT_INVENTED["long"]):
        if did and rnd.random() < 0.6:
            name = f"{name} {rnd.choice(LONG_SIDES)}"
        a = rnd.randint(12, 38)
        out.append(Dish(name, f"{a}", float(a), did))
    return out


def _long_names(draw, dishes, t, rnd) -> None:
    f = _font("dejavu-sans", 44)
    _centre(draw, "HARBOUR GRILL", _font("dejavu-serif-bold", 80), 70, RED)
    _centre(draw, "Dinner", _font("dejavu-serif-italic", 46), 175, SOFT)
    x, right, y = 110, SIZE[0] - 110, 290
    for d in dishes:
        words = d.name.split()
        k = _words_fit(draw, words, f, 860)
        if k < len(words):
            _put(draw, (x, y), " ".join(words[:k]), f, INK)
            y += 56
        end = _put(draw, (x, y), " ".join(words[k:] if k < len(words) else words), f, INK)
        px = _put_right(draw, right, y, d.price, f, INK)
        _leaders(draw, end + 14, px - 14, y, f, SOFT)
        y += 84


# 3. Two columns, ALL CAPS section headers, dot leaders, prices with cents.
def _pick_cents(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.course != "drink" and len(n) <= 22)
    out = []
    for name, did in _names(rnd, t.count, pool, INVENTED["en"]):
        a = rnd.randint(5, 32) + rnd.choice([0.0, 0.5, 0.95, 0.25, 0.75, 0.5])
        out.append(Dish(name, f"{a:.2f}", a, did, rnd.choice(DESCRIPTIONS)))
    return out


def _two_col_cents(draw, dishes, t, rnd) -> None:
    f, hf, df = _font("dejavu-cond", 34), _font("dejavu-cond-bold", 40), _font("dejavu-serif-italic", 22)
    _centre(draw, "MAIN STREET DINER", _font("dejavu-sans-bold", 76), 60, RED)
    heads = ["APPETIZERS", "SOUPS & SALADS", "SANDWICHES", "ENTREES", "SIDES", "DESSERTS"]
    per = math.ceil(len(dishes) / len(heads))
    for s, title in enumerate(heads):
        c, r = divmod(s, 3)
        x, right = 70 + c * 700, 70 + c * 700 + 640
        y = 210 + r * 570
        _put(draw, (x, y), title, hf, RED)
        y += 66
        for d in dishes[s * per:(s + 1) * per]:
            end = _put(draw, (x, y), d.name, f, INK)
            px = _put_right(draw, right, y, d.price, f, INK)
            _leaders(draw, end + 10, px - 10, y, f, SOFT)
            _put(draw, (x + 16, y + 44), d.desc, df, SOFT)
            y += 118


# 4. Bilingual: the Chinese name and its price, the English name under it in smaller type.
def _pick_bilingual(t, rnd):
    pool = _kb(lambda d: d.name["zh_tw"], lambda d, n: d.cuisine == "zh" and len(n) <= 6 and d.course != "drink")
    from common.engines.local.dishes import load

    en_of = {d.id: d.name["en"] for d in load().dishes}
    made = dict(HOLDOUT_INVENTED["zh-en"])
    out = []
    for name, did in _names(rnd, t.count, pool, list(made)):
        a = rnd.randint(9, 32)
        out.append(Dish(name, f"${a}", float(a), did, en_of.get(did, made.get(name, ""))))
    return out


def _bilingual(draw, dishes, t, rnd) -> None:
    zf, ef, hf = _font("bold", 48), _font("sans", 28), _font("bold", 44)
    _centre(draw, "金龍酒家  Golden Dragon", _font("bold", 76), 60, RED)
    x, right, y = 120, SIZE[0] - 120, 210
    heads = ["招牌菜  Chef's Specials", "小炒  Stir-Fries", "湯麵飯  Soups, Noodles & Rice"]
    per = math.ceil(len(dishes) / len(heads))
    for s, title in enumerate(heads):
        _put(draw, (x - 20, y), title, hf, RED)
        y += 80
        for d in dishes[s * per:(s + 1) * per]:
            _put(draw, (x, y), d.name, zf, INK)
            _put_right(draw, right, y, d.price, zf, INK)
            _put(draw, (x, y + 64), d.desc, ef, SOFT)
            y += 122
        y += 10


# 5. A cafe board: drinks in two sizes, "Reg  Lg" over the price columns.
def _pick_cafe(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.course == "drink" and len(n) <= 20)
    out = []
    for i, (name, did) in enumerate(_names(rnd, t.count, pool, HOLDOUT_INVENTED["drinks"])):
        reg = rnd.randint(3, 6) + rnd.choice([0.0, 0.25, 0.5, 0.75])
        lg = reg + rnd.choice([0.5, 0.75, 1.0])
        one = i % 5 == 4  # an espresso-sized drink comes in one size
        out.append(Dish(name, f"{reg:.2f}" if one else f"{reg:.2f}  {lg:.2f}", reg, did))
    return out


def _cafe(draw, dishes, t, rnd) -> None:
    f, hf = _font("dejavu-sans", 44), _font("dejavu-sans-bold", 44)
    ink, head = (240, 240, 232), (250, 220, 120)
    _centre(draw, "Daily Grind Coffee", _font("script", 100), 50, head)
    reg_x, lg_x = 1140, 1390
    per = math.ceil(len(dishes) / 3)
    y = 250
    for s, title in enumerate(["ESPRESSO BAR", "TEA & MORE", "COLD DRINKS"]):
        _put(draw, (100, y), title, hf, head)
        _put_right(draw, reg_x, y, "Reg", hf, head)
        _put_right(draw, lg_x, y, "Lg", hf, head)
        y += 90
        for d in dishes[s * per:(s + 1) * per]:
            _put(draw, (120, y), d.name, f, ink)
            for price, x in zip(d.price.split(), (reg_x, lg_x)):
                _put_right(draw, x, y, price, f, ink)
            y += 78
        y += 50


# 6. An izakaya page: "唐揚げ……680円", market prices (時価), section headers in 【】.
def _pick_izakaya(t, rnd):
    pool = _kb(lambda d: d.name.get("ja", ""), lambda d, n: d.cuisine == "ja" and len(n) <= 8 and d.course != "drink")
    picked = _names(rnd, t.count, pool, HOLDOUT_INVENTED["ja"])
    market = set(rnd.sample(range(len(picked)), 2))
    out = []
    for i, (name, did) in enumerate(picked):
        a = rnd.randint(28, 128) * 10
        out.append(Dish(name, "時価", None, did) if i in market else Dish(name, f"{a:,}円", float(a), did))
    return out


def _izakaya(draw, dishes, t, rnd) -> None:
    f, hf = _font("serif", 46), _font("bold", 50)
    _centre(draw, "居酒屋 たぬき", _font("bold", 84), 60, RED)
    _centre(draw, "お品書き", _font("serif", 40), 175, SOFT)
    x, right, y = 130, SIZE[0] - 130, 280
    per = math.ceil(len(dishes) / 4)
    for s, title in enumerate(["【おつまみ】", "【焼き物】", "【揚げ物】", "【本日の逸品】"]):
        _put(draw, (x - 40, y), title, hf, RED)
        y += 92
        for d in dishes[s * per:(s + 1) * per]:
            end = _put(draw, (x, y), d.name, f, INK)
            px = _put_right(draw, right, y, d.price, f, INK)
            _leaders(draw, end + 6, px - 6, y, f, SOFT, "…")
            y += 78
        y += 24


# 7. Section headers set like the dishes (same size), only coloured and/or underlined.
def _pick_plain(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.course != "drink" and len(n) <= 28)
    return [Dish(name, f"${a}", float(a), did)
            for (name, did), a in ((x, rnd.randint(6, 36)) for x in _names(rnd, t.count, pool, INVENTED["en"]))]


def _plain_headers(draw, dishes, t, rnd) -> None:
    f = _font("dejavu-serif", 44)
    style = rnd.choice(["colour", "underline", "both"])
    _centre(draw, "The Larder", _font("dejavu-serif-bold", 84), 60, RED)
    heads = rnd.choice([["To Start", "From the Garden", "Large Plates", "Something Sweet"],
                        ["Small Plates", "Comfort Classics", "From the Sea", "On the Side"],
                        ["Bites", "Bowls & Greens", "Plates to Share"]])
    per = math.ceil(len(dishes) / len(heads))
    x, right, y = 120, SIZE[0] - 120, 250
    for s, title in enumerate(heads):
        colour = RED if style != "underline" else INK
        end = _put(draw, (x, y), title, f, colour)
        if style != "colour":
            draw.line((x, y + 56, end, y + 56), fill=colour, width=3)
        y += 86
        for d in dishes[s * per:(s + 1) * per]:
            _put(draw, (x, y), d.name, f, INK)
            _put_right(draw, right, y, d.price, f, INK)
            y += 80
        y += 30


# 8. Two narrow menu cards side by side in one photo, each with its own title.
def _pick_cards(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.course != "drink" and len(n) <= 20)
    return [Dish(name, f"{a}", float(a), did, rnd.choice([x for x in DESCRIPTIONS if len(x) <= 42] + [""]))
            for (name, did), a in ((x, rnd.randint(7, 34)) for x in _names(rnd, t.count, pool, INVENTED["en"]))]


def _cards(draw, dishes, t, rnd) -> None:
    draw.rectangle((0, 0, *SIZE), fill=(92, 70, 52))  # the table the cards lie on
    f, df = _font("dejavu-serif", 36), _font("dejavu-serif-italic", 24)
    half = math.ceil(len(dishes) / 2)
    for c, (title, sub) in enumerate([("Lunch", "served 11 am – 3 pm"), ("Dinner", "served from 6 pm")]):
        x0, x1 = 60 + c * 715, 60 + c * 715 + 665
        draw.rectangle((x0, 70, x1, 1930), fill=(250, 246, 236), outline=(200, 190, 170), width=3)
        _centre(draw, title, _font("decorative", 84), 120, RED, x0, x1)
        _centre(draw, sub, df, 235, SOFT, x0, x1)
        y = 320
        for d in dishes[c * half:(c + 1) * half]:
            _put(draw, (x0 + 45, y), d.name, f, INK)
            _put_right(draw, x1 - 45, y, d.price, f, INK)
            if d.desc:
                _put(draw, (x0 + 45, y + 50), d.desc, df, SOFT)
            y += 150


# 9. A numbered take-away menu: "A1. Pad Thai ...... 13.95", a description under each.
def _pick_takeaway(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.cuisine in ("th", "vi", "zh", "ko") and d.course != "drink" and len(n) <= 24)
    out = []
    for name, did in _names(rnd, t.count, pool, INVENTED["en"]):
        a = rnd.randint(6, 19) + 0.95
        out.append(Dish(name, f"{a:.2f}", a, did, rnd.choice(DESCRIPTIONS)))
    return out


def _takeaway(draw, dishes, t, rnd) -> None:
    f, hf, df = _font("dejavu-sans-bold", 38), _font("dejavu-sans-bold", 46), _font("dejavu-sans", 26)
    _centre(draw, "LUCKY BAMBOO", _font("dejavu-sans-bold", 80), 50, RED)
    _centre(draw, "Take-away & Delivery  ·  Tel 555-0142", df, 150, SOFT)
    x, right, y = 90, SIZE[0] - 90, 240
    per = math.ceil(len(dishes) / 4)
    for s, title in enumerate(["A. Starters", "B. Soups", "C. Noodles & Rice", "D. Chef's Specials"]):
        _put(draw, (x, y), title, hf, RED)
        y += 70
        for k, d in enumerate(dishes[s * per:(s + 1) * per]):
            label = f"{'ABCD'[s]}{k + 1}. {d.name}"
            end = _put(draw, (x, y), label, f, INK)
            px = _put_right(draw, right, y, d.price, f, INK)
            _leaders(draw, end + 12, px - 12, y, f, SOFT)
            _put(draw, (x + 62, y + 48), d.desc, df, SOFT)
            y += 100
        y += 16


# 10. A modern centred card: "BURRATA  heirloom tomato, basil oil  16", name in capitals, all on one line.
def _pick_inline(t, rnd):
    pool = _kb(_en_name, lambda d, n: d.course != "drink" and len(n) <= 18)
    descs = ["heirloom tomato, basil oil", "brown butter, sage", "chilli, lime, coriander", "salsa verde, lemon",
             "pickled shallot, rye", "smoked almond, honey", "fennel, blood orange", "miso glaze, sesame"]
    return [Dish(name.upper(), f"{a}", float(a), did, rnd.choice(descs))
            for (name, did), a in ((x, rnd.randint(9, 38)) for x in _names(rnd, t.count, pool, INVENTED["en"]))]


def _inline(draw, dishes, t, rnd) -> None:
    nf, df = _font("dejavu-sans-bold", 36), _font("dejavu-serif-italic", 34)
    sep = rnd.choice(["   ", "  ·  ", "  |  "])
    _centre(draw, "fern & fig", _font("dejavu-serif-italic", 90), 70, INK)
    y = 280
    for d in dishes:
        parts = [(d.name, nf), (f"{sep}{d.desc}{sep}", df), (d.price, nf)]
        x = (SIZE[0] - sum(draw.textlength(s, font=fo) for s, fo in parts)) / 2
        for s, fo in parts:
            _put(draw, (x, y), s, fo, INK)
            x += draw.textlength(s, font=fo)
        y += 118


HOLDOUT = [
    Template("italian-dash", "en", "dejavu-serif", _italian, 12, pick=_pick_italian,
             fonts=("dejavu-serif-bold", "dejavu-serif-italic", "decorative"),
             note="'Name – ingredients, ... 14' on one line, wrapping to a second; price bare after the text"),
    Template("wrapped-names", "en", "dejavu-sans", _long_names, 14, pick=_pick_long,
             fonts=("dejavu-serif-bold", "dejavu-serif-italic"),
             note="long names wrap onto two lines, leaders and price on the second"),
    Template("two-col-cents", "en", "dejavu-cond", _two_col_cents, 24, pick=_pick_cents,
             fonts=("dejavu-cond-bold", "dejavu-serif-italic", "dejavu-sans-bold"),
             note="two columns, ALL CAPS headers, dot leaders, 12.50, italic description"),
    Template("bilingual-zh-en", "zh", "bold", _bilingual, 12, pick=_pick_bilingual,
             note="Chinese name and $12 on one line, English name smaller under it"),
    Template("cafe-sizes", "en", "dejavu-sans", _cafe, 15, dark=True, pick=_pick_cafe,
             fonts=("dejavu-sans-bold", "script"), note="drinks, 'Reg  Lg' price columns, 4.50  5.25"),
    Template("izakaya-leaders", "ja", "serif", _izakaya, 14, pick=_pick_izakaya,
             note="唐揚げ……680円, 時価, 【】 headers"),
    Template("plain-headers", "en", "dejavu-serif", _plain_headers, 14, pick=_pick_plain,
             fonts=("dejavu-serif-bold",), note="headers the dishes' size, only coloured/underlined"),
    Template("two-cards", "en", "dejavu-serif", _cards, 20, pick=_pick_cards,
             fonts=("dejavu-serif-italic", "decorative"), note="two narrow cards side by side, own titles"),
    Template("numbered-takeaway", "en", "dejavu-sans-bold", _takeaway, 12, pick=_pick_takeaway,
             fonts=("dejavu-sans",), note="'A1. Pad Thai ..... 13.95', description under it"),
    Template("inline-caps", "en", "dejavu-sans-bold", _inline, 14, pick=_pick_inline,
             fonts=("dejavu-serif-italic", "dejavu-serif"),
             note="centred 'BURRATA  heirloom tomato, basil oil  16' on one line"),
]
