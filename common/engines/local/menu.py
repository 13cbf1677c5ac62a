"""Menu lines -> sections, items, prices and descriptions.

A line that ends in a price is an item. A line with no price is a section header when it is set
larger than the items, decorated (【】, ■, ~ ~), or a known section word; otherwise it describes the
item above it when it is set smaller, reads like a sentence, or the menu prices nearly every item;
otherwise it is an item without a price. A price alone on a line belongs to the name above or the
one below it, as the lines around it and the menu's other prices say (`_pairing`).
"""
from __future__ import annotations

import dataclasses
import functools
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Optional

from common.engines.local import headings, labels, notes
from common.engines.local.layout import Line
from common.engines.local.prices import Price, find_bare_price, find_price

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
}
_DECOR = re.compile(r"^\s*[【\[「『〈《■◆●◇○▼▽★☆※〜~=＝\-—–|#*]+\s*(.+?)\s*[】\]」』〉》■◆●◇○▼▽★☆〜~=＝\-—–|#*]*\s*$")
_BULLET = re.compile(r"^\s*(?:[0-9０-９]{1,3}[.)）:、]|[A-Za-z][0-9]{1,3}[.)]?|[①-⑳]|[・•●◆◇■□☐▪\-–—*#№]|No\.\s?\d{1,4}"
                     r"|\d{2,4}\s+(?=[^\W\d_])"
                     # an order sheet's row number run into its dish ("101传统铜锅"); never a count ("3色丼",
                     # "100年老店", "2人前")
                     r"|\d{3,4}(?![\d年人種种色品点點個个本枚貫贯皿串杯份])(?=[\u3400-\u9fff\u3040-\u30ff]))\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])\s+(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])")


# NFKC spells ½ as 1⁄2 (a fraction slash), which reads as the digits of a price: menus mean a half.
_VULGAR = {"1⁄2": "½", "1⁄4": "¼", "3⁄4": "¾", "1⁄3": "⅓", "2⁄3": "⅔"}
_FRACTION = re.compile(r"\d⁄\d")
_KANA_DASH = re.compile(r"(?<=[ァ-ヴー])[一—―‐-](?![一二三四五六七八九十百千万])")


@dataclass
class ParsedItem:
    name: str
    price: Optional[Price] = None
    section: Optional[str] = None
    description: list[str] = field(default_factory=list)
    ocr: float = 1.0      # OCR's confidence in its line
    size: float = 0.0     # its line's character size


@dataclass
class ParsedMenu:
    items: list[ParsedItem]
    sections: list[str]
    text_chars: int
    item_size: float = 0.0  # the size the menu sets its dishes in


def clean(text: str) -> str:
    """NFKC, no stray spaces between CJK characters, single spaces elsewhere."""
    s = _FRACTION.sub(lambda m: _VULGAR.get(m.group(0), m.group(0)), unicodedata.normalize("NFKC", text))
    s = _SPACE_BETWEEN_CJK.sub("", s)
    s = _KANA_DASH.sub("ー", s)  # OCR reads the long-vowel mark after katakana as 一 (one): バタ一 -> バター
    return re.sub(r"\s+", " ", s).strip()


def _name(head: str) -> str:
    s = _BULLET.sub("", head)
    s = re.sub(r"[\s.．·・…‥_\-–—:：|]+$", "", s)
    return s.strip(" \"'「」")


# A line that ends like this has not finished its name.
_WRAPS = re.compile(r"(?<![^\W\d_])(?:with|and|&|in|of|on|au|aux|à la|alla|al|con|de|du|des|et|e|y|mit|und)\s*$"
                    r"|,\s*$", re.IGNORECASE)
# "Margherita - tomato, mozzarella, basil": the name, a dash, dot or colon, then what the dish is;
# "BURRATA heirloom tomato, basil oil": a name in capitals, then what it is in lower case.
# (A dot needs a space beside it: Catalan writes Col·lecció.)
_NAME_THEN_WHAT = re.compile(r"^(?P<name>[^:|–—·•]{2,40}?)(?:\s*[-–—|~:]\s+|\s[·•]\s*|[·•]\s)(?P<what>.+)$"
                             r"|^(?P<name2>[^:]{2,40}?):\s+(?P<what2>.+)$"
                             r"|^(?P<name3>[A-Z][A-Z'’&\-]+(?: [A-Z][A-Z'’&\-]+){0,5})(?:\s*[·•]\s*|\s+)(?P<what3>[a-zà-ÿ].*,.+)$")


