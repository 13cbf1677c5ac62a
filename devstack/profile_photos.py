"""Rendered recipe cards and bookshelves with known contents: the offline profiles' evaluation sets.

Recipe cards in English, Japanese and Chinese (a title, servings and times, ingredients in each
language's own order, numbered steps). Bookshelves of upright spines: Latin titles turned a quarter
(both ways, as publishers print them), Chinese and Japanese titles stacked, an author under some.
`menu_photos.photo_like` makes the photographed variants.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from devstack.menu_photos import SIZE, _font


@dataclass
class Ingredient:
    line: str  # as printed
    quantity: float | None
    unit: str | None
    item: str


@dataclass
class Recipe:
    key: str
    title: str
    meta: str
    heads: tuple[str, str]  # the ingredients' and the steps' headings
    ingredients: list[Ingredient]
    steps: list[str]
    servings: int | None = None
    cjk_index: int = 0  # the Noto CJK face: 0 Japanese, 2 Traditional Chinese


RECIPES = [
    Recipe("en-pancakes", "Buttermilk Pancakes", "Serves 4   Prep 10 min   Cook 20 min", ("Ingredients", "Method"), [
        Ingredient("2 cups flour", 2, "cup", "flour"),
        Ingredient("1 1/2 tsp baking powder", 1.5, "tsp", "baking powder"),
        Ingredient("2 tbsp sugar", 2, "tbsp", "sugar"),
        Ingredient("1/2 tsp salt", 0.5, "tsp", "salt"),
        Ingredient("2 eggs", 2, None, "eggs"),
        Ingredient("300 ml buttermilk", 300, "ml", "buttermilk"),
        Ingredient("50 g butter, melted", 50, "g", "butter, melted"),
    ], ["Whisk the flour, baking powder, sugar and salt.", "Beat in the eggs, buttermilk and butter.",
        "Cook ladlefuls on a hot pan until golden."], servings=4),
    Recipe("en-chili", "Weeknight Chili", "Makes 6 servings   Total 1 hr", ("Ingredients", "Directions"), [
        Ingredient("1 lb ground beef", 1, "lb", "ground beef"),
        Ingredient("1 onion, chopped", 1, None, "onion, chopped"),
        Ingredient("2-3 cloves garlic", 2, "clove", "garlic"),
        Ingredient("1 can kidney beans", 1, "can", "kidney beans"),
        Ingredient("2 tbsp chili powder", 2, "tbsp", "chili powder"),
        Ingredient("Salt, to taste", None, "to taste", "Salt"),
    ], ["Brown the beef with the onion and garlic.", "Add the beans and chili powder.",
        "Simmer for 40 minutes and season."], servings=6),
    Recipe("ja-oyakodon", "親子丼", "2人分　調理時間 20分", ("材料", "作り方"), [
        Ingredient("鶏もも肉 200g", 200, "g", "鶏もも肉"),
        Ingredient("卵 3個", 3, "個", "卵"),
        Ingredient("玉ねぎ 1/2個", 0.5, "個", "玉ねぎ"),
        Ingredient("しょうゆ 大さじ2", 2, "tbsp", "しょうゆ"),
        Ingredient("みりん 大さじ2", 2, "tbsp", "みりん"),
        Ingredient("砂糖 小さじ1", 1, "tsp", "砂糖"),
        Ingredient("ご飯 2杯", 2, "cup", "ご飯"),
    ], ["鶏肉と玉ねぎを切る。", "だしと調味料で煮る。", "溶き卵を回し入れ、ご飯にのせる。"], servings=2),
    Recipe("zh-tomato-egg", "番茄炒蛋", "份量：3人份　烹調時間 15分鐘", ("材料", "做法"), [
        Ingredient("番茄 2顆", 2, "顆", "番茄"),
        Ingredient("雞蛋 4個", 4, "個", "雞蛋"),
        Ingredient("糖 1茶匙", 1, "tsp", "糖"),
        Ingredient("鹽 少許", None, "pinch", "鹽"),
        Ingredient("油 2湯匙", 2, "tbsp", "油"),
        Ingredient("蔥 1根", 1, "根", "蔥"),
    ], ["雞蛋打散，炒至半熟盛起。", "番茄切塊炒軟，加糖和鹽。", "倒回雞蛋拌勻，撒上蔥花。"], servings=3, cjk_index=2),
]


@dataclass
class Book:
    title: str
    author: str = ""
    cjk: bool = False


@dataclass
class Shelf:
    key: str
    books: list[Book] = field(default_factory=list)


SHELVES = [
    Shelf("latin", [Book("Moby Dick", "Melville"), Book("War and Peace", "Tolstoy"), Book("Dune", "Herbert"),
                    Book("Middlemarch"), Book("The Odyssey", "Homer"), Book("Beloved", "Morrison"),
                    Book("Ulysses", "Joyce"), Book("Emma")]),
    Shelf("mixed", [Book("三國演義", "羅貫中", True), Book("Jane Eyre", "Bronte"), Book("紅樓夢", "曹雪芹", True),
                    Book("Hamlet"), Book("雪国", "川端康成", True), Book("Dracula", "Stoker"),
                    Book("吾輩は猫である", "", True)]),
]


def render_recipe(r: Recipe, size: tuple[int, int] = SIZE):
    """A recipe card, top to bottom."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (250, 247, 240))
    draw = ImageDraw.Draw(img)
    big, head, body = _font(78, True, index=r.cjk_index), _font(58, True, index=r.cjk_index), \
        _font(46, index=r.cjk_index)
    y = 110
    draw.text((110, y), r.title, font=big, fill=(40, 30, 20))
    y += 130
    draw.text((110, y), r.meta, font=body, fill=(90, 80, 70))
    y += 110
    draw.text((110, y), r.heads[0], font=head, fill=(140, 40, 30))
    y += 90
    for ing in r.ingredients:
        draw.text((150, y), ing.line, font=body, fill=(30, 30, 30))
        y += 72
    y += 40
    draw.text((110, y), r.heads[1], font=head, fill=(140, 40, 30))
    y += 90
    for n, step in enumerate(r.steps, 1):
        draw.text((150, y), f"{n}. {step}", font=body, fill=(30, 30, 30))
        y += 72
    return img


