"""A menu's lines as rows to parse: cleaned, tick boxes off, an order sheet's several numbered dishes
on one line cut apart, each with its price found; and whether a row is the first half of a name that
goes on in the row under it."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable, Optional

from common.engines.local import wording
from common.engines.local.layout import Line
from common.engines.local.prices import Price, find_bare_price, find_price

# A line that ends like this has not finished its name.
_WRAPS = re.compile(r"(?<![^\W\d_])(?:with|and|&|in|of|on|au|aux|à la|alla|al|con|de|du|des|et|e|y|mit|und)\s*$"
                    r"|,\s*$", re.IGNORECASE)


@dataclass
class Row:
    """One menu line, or one of an order sheet's rows cut from it, with the price it ends in."""
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
        return bool(self.price) and not (wording.has_words(self.head) and wording.dish_name(self.head))

    @property
    def wordy(self) -> bool:
        return not self.price and wording.has_words(self.text)


# Order sheets put several numbered rows on one line: "101 传统铜锅 16元 102 羊肉 38元"; a cut goes after a
# price and before a row number (two to four digits) or a CJK name, and both sides must be priced
# (or a list's number of one digit, with its stop: "1. RAMEN S 15.00·L 19.00  1. BOSSAM S 9.50")
_ROW_CUT = re.compile(r"(?<=\d)\s+(?=[A-Z]?\d{2,4}[.、)]?\s*[^\W\d_]|\d[.、)]\s*[^\W\d_])"
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
        # "130元 170元" is one dish's two sizes: the part after a cut must name a dish of its own
        tail_name, tail_price = find_price(tail)
        if price and wording.has_words(head) and tail_price and wording.dish_name(tail_name):
            parts.insert(0, tail)
            rest = rest[: m.start()]
    return [rest, *parts]


def rows_of(lines: list[Line]) -> list[Row]:
    """The lines as rows to parse: cleaned, tick boxes off, order-sheet rows cut apart, prices found."""
    rows = []
    for ln in lines:
        text = _TICKS.sub(" ", wording.clean(ln.text)).strip()
        for part in _split_row(text) if text else []:
            head, price = find_price(part)
            first = min(ln.boxes, key=lambda b: b.x0) if ln.boxes else None
            rows.append(Row(part, head, price, ln.size, ln.x0, ln.y0, ln.bottom, ln.column,
                             first.y0 if first else ln.y0, first.y1 if first else ln.bottom,
                             ln.x1,
                             min((b.score for b in ln.boxes), default=1.0)))
    return rows


def bare_priced(r: Row, columns: bool = False) -> Row:
    """The row with the bare price a menu of bare-number prices prints (`find_bare_price`), if any."""
    head, price = find_bare_price(r.text, columns)
    return dataclasses.replace(r, head=head, price=price) if price and wording.dish_name(head) else r


def numbered_dish(r: Row, is_dish: Callable[[str], bool]) -> Row:
    """A known dish's name keeps its number (Chicken 65 is a dish, not Chicken at 65); the price is
    what follows it ("Chicken 65 12.95"), if anything does."""
    if not r.price or r.price_only or r.price.currency:
        return r
    if is_dish(r.text):
        return dataclasses.replace(r, head=r.text, price=None)
    first, _, rest = r.price.text.partition(" ")
    if rest and is_dish(f"{r.head} {first}"):
        head, price = find_price(rest)
        if price and not wording.has_words(head):
            return dataclasses.replace(r, head=f"{r.head} {first}", price=price)
    return r


def wraps(rows: list[Row], i: int) -> bool:
    """True when line i is the first half of the priced name under it ("Grilled Salmon with" /
    "Lemon Butter Sauce  $24")."""
    r = rows[i]
    nxt = rows[i + 1] if i + 1 < len(rows) else None
    if not (nxt and nxt.column == r.column and nxt.price and not nxt.price_only) or wording.prose(r.text):
        return False
    # Box heights vary with a word's letters ("and Gremolata" sits lower than "Braised Short Rib") and
    # with the page's slant in a photo: only a size far apart rules a wrap out here.
    if not (0.6 * r.size <= nxt.size <= r.size / 0.6) or abs(r.x0 - nxt.x0) > 0.5 * r.size:
        return False
    if bool(wording.CJK.search(r.text)) != bool(wording.CJK.search(nxt.head)):
        return False  # an English name above the Chinese one is the line's translation, not its start
    if wording.LIST_NUMBER.match(nxt.text):
        return False  # "2. Umeshu 12 16" starts a dish of a numbered list, whatever ends the line above
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
