"""Menu lines -> sections, items, prices and descriptions.

A line that ends in a price is an item. A line with no price is a section header when it is set
larger than the items, decorated (【】, ■, ~ ~), or a known section word; otherwise it describes the
item above it when it is set smaller, reads like a sentence, or the menu prices nearly every item;
otherwise it is an item without a price. A price alone on a line belongs to the item above.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Optional

from common.engines.local.layout import Line
from common.engines.local.prices import Price, find_price

SECTION_WORDS = {
    "前菜", "揚げ物", "焼き物", "焼物", "刺身", "お造り", "ご飯もの", "ご飯物", "麺類", "麺", "一品料理", "一品",
    "お飲み物", "飲み物", "ドリンク", "デザート", "甘味", "おすすめ", "本日のおすすめ", "名物", "定食", "丼物", "丼",
    "鍋", "鍋物", "サラダ", "おつまみ", "お品書き", "メニュー", "ランチ", "ディナー", "ソフトドリンク", "アルコール",
    "冷菜", "熱菜", "主食", "湯品", "點心", "点心", "飲料", "饮料", "甜點", "甜点", "招牌菜", "推薦", "推荐", "小吃",
    "主菜", "湯", "汤", "炒飯類", "麵類", "面类", "酒水", "菜單", "菜单",
    "starters", "appetizers", "antipasti", "entrées", "entrees", "mains", "main courses", "main dishes", "plats",
    "primi", "secondi", "pizza", "pizzas", "pasta", "desserts", "dolci", "postres", "drinks", "beverages",
    "boissons", "bebidas", "wine", "wines", "vins", "beer", "beers", "cocktails", "sides", "side dishes",
    "salads", "soups", "soup", "burgers", "sandwiches", "tapas", "raciones", "specials", "menu", "dinner", "lunch",
    "brunch", "breakfast", "kids", "noodles", "rice", "curries", "curry", "grill", "from the grill", "seafood",
}
_DECOR = re.compile(r"^\s*[【\[「『〈《■◆●◇○▼▽★☆※〜~=＝\-—–|#*]+\s*(.+?)\s*[】\]」』〉》■◆●◇○▼▽★☆〜~=＝\-—–|#*]*\s*$")
_BULLET = re.compile(r"^\s*(?:[0-9０-９]{1,3}[.)）:、]|[A-Za-z][0-9]{1,2}[.)]?|[①-⑳]|[・•●◆◇■□▪\-–—*])\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])\s+(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])")


_KANA_DASH = re.compile(r"(?<=[ァ-ヴー])[一—―‐-](?![一二三四五六七八九十百千万])")


@dataclass
class ParsedItem:
    name: str
    price: Optional[Price] = None
    section: Optional[str] = None
    description: list[str] = field(default_factory=list)


@dataclass
class ParsedMenu:
    items: list[ParsedItem]
    sections: list[str]
    text_chars: int


def clean(text: str) -> str:
    """NFKC, no stray spaces between CJK characters, single spaces elsewhere."""
    s = unicodedata.normalize("NFKC", text)
    s = _SPACE_BETWEEN_CJK.sub("", s)
    s = _KANA_DASH.sub("ー", s)  # OCR reads the long-vowel mark after katakana as 一 (one): バタ一 -> バター
    return re.sub(r"\s+", " ", s).strip()


def _name(head: str) -> str:
    s = _BULLET.sub("", head)
    s = re.sub(r"[\s.．·・…‥_\-–—:：|]+$", "", s)
    return s.strip(" \"'「」")


def _has_words(s: str) -> bool:
    return bool(re.search(r"[^\W\d_]", s))


def _is_sentence(s: str) -> bool:
    cjk = len(_CJK.findall(s))
    return cjk >= 14 or (cjk == 0 and len(s.split()) >= 6) or s.endswith(("。", ".")) and len(s) > 12


def section_name(text: str, size: float, item_size: float) -> tuple[Optional[str], bool]:
    """(header text, certain) if the line is a section header, else (None, False).

    Decorated headers (【お造り】) are certain; one known only by its size may also be a dish name.
    """
    s = clean(text)
    if len(s) > 28 or not _has_words(s):
        return None, False
    bare = _DECOR.sub(r"\1", s).strip()
    if _DECOR.match(s) and bare != s:
        return bare, True
    if bare.lower().rstrip(":：") in SECTION_WORDS:
        return bare.rstrip(":："), False
    if item_size and size >= 1.25 * item_size and len(bare) <= 20:
        return bare, False
    if re.fullmatch(r"[A-Z][A-Z &'/-]{3,}", bare) and len(bare.split()) <= 4:
        return bare.title(), False
    return None, False


def parse(lines: list[Line], is_dish: Callable[[str], bool] = lambda s: False) -> ParsedMenu:
    """Items in menu order with their sections, prices and descriptions."""
    rows = [(clean(ln.text), ln.size, ln.x0) for ln in lines]
    rows = [r for r in rows if r[0]]
    split = [(text, *find_price(text), size, x0) for text, size, x0 in rows]
    item_sizes = [size for _, head, price, size, _ in split if price and _has_words(head)]
    all_sizes = [size for *_, size, _ in split]
    item_size = statistics.median(item_sizes or all_sizes or [0])
    left = statistics.median([x0 for *_, x0 in split]) if split else 0
    priced_share = len(item_sizes) / max(1, len(split))

    items: list[ParsedItem] = []
    sections: list[str] = []
    section: Optional[str] = None
    current: Optional[ParsedItem] = None
    for text, head, price, size, x0 in split:
        if price and _has_words(head) and _name(head):
            current = ParsedItem(_name(head), price, section)
            items.append(current)
            continue
        if price:  # a price alone: it belongs to the item above when that has none
            if current and current.price is None:
                current.price = price
            continue
        header, certain = section_name(text, size, item_size)
        if header and (certain or not is_dish(header)):
            section, current = header, None
            sections.append(header)
            continue
        if not _has_words(text):
            continue
        smaller = item_size and size < 0.85 * item_size
        indented = item_size and x0 > left + 1.5 * item_size
        if current and (smaller or indented or _is_sentence(text) or text.startswith(("(", "（"))
                        or (priced_share >= 0.35 and not is_dish(text))):
            current.description.append(text)
            continue
        if _is_sentence(text):
            continue  # prose with no item above it: an address, an opening line, a note
        current = ParsedItem(_name(text), None, section)
        items.append(current)
    return ParsedMenu(items=[i for i in items if i.name], sections=sections,
                      text_chars=sum(len(t) for t, *_ in split))


def script_of(texts: list[str]) -> str:
    """The menu's writing system: ja, ko, th, zh-Hant, zh-Hans, vi or latin."""
    from common.engines.local.dishes import converter

    joined = "".join(texts)
    counts = {
        "kana": len(re.findall(r"[\u3040-\u30ff]", joined)),
        "hangul": len(re.findall(r"[\uac00-\ud7af]", joined)),
        "thai": len(re.findall(r"[\u0e00-\u0e7f]", joined)),
        "han": len(re.findall(r"[\u4e00-\u9fff]", joined)),
        "latin": len(re.findall(r"[A-Za-zÀ-ɏ]", joined)),
    }
    if counts["kana"] >= 3:
        return "ja"
    if counts["hangul"] >= 3:
        return "ko"
    if counts["thai"] >= 3:
        return "th"
    if counts["han"] >= max(3, counts["latin"] // 4):
        han = "".join(re.findall(r"[\u4e00-\u9fff]", joined))
        return "zh-Hant" if converter("t2s").convert(han) != han else "zh-Hans"
    if re.search(r"[ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", joined.lower()):
        return "vi"
    return "latin"
