"""Rendered menu photos with known contents: the offline engine's evaluation set and sample photo.

Each menu is drawn at phone size (1500x2000) in Noto CJK. `photo_like` turns a clean render into what
a phone sees: a small rotation and perspective, blur, sensor noise, uneven light and JPEG artefacts.
"""
from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SIZE = (1500, 2000)


@dataclass
class Dish:
    name: str
    price: str = ""                 # as printed; "" for none
    amount: Optional[float] = None  # the value a reader should get (lowest for sizes); None for market price
    dish_id: Optional[str] = None   # the knowledge-base id it should be recognised as
    desc: str = ""


@dataclass
class Menu:
    key: str
    language: str                   # the menu's language (for reporting)
    title: str
    sections: list[tuple[str, list[Dish]]]
    layout: str = "horizontal"      # horizontal | vertical | two-column
    leaders: bool = False           # dot leaders between name and price
    price_right: bool = True        # prices right-aligned (else right after the name)
    serif: bool = False
    items: list[Dish] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.items = [d for _, dishes in self.sections for d in dishes]


def _font(size: int, bold: bool = False, serif: bool = False, index: int = 0):
    from PIL import ImageFont

    name = f"Noto{'Serif' if serif else 'Sans'}CJK-{'Bold' if bold else 'Regular'}.ttc"
    return ImageFont.truetype(str(FONT_DIR / name), size, index=index)