def _described(name: str) -> tuple[str, Optional[str]]:
    """(name, description) for a line that prints both; (name, None) when it is only a name."""
    m = _NAME_THEN_WHAT.match(name)
    if not m:
        return name, None
    head, what = next((m.group(f"name{n}"), m.group(f"what{n}")) for n in ("", "2", "3") if m.group(f"name{n}"))
    cjk = len(_CJK.findall(what))
    words = re.findall(r"[^\W\d_]{2,}", what)
    if len(head.split()) > 6 or not (len(words) >= 3 or ("," in what and len(words) >= 2) or cjk >= 6):
        return name, None
    if m.group("name3") and not re.search(r"[A-Z]{4}|[A-Z]+ [A-Z]+", head):
        return name, None  # BBQ pulled pork, XO fried rice: an acronym opens the name
    return head.strip(), what.strip()


def _wraps(rows: list[_Row], i: int) -> bool:
    """True when line i is the first half of the priced name under it ("Grilled Salmon with" /
    "Lemon Butter Sauce  $24")."""
    r = rows[i]
    nxt = rows[i + 1] if i + 1 < len(rows) else None
    if not (nxt and nxt.column == r.column and nxt.price and not nxt.price_only) or _prose(r.text):
        return False
    # Box heights vary with a word's letters ("and Gremolata" sits lower than "Braised Short Rib") and
    # with the page's slant in a photo: only a size far apart rules a wrap out here.
    if not (0.6 * r.size <= nxt.size <= r.size / 0.6) or abs(r.x0 - nxt.x0) > 0.5 * r.size:
        return False
    if bool(_CJK.search(r.text)) != bool(_CJK.search(nxt.head)):
        return False  # an English name above the Chinese one is the line's translation, not its start
    prev = rows[i - 1] if i and rows[i - 1].column == r.column else None
    # Gaps between the lines' first boxes (a slanted line's own extent spans its slant), negative
    # where padded boxes overlap.
    gap_down = nxt.head_y0 - r.head_y1
    gap_up = r.head_y0 - prev.head_y1 if prev else 0.0
    # A name wraps because it ran out of room: its first half reaches across the column, where a
    # heading set like a dish stops short; the halves touch, and a description hugs its own dish.
    span = [x for row in rows if row.column == r.column for x in (row.x0, row.x1) if row.x1]
    reaches = bool(r.x1 and span) and r.x1 - r.x0 >= 0.5 * (max(span) - min(span))
    letters = [c for c in r.text if c.isalpha()]
    shouted = sum(c.isupper() for c in letters) >= 0.7 * len(letters) and not nxt.head.isupper()
    if prev and reaches and not shouted and gap_down <= 0.25 * r.size and gap_up - gap_down > 0.15 * r.size:
        return len(r.text) <= 80
    # Where the gaps do not tell, the line must end mid-name and start and be set as a name is.
    if not _WRAPS.search(r.text) or len(r.text.split()) > 6 or not 0.85 * r.size <= nxt.size <= r.size / 0.85:
        return False
    if "," in r.text.rstrip(", ") or r.text[:1].islower():
        return False
    return prev is None or max(0.0, gap_down) <= max(0.0, gap_up) + 0.15 * r.size


def _prose(s: str) -> bool:
    """A note rather than a name: a sentence with a full stop, or words mostly in lower case (a name
    is set in capitals or Title Case, its description after a dash aside)."""
    if len(_CJK.findall(s)) >= 14 or (s.rstrip().endswith((".", "。")) and len(s) > 12):
        return True
    words = s.split()
    return not _NAME_THEN_WHAT.match(s) and len(words) >= 6 and sum(w[:1].islower() for w in words) > len(words) / 2


