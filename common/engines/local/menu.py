"""Menu lines -> sections, items, prices and descriptions.

A line that ends in a price is an item. A line with no price is a section header when it is set
larger than the items, decorated (【】, ■, ~ ~), or a known section word (`headings`); otherwise it
describes the item above it when it is set smaller, reads like a sentence, or the menu prices nearly
every item; otherwise it is an item without a price. A price alone on a line belongs to the name above
or the one below it (`pairing`). How a line's words read is `wording`'s; rows are `rows`'.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Optional

from common.engines.local import headings, labels, measures, notes, pairing, wording
from common.engines.local.layout import Line
from common.engines.local.prices import Price
from common.engines.local.rows import Row, numbered_dish, rows_of, wraps


@dataclass
class ParsedItem:
    name: str
    price: Optional[Price] = None
    section: Optional[str] = None
    description: list[str] = field(default_factory=list)
    ocr: float = 1.0      # OCR's confidence in its line
    size: float = 0.0     # its line's character size
    english: Optional[str] = None  # the name in English the menu prints under a CJK one (one of `description`)


@dataclass
class ParsedMenu:
    items: list[ParsedItem]
    sections: list[str]
    text_chars: int
    item_size: float = 0.0  # the size the menu sets its dishes in


def parse(lines: list[Line], is_dish: Callable[[str], bool] = lambda s: False) -> ParsedMenu:
    """Items in menu order with their sections, prices and descriptions."""
    is_dish = functools.lru_cache(maxsize=None)(is_dish)  # asked of a line up to three times
    rows = [numbered_dish(r, is_dish) for r in measures.with_list_numbers(rows_of(lines), is_dish)]
    shouts = measures.names_in_capitals(rows)
    rows = measures.with_bare_prices(rows, shouts, is_dish)
    m = measures.measure(rows, shouts, is_dish)

    items: list[ParsedItem] = []
    sections: list[str] = []
    section: Optional[str] = None
    current: Optional[ParsedItem] = None
    waiting: Optional[Price] = None  # a price that belongs to the name line below it
    wrapped: Optional[int] = None    # the first half of a name that goes on in the next line (rows.wraps)
    for i, r in enumerate(rows):
        text, head, price = r.text, r.head, r.price
        if notes.is_notice(text) and not (price and price.currency and not r.price_only):
            continue  # the address, the hours, a notice: never a dish, nor a dish's description
        if price and not r.price_only:
            name = wording.dish_name(head)
            if wrapped is not None and wrapped == i - 1:
                name = f"{wording.dish_name(rows[wrapped].text)} {name}"
            name, described_as = wording.described(name)
            current = ParsedItem(name, price, section, [described_as] if described_as else [], r.score, r.size)
            items.append(current)
            continue
        if price:
            if m.pairing.get(i) == "down":
                waiting = price
            elif current and current.price is None:
                current.price = price
            elif current and current.price and price.options and (not current.description or pairing.larger(current.price, price)):
                pairing.merge(current.price, price)  # "Glass 9" under "Bottle 36": more options of one price
            # else: an unlabelled price under a priced dish is the price of a name OCR lost
            continue
        header, certain = headings.section_name(text, r.size, m.item_size, m.shouts)
        is_name = i in m.named
        certain = certain or bool(header and not is_name and _heads_category(rows, i, header, m, is_dish))
        if not header and i in m.apart:
            header, certain = headings.undressed(text).strip(" 一ー"), True
        if header and (certain or not (is_name or is_dish(header))):
            section, current, waiting = header, None, None
            sections.append(header)
            continue
        if not wording.has_words(text):
            continue
        if is_name:
            current = ParsedItem(wording.dish_name(text), waiting if m.pairing.get(i - 1) == "down" else None,
                                 section, [], r.score, r.size)
            waiting = None
            items.append(current)
            continue
        if wraps(rows, i):
            wrapped = i
            continue
        place = _place(rows, i, m, current, is_dish)
        if place in ("description", "translation") and current:
            current.description.append(text)
            if place == "translation" and not current.english:
                current.english = text
            continue
        if place != "dish":
            continue  # a tagline, or prose with no item above it: an address, an opening line, a note
        name, described_as = wording.described(wording.dish_name(text))
        current = ParsedItem(name, None, section, [described_as] if described_as else [], r.score, r.size)
        items.append(current)
    # A line of price-column labels ("Small Large", "Glass Bottle") that no price column claimed.
    return ParsedMenu(items=[i for i in items if i.name and not _labels_only(i, is_dish) and not _specks(i, is_dish)],
                      sections=sections,
                      text_chars=sum(len(r.text) for r in rows), item_size=m.item_size)


def _heads_category(rows: list[Row], i: int, header: str, m: measures.Measures, is_dish: Callable[[str], bool]) -> bool:
    """A category's name (火鍋, 刺身: dishes too) over a priced list, set larger than its dishes, set apart
    from the lines above it over a list, or on a priced menu set no smaller than its dishes over a priced one."""
    r = rows[i]
    if not headings.known_section(header):
        return False
    nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].column == r.column else None
    # (over a priced name, its price on the line or stacked under it)
    over_priced = r.size >= m.item_size and bool(nxt and (nxt.price and not nxt.price_only or i + 1 in m.named))
    return r.size >= 1.15 * m.item_size or i in m.apart or m.priced >= 3 and (not is_dish(header) or over_priced)


def _place(rows: list[Row], i: int, m: measures.Measures, current: Optional[ParsedItem], is_dish: Callable[[str], bool]) -> str:
    """What a price-less line that is no heading is: "description" of the item above (or its printed
    English name, "translation"), "dish" of its own, or "none" (a tagline, prose with nothing above it)."""
    r, text = rows[i], rows[i].text
    # A line with a smaller one under it is a name even where the photo's perspective shrinks it.
    smaller = m.item_size and r.size < 0.85 * m.item_size and i not in m.described
    indented = m.item_size and r.x0 > m.left.get(r.column, r.x0) + 1.5 * m.item_size
    written = wording.is_sentence(text) or notes.is_description(text) or text.startswith(("(", "（"))
    # set in under the line above, and smaller: subordinate to it, however little smaller
    above = rows[i - 1] if i and rows[i - 1].column == r.column else None
    tucked = above and r.x0 >= above.x0 + 0.25 * above.size and r.size < 0.95 * above.size
    # Recall first: on a priced menu a line set as its dishes are, and not written as a description,
    # is a dish without a price (a set menu's courses, a price-less column beside a priced one).
    # Where a line stands and how large it is set say little on centred or photographed pages: a
    # name set as names are (Title Case, no list) stays a name under a Latin one; under a CJK name
    # a Latin line is its translation.
    # centred under the line above (a set menu's courses), not set in from its left edge
    centred = bool(above and r.x1 and above.x1 and max(abs(r.x0 - above.x0), r.x0 - m.left[r.column]) > r.size
                   and abs(r.x0 + r.x1 - above.x0 - above.x1) < r.size)
    set_as_name = current is not None and (wording.titled(text) and not wording.CJK.search(current.name)
                                           or wording.cjk_name(text) and bool(wording.CJK.search(current.name)))
    # (a line set as names are is a description only when clearly smaller: a box's height varies with
    # its glyphs, 和牛 against 剁椒田雞煲, CAKE against RIBEYE)
    much_smaller = m.item_size and r.size < 0.75 * m.item_size
    placed = (smaller or indented or tucked or (m.stacked and not is_dish(text))) and not (
        set_as_name and (centred or not (much_smaller or tucked))) and not wording.LIST_NUMBER.match(text)
    # A Latin line right under a CJK dish, with no price of its own: the dish's name in English.
    # (on a stacked menu the dish's price stands between them)
    named = rows[i - 2] if above and above.price_only and i >= 2 and rows[i - 2].column == r.column else above
    translated = current is not None and named is not None and not wording.CJK.search(text) \
        and bool(wording.CJK.search(named.head)) and any(current.name in h for h in (wording.clean(named.head), wording.dish_name(named.head)))
    # the page's title and the line centred under it, set smaller: its tagline (海港餐廳 / 精緻台菜), no dish
    below = rows[1] if i == 0 and len(rows) > 1 and rows[1].column == r.column else None
    if below and not below.price and _tagline(r, below, m) and not is_dish(text) and not is_dish(below.text):
        return "none"
    if i == 1 and above and not above.price and centred and _tagline(above, r, m) and not is_dish(text) \
            and not is_dish(above.text):
        return "none"
    if current and translated and not written:
        return "translation"
    if current and (placed or written or translated):
        return "description"
    return "none" if written else "dish"


def _tagline(title: Row, r: Row, m: measures.Measures) -> bool:
    """`r` is set under `title` as a tagline is: the title larger than the dishes, `r` much smaller, centred."""
    return title.size >= 1.1 * m.item_size and r.size < 0.8 * title.size and bool(title.x1 and r.x1) \
        and abs(r.x0 + r.x1 - title.x0 - title.x1) < r.size


def _specks(item: ParsedItem, is_dish: Callable[[str], bool]) -> bool:
    """A price-less "name" of one or two capitals or digits (D, CC, 00, O&), or of digits with a letter
    or none (£5.00E): an ornament, a logo's letter, a speck or a price OCR misread, never a dish. Short
    words in lower case stay (Bò, Gà), as do 7UP and a one-glyph CJK dish (粥)."""
    name = item.name
    if item.price or wording.CJK.search(name) or is_dish(name):
        return False
    letters = sum(c.isalpha() for c in name)
    return sum(c.isalnum() for c in name) <= 2 and not any(c.islower() for c in name) or \
        letters <= 1 and any(c.isdigit() for c in name)


def _labels_only(item: ParsedItem, is_dish: Callable[[str], bool]) -> bool:
    """A price-less line of price-column labels only ("Small Large", "Glass Bottle", "単品セット")."""
    return not item.price and all(map(labels.is_label, item.name.split())) and not is_dish(item.name)