SPINE_COLOURS = [(120, 30, 40), (30, 60, 110), (40, 90, 60), (200, 180, 140), (70, 70, 70), (150, 90, 30),
                 (230, 225, 210), (90, 40, 100)]


def render_shelf(shelf: Shelf, seed: int = 0, size: tuple[int, int] = SIZE):
    """Upright spines side by side, each title along its spine."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", size, (215, 200, 175))
    draw = ImageDraw.Draw(img)
    x, floor = 60, size[1] - 140
    draw.rectangle((0, floor, size[0], size[1]), fill=(120, 85, 50))
    width = (size[0] - 120) // len(shelf.books)
    for n, book in enumerate(shelf.books):
        w = width - rng.randint(4, 24)
        h = rng.randint(1250, 1650)
        colour = SPINE_COLOURS[n % len(SPINE_COLOURS)]
        ink = (20, 20, 20) if sum(colour) > 450 else (245, 240, 225)
        draw.rectangle((x, floor - h, x + w, floor), fill=colour, outline=(30, 25, 20), width=3)
        if book.cjk:
            _stacked(draw, book, x, floor - h, w, h, ink)
        else:
            _turned(img, book, x, floor - h, w, h, colour, ink, turn=90 if n % 2 else 270)
        x += width
    return img


def _stacked(draw, book: Book, x: int, top: int, w: int, h: int, ink) -> None:
    size = min(int(w * 0.62), (h - 260) // max(1, len(book.title)))
    f = _font(size, True, index=2)
    y = top + 60
    for ch in book.title:
        draw.text((x + (w - size) / 2, y), ch, font=f, fill=ink)
        y += size + 6
    if book.author:
        small = _font(max(22, size // 2), index=2)
        y += 40
        for ch in book.author:
            draw.text((x + (w - size // 2) / 2, y), ch, font=small, fill=ink)
            y += size // 2 + 4


def _turned(img, book: Book, x: int, top: int, w: int, h: int, colour, ink, turn: int) -> None:
    from PIL import Image, ImageDraw

    size = int(w * 0.55)
    strip = Image.new("RGB", (h - 40, w - 10), colour)
    d = ImageDraw.Draw(strip)
    f = _font(size, True)
    d.text((60, (w - 10 - size) / 2 - size * 0.15), book.title, font=f, fill=ink)
    if book.author:
        small = _font(int(size * 0.6))
        d.text((h - 40 - 60 - d.textlength(book.author, font=small), (w - 10 - size * 0.6) / 2 - size * 0.1),
               book.author, font=small, fill=ink)
    img.paste(strip.rotate(turn, expand=True), (x + 5, top + 20))