def _titled(s: str) -> bool:
    """Set as a Latin dish's name is: a few words, each longer one capitalised, no list, no CJK."""
    words = re.findall(r"[^\W\d_]+", s)
    if not words or len(words) > 6 or _CJK.search(s) or "," in s or not words[0][0].isupper():
        return False
    return all(w[0].isupper() for w in words if len(w) >= 4)


def _labels_only(item: ParsedItem, is_dish: Callable[[str], bool]) -> bool:
    """A price-less line of price-column labels only ("Small Large", "Glass Bottle", "単品セット")."""
    return not item.price and all(map(labels.is_label, item.name.split())) and not is_dish(item.name)


def _heading_like(text: str) -> bool:
    """Named or dressed as a heading: a known section word, decorated, or a few words in capitals."""
    s = clean(text)
    return _known_section(s) or bool(_DECOR.match(s)) and _DECOR.sub(r"\1", s) != s or \
        (s.isupper() and len(s.split()) <= 4)


def _known_section(header: str) -> bool:
    return header.lower().rstrip(":：") in SECTION_WORDS


def _cjk_name(s: str) -> bool:
    """Set as a CJK dish's name is: a few characters (XO醬 allowed), no list, no sentence."""
    return bool(re.fullmatch(r"[A-Za-z]{0,3}[\u3040-\u30ff\u3400-\u9fff]{2,12}", s))


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
    if len(s) > (40 if item_size and size >= 1.6 * item_size else 28) or not _has_words(s):
        return None, False
    bare = _DECOR.sub(r"\1", s).strip()
    if _DECOR.match(s) and bare != s:
        return bare, True
    if bare.lower().rstrip(":：") in SECTION_WORDS:
        return bare.rstrip(":："), False
    if item_size and size >= 1.25 * item_size and (len(bare) <= 20 or size >= 1.6 * item_size):
        return bare, False
    if re.fullmatch(r"[A-Z][A-Z &'/-]{3,}", bare) and len(bare.split()) <= 4:
        return bare.title(), False
    return None, False


@dataclass
class _Row:
    text: str
    head: str
    price: Optional[Price]
    size: float
    x0: float
    y0: float
    y1: float
    column: int
    # The line's first box, top and bottom: on a slanted photo the line's own extent spans its slant,
    # while successive lines' first boxes stay as far apart as the lines are.
    head_y0: float = 0.0
    head_y1: float = 0.0
    x1: float = 0.0       # right edge; 0 when unknown
    score: float = 1.0    # OCR's confidence in the line, its least sure box's

    @property
    def price_only(self) -> bool:
        return bool(self.price) and not (_has_words(self.head) and _name(self.head))

    @property
    def wordy(self) -> bool:
        return not self.price and _has_words(self.text)


# Order sheets put several numbered rows on one line: "101 传统铜锅 16元 102 羊肉 38元"; a cut goes after a
# price and before a row number (two to four digits) or a CJK name, and both sides must be priced.
_ROW_CUT = re.compile(r"(?<=\d)\s+(?=[A-Z]?\d{2,4}[.、)]?\s*[^\W\d_])"
                      r"|(?<=[元円圓块원€份瓶本杯串个個位人])\s*(?=[A-Z]?\d{2,4}[.、)]?\s*[^\W\d_])"
                      # a dish of one character (粥, 麵), not an option of the price before (冰 35元, 半 100元)
                      r"|(?<=[元円圓块원份瓶本杯串个個位人])\s*(?=(?![大中小半一][碗份盤盘隻只杯])[\u3400-\u9fff]{2,}"
                      r"|(?![冰熱热溫温冷半加大中小辣])[\u3400-\u9fff](?![\u3400-\u9fff]))")


# Tick boxes of order sheets; OCR often reads an empty box after a price as 口 (mouth).
_TICKS = re.compile(r"[□☐▢◻◽❏❑☑✓✔]|(?<=[\d元円份瓶本杯串个個位人])\s*口(?=\s|$|\d)")


# A price opening a line that ends in another ("10元 家常豆腐煲 26元"): the price of a name OCR lost in
# the column to the left; it is dropped, or the name after it would carry it.
_ORPHAN_PRICE = re.compile(r"^\s*\d{1,6}(?:[.,]\d{1,2})?\s*[元円圓块원](?:/\S)?\s*(?=[\u3400-\u9fff\uac00-\ud7af])")


