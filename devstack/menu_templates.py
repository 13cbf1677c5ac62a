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
}
FONT_PACKAGE = {"sans": "fonts-noto-cjk", "bold": "fonts-noto-cjk", "serif": "fonts-noto-cjk",
                "script": "fonts-dancingscript", "decorative": "fonts-lobster", "hand": "fonts-comic-neue",
                "kai": "fonts-arphic-ukai"}
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


def font_missing(t: Template) -> str | None:
    """A message naming the Debian package when the template's font is not installed, else None."""
    for face in {t.font, "sans", "bold"}:
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
    dishes = _pick(t.language, rnd, t.count, t.priced, t.price_style)
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