def render(menu: Menu, size: tuple[int, int] = SIZE):
    """The clean render of `menu` as a PIL image."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (248, 243, 230))
    draw = ImageDraw.Draw(img)
    if menu.layout == "vertical":
        _render_vertical(draw, menu, size)
    elif menu.layout == "two-column":
        half = (len(menu.sections) + 1) // 2
        _title(draw, menu, size)
        _render_block(draw, menu, menu.sections[:half], 70, size[0] // 2 - 50, 240, 42)
        _render_block(draw, menu, menu.sections[half:], size[0] // 2 + 50, size[0] - 70, 240, 42)
    else:
        _title(draw, menu, size)
        _render_block(draw, menu, menu.sections, 110, size[0] - 110, 260)
    return img


def _title(draw, menu: Menu, size) -> None:
    f = _font(84, True, menu.serif)
    w = draw.textlength(menu.title, font=f)
    draw.text(((size[0] - w) / 2, 80), menu.title, font=f, fill=(30, 25, 20))


def _render_block(draw, menu: Menu, sections, x0: int, x1: int, y: int, size: int = 50) -> int:
    name_f, price_f = _font(size, False, menu.serif), _font(size, False, menu.serif)
    head_f, desc_f = _font(size + 12, True, menu.serif), _font(34, False, menu.serif)
    for header, dishes in sections:
        draw.text((x0, y), header, font=head_f, fill=(120, 30, 20))
        y += 100
        for d in dishes:
            draw.text((x0 + 10, y), d.name, font=name_f, fill=(25, 25, 25))
            if d.price:
                pw = draw.textlength(d.price, font=price_f)
                if menu.price_right:
                    px = x1 - pw
                    if menu.leaders:
                        start = x0 + 10 + draw.textlength(d.name, font=name_f) + 20
                        dots = "." * max(0, int((px - 20 - start) / draw.textlength(".", font=name_f)))
                        draw.text((start, y), dots, font=name_f, fill=(120, 120, 120))
                else:
                    px = x0 + 10 + draw.textlength(d.name, font=name_f) + 40
                draw.text((px, y), d.price, font=price_f, fill=(25, 25, 25))
            y += 72
            if d.desc:
                draw.text((x0 + 40, y), d.desc, font=desc_f, fill=(95, 90, 85))
                y += 54
            y += 18
        y += 30
    return y


def _render_vertical(draw, menu: Menu, size) -> None:
    f, hf = _font(60, False, menu.serif), _font(66, True, menu.serif)
    x, step = size[0] - 140, 62
    for header, dishes in [(menu.title, []), *menu.sections]:
        for text, font, color in [(header, hf, (120, 30, 20))] + [
                (f"{d.name}\u3000{d.price}" if d.price else d.name, f, (25, 25, 25)) for d in dishes]:
            y = 140
            for ch in text:
                if ch == "\u3000":
                    y += step // 2
                    continue
                w = draw.textlength(ch, font=font)
                draw.text((x + (font.size - w) / 2, y), ch, font=font, fill=color)
                y += step + 6
            x -= 118 if font is f else 140
        x -= 30


def photo_like(img, seed: int):
    """The same menu as a phone photo of it: tilt, perspective, blur, noise, uneven light, JPEG."""
    import numpy as np
    from PIL import Image, ImageFilter

    rnd = random.Random(seed)
    w, h = img.size
    angle = rnd.uniform(-3.0, 3.0)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=(90, 80, 70))
    d = 0.03
    quad = [rnd.uniform(0, d) * w, rnd.uniform(0, d) * h, rnd.uniform(0, d) * w, h - rnd.uniform(0, d) * h,
            w - rnd.uniform(0, d) * w, h - rnd.uniform(0, d) * h, w - rnd.uniform(0, d) * w, rnd.uniform(0, d) * h]
    img = img.transform((w, h), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=(90, 80, 70))
    img = img.filter(ImageFilter.GaussianBlur(rnd.uniform(0.8, 1.6)))
    a = np.asarray(img).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rnd.uniform(0, w), rnd.uniform(0, h)
    light = 1.0 - 0.35 * np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2) / math.sqrt(2)
    a = a * light[..., None] * rnd.uniform(0.85, 1.0)
    a += np.random.default_rng(seed).normal(0, 7, a.shape)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=rnd.randint(45, 70))
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def jpeg(img, quality: int = 90) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


D = Dish
MENUS: list[Menu] = [
    Menu("ja-izakaya", "ja", "居酒屋 さくら", [
        ("【揚げ物】", [D("唐揚げ", "680円", 680, "ja.karaage", "鶏もも肉の唐揚げ"),
                     D("天ぷら盛り合わせ", "¥1,280", 1280, "ja.tempura"),
                     D("とんかつ", "千二百円", 1200, "ja.tonkatsu"),
                     D("エビフライ", "￥980", 980, "ja.ebi_fry")]),
        ("【焼き物】", [D("焼き鳥", "980円", 980, "ja.yakitori"), D("つくね", "450円", 450, "ja.tsukune"),
                     D("鯖の塩焼き", "780円", 780, "ja.saba_shioyaki")]),
        ("【お造り】", [D("刺身盛り合わせ", "時価", None, "ja.sashimi"), D("かつおのたたき", "1,080円", 1080, "ja.katsuo_tataki")]),
        ("【お飲み物】", [D("生ビール", "580円", 580, "ja.nama_beer"), D("ハイボール", "490円", 490, "ja.highball")]),
    ]),
    Menu("ja-ramen", "ja", "らーめん 一番", [
        ("おすすめ", [D("醤油ラーメン", "850円", 850, "ja.shoyu_ramen", "鶏ガラと魚介の清湯スープ"),
                  D("味噌ラーメン", "950円", 950, "ja.miso_ramen"), D("つけ麺", "980円", 980, "ja.tsukemen")]),
        ("サイド", [D("餃子", "六百円", 600, "ja.gyoza"), D("枝豆", "三百八十円", 380, "ja.edamame"),
                 D("チャーハン", "七百五十円", 750, "zh.fried_rice")]),
        ("ライス", [D("ライス", "大盛 200円", 200, None)]),
    ], leaders=True),
    Menu("ja-tategaki", "ja", "お品書き", [
        ("", [D("親子丼", "八百八十円", 880, "ja.oyakodon"), D("カツ丼", "九百八十円", 980, "ja.katsudon"),
              D("天丼", "千百円", 1100, "ja.tendon"), D("うな重", "時価", None, "ja.unadon"),
              D("ざるそば", "七百円", 700, "ja.soba"), D("味噌汁", "百五十円", 150, "ja.miso_soup")]),
    ], layout="vertical", serif=True),
    Menu("en-diner", "en", "MAIN STREET DINER", [
        ("BURGERS", [D("Classic Cheeseburger", "$14.50", 14.5, "us.cheeseburger", "Cheddar, pickles, house sauce"),
                     D("Bacon Burger", "$16.00", 16.0, "us.bacon_burger"),
                     D("Veggie Burger", "$13.25", 13.25, "us.veggie_burger")]),
        ("MAINS", [D("BBQ Ribs", "$24.95", 24.95, "us.bbq_ribs", "Half rack, slow smoked"),
                   D("Fish and Chips", "$18.00", 18.0, "us.fish_chips"),
                   D("Lobster Roll", "$29.00", 29.0, "us.lobster_roll")]),
        ("SIDES", [D("Onion Rings", "$6.50", 6.5, "us.onion_rings"), D("Mac and Cheese", "$7.00", 7.0, "us.mac_cheese")]),
        ("DRINKS", [D("Milkshake", "S 5 / M 6 / L 7", 5, "us.milkshake"), D("Lemonade", "$4.00", 4.0, "us.lemonade")]),
    ], leaders=True),
    Menu("it-trattoria", "it", "Trattoria da Luigi", [
        ("Antipasti", [D("Bruschetta", "6,50 €", 6.5, "it.bruschetta"), D("Insalata Caprese", "9,00 €", 9.0, "it.caprese"),
                       D("Carpaccio di manzo", "12,50 €", 12.5, "it.carpaccio")]),
        ("Primi", [D("Spaghetti alla Carbonara", "13,00 €", 13.0, "it.carbonara"),
                   D("Cacio e Pepe", "12,00 €", 12.0, "it.cacio_e_pepe"), D("Lasagne", "14,00 €", 14.0, "it.lasagna"),
                   D("Risotto ai funghi", "15,50 €", 15.5, "it.risotto_funghi")]),
        ("Pizze", [D("Margherita", "9,00 €", 9.0, "it.margherita"), D("Diavola", "11,00 €", 11.0, "it.diavola")]),
        ("Secondi", [D("Ossobuco", "22,00 €", 22.0, "it.osso_buco"),
                     D("Bistecca alla fiorentina", "45-60 €", 45.0, "it.bistecca")]),
        ("Dolci", [D("Tiramisù", "7,00 €", 7.0, "it.tiramisu"), D("Panna cotta", "6,50 €", 6.5, "it.panna_cotta")]),
    ], layout="two-column", serif=True),
    Menu("fr-bistro", "fr", "Bistrot du Marché", [
        ("Entrées", [D("Soupe à l'oignon", "9 €", 9.0, "fr.onion_soup"), D("Escargots de Bourgogne", "14 €", 14.0, "fr.escargots"),
                     D("Foie gras", "19 €", 19.0, "fr.foie_gras")]),
        ("Plats", [D("Bœuf bourguignon", "24 €", 24.0, "fr.boeuf_bourguignon"), D("Confit de canard", "22 €", 22.0, "fr.confit_canard"),
                   D("Steak frites", "21 €", 21.0, "fr.steak_frites"), D("Moules frites", "18 €", 18.0, "fr.moules_frites")]),
        ("Desserts", [D("Crème brûlée", "8 €", 8.0, "fr.creme_brulee"), D("Tarte Tatin", "9 €", 9.0, "fr.tarte_tatin")]),
    ]),
    Menu("es-tapas", "es", "Bar de Tapas", [
        ("Tapas", [D("Patatas bravas", "5,50€", 5.5, "es.patatas_bravas"), D("Gambas al ajillo", "9,50€", 9.5, "es.gambas_ajillo"),
                   D("Croquetas de jamón", "7,00€", 7.0, "es.croquetas"), D("Pulpo a la gallega", "16,00€", 16.0, "es.pulpo_gallega"),
                   D("Jamón ibérico", "18,00€", 18.0, "es.jamon_iberico")]),
        ("Raciones", [D("Paella valenciana", "17,50€", 17.5, "es.paella"), D("Tortilla española", "8,00€", 8.0, "es.tortilla")]),
        ("Postres", [D("Churros con chocolate", "6,00€", 6.0, "es.churros"), D("Crema catalana", "5,50€", 5.5, "es.crema_catalana")]),
    ], price_right=False),
    Menu("zh-tw-taipei", "zh-Hant", "台北小館", [
        ("招牌菜", [D("牛肉麵", "NT$220", 220, "zh.beef_noodle_soup"), D("滷肉飯", "NT$45", 45, "zh.braised_pork_rice"),
                 D("小籠包", "NT$180", 180, "zh.xiaolongbao"), D("三杯雞", "NT$280", 280, "zh.three_cup_chicken")]),
        ("小吃", [D("蚵仔煎", "80元", 80, "zh.oyster_omelette"), D("鹽酥雞", "90元", 90, "zh.popcorn_chicken"),
                D("臭豆腐", "70元", 70, "zh.stinky_tofu"), D("蔥油餅", "50元", 50, "zh.scallion_pancake")]),
        ("飲料", [D("珍珠奶茶", "中 55 / 大 65", 55, "zh.bubble_tea"), D("烏龍茶", "40元", 40, "zh.oolong")]),
    ]),
    Menu("zh-cn-sichuan", "zh-Hans", "川菜馆", [
        ("热菜", [D("宫保鸡丁", "¥38", 38, "zh.kung_pao_chicken"), D("麻婆豆腐", "¥28", 28, "zh.mapo_tofu"),
                D("回锅肉", "¥42", 42, "zh.twice_cooked_pork"), D("水煮鱼", "¥68", 68, "zh.boiled_fish"),
                D("鱼香茄子", "¥26", 26, "zh.yu_xiang_eggplant")]),
        ("主食", [D("担担面", "¥18", 18, "zh.dan_dan_noodles"), D("扬州炒饭", "¥22", 22, "zh.fried_rice")]),
        ("汤", [D("酸辣汤", "¥16", 16, "zh.hot_sour_soup")]),
    ]),
    Menu("th-en-bangkok", "en", "Bangkok Kitchen", [
        ("Curries", [D("Green Curry", "฿180", 180, "th.green_curry"), D("Massaman Curry", "฿200", 200, "th.massaman"),
                     D("Panang Curry", "฿190", 190, "th.panang")]),
        ("Noodles & Rice", [D("Pad Thai", "฿150", 150, "th.pad_thai"), D("Pad See Ew", "฿150", 150, "th.pad_see_ew"),
                            D("Pineapple Fried Rice", "฿170", 170, "th.pineapple_fried_rice")]),
        ("Soups & Salads", [D("Tom Yum Goong", "฿220", 220, "th.tom_yum"), D("Som Tam", "฿120", 120, "th.som_tam")]),
        ("Dessert", [D("Mango Sticky Rice", "฿130", 130, "th.mango_sticky_rice")]),
    ], leaders=True),
    Menu("vi-ko-en-street", "en", "Asian Street Food", [
        ("Vietnamese", [D("Pho Bo", "$13.50", 13.5, "vi.pho_bo"), D("Banh Mi", "$9.00", 9.0, "vi.banh_mi"),
                        D("Bun Cha", "$14.00", 14.0, "vi.bun_cha"), D("Goi Cuon", "$7.50", 7.5, "vi.goi_cuon")]),
        ("Korean", [D("Bibimbap", "$15.00", 15.0, "ko.bibimbap"), D("Bulgogi", "$19.00", 19.0, "ko.bulgogi"),
                    D("Kimchi Jjigae", "$14.50", 14.5, "ko.kimchi_jjigae"), D("Tteokbokki", "$11.00", 11.0, "ko.tteokbokki"),
                    D("Japchae", "$12.00", 12.0, "ko.japchae")]),
    ]),
    Menu("ko-ja-yakiniku", "ja", "韓国料理 ソウル", [
        ("焼肉", [D("サムギョプサル", "1,480円", 1480, "ko.samgyeopsal"), D("プルコギ", "1,280円", 1280, "ko.bulgogi"),
                D("カルビ", "1,680円", 1680, "ko.galbi")]),
        ("一品", [D("海鮮チヂミ", "980円", 980, "ko.haemul_pajeon"), D("トッポッキ", "780円", 780, "ko.tteokbokki"),
                D("石焼ビビンバ", "1,180円", 1180, "ko.dolsot_bibimbap"), D("参鶏湯", "1,580円", 1580, "ko.samgyetang")]),
        ("ドリンク", [D("マッコリ", "グラス 500 / ボトル 1,800", 500, "ko.makgeolli")]),
    ]),
]


def menu(key: str) -> Menu:
    return next(m for m in MENUS if m.key == key)


def sample_photo() -> bytes:
    """The photo `./run scan` uses when none is given: a clean render of the izakaya menu."""
    return jpeg(render(menu("ja-izakaya")))


@dataclass
class Score:
    names: int = 0        # printed items whose name was read
    prices: int = 0       # of the priced items, those whose amount was read right
    priced: int = 0
    translated: int = 0   # items recognised as the right knowledge-base dish
    known: int = 0
    total: int = 0

    def add(self, other: "Score") -> "Score":
        return Score(*(a + b for a, b in zip(vars(self).values(), vars(other).values())))

    def rate(self, part: str) -> float:
        whole = {"names": self.total, "prices": self.priced, "translated": self.known}[part]
        return getattr(self, part) / whole if whole else 1.0


def score(m: Menu, items: list) -> Score:
    """Compare the engine's items (MenuItem-like) with what `m` printed."""
    from common.engines.local.dishes import key

    by_key = {key(i.original_name): i for i in items}
    s = Score()
    for d in m.items:
        s.total += 1
        got = by_key.get(key(d.name))
        s.names += got is not None
        if d.price:
            s.priced += 1
            s.prices += bool(got and (got.price_value == d.amount if d.amount is not None
                                      else got.price_value is None and bool(got.price)))
        if d.dish_id:
            s.known += 1
            s.translated += bool(got and got.dish_id == d.dish_id)
    return s