def _split_row(text: str) -> list[str]:
    orphan = _ORPHAN_PRICE.match(text)
    if orphan and find_price(text[orphan.end():])[1]:
        text = text[orphan.end():]
    parts, rest = [], text
    for m in reversed(list(_ROW_CUT.finditer(text))):
        tail, (head, price) = rest[m.end():], find_price(rest[: m.start()])
        if price and _has_words(head) and find_price(tail)[1]:
            parts.insert(0, tail)
            rest = rest[: m.start()]
    return [rest, *parts]


def _rows(lines: list[Line]) -> list[_Row]:
    rows = []
    for ln in lines:
        text = _TICKS.sub(" ", clean(ln.text)).strip()
        for part in _split_row(text) if text else []:
            head, price = find_price(part)
            first = min(ln.boxes, key=lambda b: b.x0) if ln.boxes else None
            rows.append(_Row(part, head, price, ln.size, ln.x0, ln.y0, ln.bottom, ln.column,
                             first.y0 if first else ln.y0, first.y1 if first else ln.bottom,
                             max((b.x1 for b in ln.boxes), default=0.0),
                             min((b.score for b in ln.boxes), default=1.0)))
    return rows


def _bare_priced(r: _Row) -> _Row:
    head, price = find_bare_price(r.text)
    return dataclasses.replace(r, head=head, price=price) if price and _name(head) else r


def _numbered_dish(r: _Row, is_dish: Callable[[str], bool]) -> _Row:
    """A known dish's name keeps its number (Chicken 65 is a dish, not Chicken at 65); the price is
    what follows it ("Chicken 65 12.95"), if anything does."""
    if not r.price or r.price_only or r.price.currency:
        return r
    if is_dish(r.text):
        return dataclasses.replace(r, head=r.text, price=None)
    first, _, rest = r.price.text.partition(" ")
    if rest and is_dish(f"{r.head} {first}"):
        head, price = find_price(rest)
        if price and not _has_words(head):
            return dataclasses.replace(r, head=f"{r.head} {first}", price=price)
    return r


def _pairing(rows: list[_Row]) -> dict[int, str]:
    """For each price printed alone on its line: "up" when it belongs to the name line above, "down"
    when to the one below it in the same column."""
    out, unsure = {}, []
    for i, r in enumerate(rows):
        if not r.price_only:
            continue
        above = rows[i - 1] if i and rows[i - 1].wordy and (rows[i - 1].column == r.column
                                                             or _just_above(rows[i - 1], r)) else None
        below = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].column == r.column and rows[i + 1].wordy else None
        if not (above and below):
            # a price over a description is the price of a name above it that a cut left in another block
            out[i] = "down" if below and not notes.is_description(below.text) else "up"
            continue
        # OCR boxes carry padding, so touching lines overlap: a gap below zero is no gap at all.
        gap_up, gap_down, h = max(0.0, r.y0 - above.y1), max(0.0, below.y0 - r.y1), r.y1 - r.y0
        written_below, written_above = (notes.is_description(x.text) or _is_sentence(x.text) for x in (below, above))
        if written_below != written_above:
            out[i] = "up" if written_below else "down"  # a price goes with a name, not a description
        elif not any(rows[k].column == r.column and rows[k].wordy for k in range(i - 1)):
            unsure.append(i)  # the line above opens the column: the restaurant's name, or the first dish
        # Box heights vary with a word's letters ("Ramune" sits lower than "Kung Pao"), so only a
        # clearly smaller line counts as set smaller.
        elif below.size < 0.75 * above.size and section_name(above.text, above.size, 0)[0] is None:
            out[i] = "up"  # a name above, its description (set smaller) below
        elif above.size < 0.75 * min(below.size, r.size):
            out[i] = "down"  # the dish above's description (set smaller than names and prices), the next name
        elif gap_up > 0.3 * h and gap_down < 0.5 * gap_up:
            out[i] = "down"
        elif gap_down > 0.3 * h and gap_up < 0.5 * gap_down:
            out[i] = "up"
        else:
            unsure.append(i)
    # A menu sets all its prices one way: one that the lines around it do not decide goes the way
    # the menu's clear cases go, and up when they do not agree.
    votes = list(out.values())
    way = "down" if votes.count("down") >= 2 and votes.count("down") >= 2 * votes.count("up") else "up"
    out.update({i: way for i in unsure})
    return dict(sorted(out.items()))


