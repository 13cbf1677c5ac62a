"""Section headings: told by their words (a category a menu names, 前菜, Starters), their dress (【】, ■,
~ ~), their size, or by where they stand: a short line without a price, set apart above a run of dishes
(first in its block, or with a gap over it clearly wider than the block's line spacing), with a dish,
not a smaller description, under it. Bold, colour and underlining do not survive OCR; the space around
a heading does."""
from __future__ import annotations

import re
import statistics
from typing import Callable, Collection, Optional

from common.engines.local import wording

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# A category named as one, or wrapped in dashes OCR read as 一 or ー (一湯品一, ーサラダー).
_CATEGORY = re.compile(r"^[\u3400-\u9fff]{1,4}(?:類|类|系列|專區|专区)$|^([一ー—–-]).{1,8}\1$")

SECTION_WORDS = {
    "前菜", "揚げ物", "焼き物", "焼物", "刺身", "お造り", "ご飯もの", "ご飯物", "麺類", "麺", "一品料理", "一品",
    "お飲み物", "飲み物", "ドリンク", "デザート", "甘味", "おすすめ", "本日のおすすめ", "名物", "定食", "丼物", "丼",
    "鍋", "鍋物", "サラダ", "おつまみ", "お品書き", "メニュー", "ランチ", "ディナー", "ソフトドリンク", "アルコール",
    "冷菜", "熱菜", "主食", "湯品", "點心", "点心", "飲料", "饮料", "甜點", "甜点", "招牌菜", "推薦", "推荐", "小吃",
    "主菜", "湯", "汤", "炒飯類", "麵類", "面类", "酒水", "菜單", "菜单", "素食", "素菜", "招牌推介",
    "主廚推薦", "主厨推荐", "熱炒", "热炒", "冷盤", "冷盘", "燒臘", "烧腊", "海鮮", "海鲜", "麵食", "面食", "甜品",
    "汤品", "飯類", "饭类", "火鍋", "火锅", "套餐", "小菜", "粥品", "燉品", "炖品", "飲品", "饮品",
    "vegetarian", "vegan", "small plates", "sharing plates", "noodles & rice", "rice & noodles",
    "build your own", "sweet treats", "kids meals", "kids menu", "house specials", "chef's specials",
    "starters", "appetizers", "antipasti", "entrées", "entrees", "mains", "main courses", "main dishes", "plats",
    "primi", "secondi", "pizza", "pizzas", "pasta", "desserts", "dolci", "postres", "drinks", "beverages",
    "boissons", "bebidas", "wine", "wines", "vins", "beer", "beers", "cocktails", "sides", "side dishes",
    "salads", "soups", "soup", "burgers", "sandwiches", "tapas", "raciones", "specials", "menu", "dinner", "lunch",
    "brunch", "breakfast", "kids", "noodles", "rice", "curries", "curry", "grill", "from the grill", "seafood",
    "add ons", "add-ons", "addons", "extras", "toppings", "bowls", "from the wok", "wok", "thai dishes",
    "rice dishes", "noodle dishes", "vegetable dishes", "chef's recommendations",
}
_DECOR = re.compile(r"^\s*[【\[「『〈《■◆●◇○▼▽★☆※〜~=＝\-—–|#*]+\s*(.+?)\s*[】\]」』〉》■◆●◇○▼▽★☆〜~=＝\-—–|#*]*\s*$")


def heading_like(text: str) -> bool:
    """Named or dressed as a heading: a known section word, decorated, or a few words in capitals."""
    s = wording.clean(text)
    return known_section(s) or bool(_DECOR.match(s)) and _DECOR.sub(r"\1", s) != s or \
        (s.isupper() and len(s.split()) <= 4)


def known_section(header: str) -> bool:
    """A category menus name their sections by (前菜, 刺身, Starters, Desserts)."""
    return header.lower().rstrip(":：") in SECTION_WORDS


def section_name(text: str, size: float, item_size: float, shouts: bool = False) -> tuple[Optional[str], bool]:
    """(header text, certain) if the line is a section header, else (None, False).

    Decorated headers (【お造り】) are certain; one known only by its size may also be a dish name. On a
    menu that `shouts` (names its dishes in capitals), capitals alone make no heading.
    """
    s = wording.clean(text)
    if len(s) > (40 if item_size and size >= 1.6 * item_size else 28) or not wording.has_words(s):
        return None, False
    bare = _DECOR.sub(r"\1", s).strip()
    if _DECOR.match(s) and bare != s:
        return bare, True
    if bare.lower().rstrip(":：") in SECTION_WORDS:
        return bare.rstrip(":："), False
    if item_size and size >= 1.25 * item_size and (len(bare) <= 20 or size >= 1.6 * item_size):
        return bare, False
    if not shouts and re.fullmatch(r"[A-Z][A-Z &'/-]{3,}", bare) and len(bare.split()) <= 4:
        return bare.title(), False
    return None, False


def undressed(text: str) -> str:
    """The heading's words without its dress (【お造り】 -> お造り)."""
    return _DECOR.sub(r"\1", wording.clean(text)).strip()


def set_apart(rows: list, is_dish: Callable[[str], bool], notes_like: Callable[[str], bool],
              named: Collection[int] = ()) -> set[int]:
    """Indices of rows that head the dishes under them; `named` rows (a price on the line under them
    pairs up to them) only when dressed or worded as a category is (砂鍋類, 一焼き物一)."""
    gaps: dict[int, list[float]] = {}
    for a, b in zip(rows, rows[1:]):
        if a.column == b.column and b.y0 > a.y1:
            gaps.setdefault(a.column, []).append(b.y0 - a.y1)
    usual = {c: statistics.median(g) for c, g in gaps.items()}
    out = set()
    for i, r in enumerate(rows):
        text = r.text.strip()
        if r.price or not re.search(r"[^\W\d_]", text) or is_dish(text) or notes_like(text):
            continue
        if _CATEGORY.match(text):
            out.add(i)
            continue
        if len(text.split()) > 4 or len(_CJK.findall(text)) > 8 or i in named:
            continue
        nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].column == r.column else None
        prev = rows[i - 1] if i and rows[i - 1].column == r.column else None
        if nxt is None or nxt.size < 0.85 * r.size or not (nxt.price or nxt.wordy):
            continue  # nothing under it, or its own description: a dish
        if wording.LIST_NUMBER.match(text) and any(wording.LIST_NUMBER.match(o.text) for o in rows[max(0, i - 2):i + 3]
                                                    if o is not r):
            # "1. CHOCOLATE CAKE" over "2. KALGUKSU" (or over its price, then "2. ..."), "8. MISO SOUP"
            # after "7. KIMBAP" in another column: a numbered list's dish (numbered headings, "2. Primi",
            # have dishes around them)
            continue
        apart = prev is None or r.y0 - prev.y1 >= max(0.9 * r.size, 2 * usual.get(r.column, 0.0))
        if apart and (nxt.price and not nxt.price_only or _dishlike_run(rows, i + 1, known_section(text))):
            out.add(i)
    return out


def _dishlike_run(rows: list, k: int, skip_smaller: bool = False) -> bool:
    """Two or more lines of one size in a column from k on: a list of dishes; `skip_smaller`: with their
    descriptions set smaller between them (under a category's name, 火鍋; not under a first dish whose
    heading stands in a block of its own: its own list's lines would pass so)."""
    run = [r for r in rows[k:k + (4 if skip_smaller else 3)] if r.column == rows[k].column and r.wordy
           and not (skip_smaller and r.size < 0.85 * rows[k].size)]
    return len(run) >= 2 and max(r.size for r in run) <= 1.2 * min(r.size for r in run)