def _just_above(name: _Row, price: _Row) -> bool:
    """A name line set flush over a price line, though a cut put them in two blocks."""
    return abs(name.x0 - price.x0) < 0.6 * price.size and -0.3 * price.size <= price.y0 - name.y1 < price.size


def _merge(into: Price, more: Price) -> None:
    """A second price line for one dish (by portion or protein) becomes more options of its price."""
    into.options = (into.options or ([("", into.amount)] if into.amount else [])) + (
        more.options or ([("", more.amount)] if more.amount else []))
    into.text = f"{into.text} / {more.text}"
    amounts = [a for _, a in into.options if a is not None]
    into.amount = min(amounts) if amounts else into.amount


def parse(lines: list[Line], is_dish: Callable[[str], bool] = lambda s: False) -> ParsedMenu:
    """Items in menu order with their sections, prices and descriptions."""
    is_dish = functools.lru_cache(maxsize=None)(is_dish)  # asked of a line up to three times
    rows = [_numbered_dish(r, is_dish) for r in _rows(lines)]
    priced = [r for r in rows if r.price and not r.price.market and not r.price_only]
    if len(priced) >= 3 and sum(1 for r in priced if not r.price.currency) >= 0.6 * len(priced):
        # A menu of bare numbers ("Panna Cotta 15"): its one-digit prices are prices too, on lines
        # set as its dishes are (not a description's allergen codes, not a heading's COMBO 1).
        size = statistics.median(r.size for r in priced)
        rows = [_bare_priced(r) if not r.price and r.wordy and 0.85 * size <= r.size <= 1.2 * size
                and not r.text.isupper() and not is_dish(r.text) else r for r in rows]
    pairing = _pairing(rows)
    named = {i - 1 for i, d in pairing.items() if d == "up"} | {i + 1 for i, d in pairing.items() if d == "down"}
    item_sizes = [r.size for i, r in enumerate(rows) if (r.price and not r.price_only) or i in named]
    # A menu without prices: its dishes are the lines with a smaller line (a description) under them.
    described = set() if item_sizes else {i for i, (r, below) in enumerate(zip(rows, rows[1:])) if r.wordy
                                          and below.wordy and below.column == r.column and below.size < 0.85 * r.size}
    # ...and its dishes are set at the size most of its lines are: not its descriptions (written as
    # such), not its headings (few, and they too have smaller lines under them).
    # Headings too have a smaller line under them: the ones set apart, named or dressed as headings are not
    # counted; where too few dishes are left, the median of the plain lines (not descriptions) is.
    apart = headings.set_apart(rows, is_dish, lambda s: notes.is_notice(s) or notes.is_description(s))
    names = [rows[i].size for i in described if i not in apart and not _heading_like(rows[i].text)]
    plain = [r.size for r in rows if r.wordy and not (_is_sentence(r.text) or notes.is_description(r.text))]
    item_size = statistics.median(item_sizes or (names if len(names) >= 3 else None)
                                  or (plain if len(plain) >= 3 else None) or [r.size for r in rows] or [0])
    left = {c: statistics.median(r.x0 for r in rows if r.column == c) for c in {r.column for r in rows}}
    # Stacked menus print the price on a line of its own: every other wordy line describes a dish.
    stacked = len(pairing) >= 2 and len(pairing) >= 0.5 * len(item_sizes)

    items: list[ParsedItem] = []
    sections: list[str] = []
    section: Optional[str] = None
    current: Optional[ParsedItem] = None
    waiting: Optional[Price] = None  # a price that belongs to the name line below it
    wrapped: Optional[int] = None    # the first half of a name that goes on in the next line (_wraps)
    for i, r in enumerate(rows):
        text, head, price = r.text, r.head, r.price
        if notes.is_notice(text) and not (price and price.currency and not r.price_only):
            continue  # the address, the hours, a notice: never a dish, nor a dish's description
        if price and not r.price_only:
            name = _name(head)
            if wrapped is not None and wrapped == i - 1:
                name = f"{_name(rows[wrapped].text)} {name}"
            name, described_as = _described(name)
            current = ParsedItem(name, price, section, [described_as] if described_as else [], r.score, r.size)
            items.append(current)
            continue
        if price:
            if pairing.get(i) == "down":
                waiting = price
            elif current and current.price is None:
                current.price = price
            elif current and current.price and price.options:
                _merge(current.price, price)  # "Glass 9" under "Bottle 36": more options of one price
            # else: an unlabelled price under a priced dish is the price of a name OCR lost
            continue
        header, certain = section_name(text, r.size, item_size)
        is_name = i in named
        # a category's name (火鍋, 刺身: dishes too) over a priced list, or set larger than its dishes
        certain = certain or bool(header and not is_name and _known_section(header) and (
            r.size >= 1.15 * item_size or len(item_sizes) >= 3 and not is_dish(header)))
        if not header and i in apart:
            header, certain = _DECOR.sub(r"\1", clean(text)).strip(" 一ー"), True
        if header and (certain or not (is_name or is_dish(header))):
            section, current, waiting = header, None, None
            sections.append(header)
            continue
        if not _has_words(text):
            continue
        if is_name:
            current = ParsedItem(_name(text), waiting if pairing.get(i - 1) == "down" else None, section, [],
                                 r.score, r.size)
            waiting = None
            items.append(current)
            continue
        if _wraps(rows, i):
            wrapped = i
            continue
        # A line with a smaller one under it is a name even where the photo's perspective shrinks it.
        smaller = item_size and r.size < 0.85 * item_size and i not in described
        indented = item_size and r.x0 > left.get(r.column, r.x0) + 1.5 * item_size
        written = _is_sentence(text) or notes.is_description(text) or text.startswith(("(", "（"))
        # set in under the line above, and smaller: subordinate to it, however little smaller
        above = rows[i - 1] if i and rows[i - 1].column == r.column else None
        tucked = above and r.x0 >= above.x0 + 0.25 * above.size and r.size < 0.95 * above.size
        # Recall first: on a priced menu a line set as its dishes are, and not written as a description,
        # is a dish without a price (a set menu's courses, a price-less column beside a priced one).
        # Where a line stands and how large it is set say little on centred or photographed pages: a
        # name set as names are (Title Case, no list) stays a name under a Latin one; under a CJK name
        # a Latin line is its translation.
        # centred under the line above (a set menu's courses), not set in from its left edge
        centred = bool(above and r.x1 and above.x1 and max(abs(r.x0 - above.x0), r.x0 - left[r.column]) > r.size
                       and abs(r.x0 + r.x1 - above.x0 - above.x1) < r.size)
        placed = (smaller or indented or tucked or (stacked and not is_dish(text))) and not (
            current is not None and (centred or not (smaller or tucked))
            and (_titled(text) and not _CJK.search(current.name) or _cjk_name(text) and _CJK.search(current.name)))
        # A Latin line right under a CJK dish, with no price of its own: the dish's name in English.
        translated = current is not None and above is not None and not _CJK.search(text) \
            and bool(_CJK.search(above.head)) and current.name in clean(above.head)
        # a line centred under the page's title, set smaller: its tagline (正宗川菜), no dish
        if i == 1 and above and above.size >= 1.8 * item_size and centred and r.size < 0.8 * above.size \
                and not is_dish(text):
            continue
        if current and (placed or written or translated):
            current.description.append(text)
            continue
        if written:
            continue  # prose with no item above it: an address, an opening line, a note
        name, described_as = _described(_name(text))
        current = ParsedItem(name, None, section, [described_as] if described_as else [], r.score, r.size)
        items.append(current)
    # A line of price-column labels ("Small Large", "Glass Bottle") that no price column claimed.
    return ParsedMenu(items=[i for i in items if i.name and not _labels_only(i, is_dish)],
                      sections=sections,
                      text_chars=sum(len(r.text) for r in rows), item_size=item_size)


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
