"""What the whole menu says about its lines before any is read (`menu`): the size it sets its dishes
in, which name a price on its own line belongs to, which lines it sets apart as headings, whether it
names its dishes in capitals, the bare-number prices such a menu also prints, and the bare numbers
it numbers its dishes by."""
from __future__ import annotations

import dataclasses
import re
import statistics
from dataclasses import dataclass
from typing import Callable

from common.engines.local import headings, labels, notes, pairing, wording
from common.engines.local.rows import Row, bare_priced


@dataclass
class Measures:
    """What the whole menu says about its lines before any is read: how its dishes are set."""
    pairing: dict[int, str]   # a price alone on its line -> "up" or "down" (`pairing.pair`)
    named: set[int]           # the name lines those prices belong to
    priced: int               # lines that name a dish with a price, or are named by one
    described: set[int]       # on a price-less menu: lines with a smaller line under them
    apart: set[int]           # lines set apart as headings (`headings.set_apart`)
    item_size: float          # the size the menu sets its dishes in
    left: dict[int, float]    # each column's left edge
    stacked: bool             # prices on lines of their own: every other wordy line describes a dish
    shouts: bool              # the menu sets its dishes in capitals: capitals make no heading


_TWO_AMOUNTS = re.compile(r"\d+(?:[.,]\d+)?(?:\s*_)?\s+\d+(?:[.,]\d+)?")


_BARE_NUMBER = re.compile(r"^(\s*)(\d{1,2})(\s+)(?=[^\W\d_])")
# (a count of what follows, never a list's number: 2 人前, 3 pcs, 4 Scoops)
_COUNTED = re.compile(r"^\s*\d{1,2}\s+(?:人前|人份|份|個|个|枚|本|串|pcs?\b|pieces?\b|scoops?\b|pax\b)", re.I)
LISTED = 4  # dishes numbered in sequence before a menu is taken to number its dishes with bare numbers


def with_list_numbers(rows: list[Row], is_dish: Callable[[str], bool]) -> list[Row]:
    """The rows, with the bare numbers a menu numbers its dishes by read as a list's ("1 RAMEN" as "1.
    RAMEN"): a photo's blur loses the dot, and some menus print none."""
    # No counts, no known dish's own number; a dotted number the blur kept (4. FOIE GRAS) counts too.
    numbered = [(i, n) for i, r in enumerate(rows) if (n := _number(r.text)) is not None and not r.price_only
                and not _COUNTED.match(r.text) and not is_dish(r.head)]
    listed: set[int] = set()
    chain = numbered[:1]
    for (i, n), (j, o) in zip(numbered, numbered[1:] + [(-1, -1)]):
        # (one number may be missing between, misread: 4. FOIE GRAS, S BAKLAVA, 6. BHINDI MASALA)
        if n < o <= n + 2 and 0 < j - i <= 3 and rows[i].column == rows[j].column:
            chain.append((j, o))
            continue
        # (a list prices its lines, most of them: numbered headings, 1 ANTIPASTI, 2 PRIMI, are priced
        # none; and it names different dishes: 1 Scoop, 2 Scoops, 3 Scoops are counts)
        words = {_BARE_NUMBER.sub("", wording.LIST_NUMBER.sub("", rows[k].head)).split(" ")[0].lower().rstrip("s")
                 for k, _ in chain}
        priced = sum(1 for k, _ in chain if rows[k].price)
        if len(chain) >= LISTED and priced >= 0.75 * len(chain) and len(words) > len(chain) / 2:
            listed |= {k for k, _ in chain}
        chain = [(j, o)]
    if not listed:
        return rows
    return [dataclasses.replace(r, text=_BARE_NUMBER.sub(r"\1\2.\3", r.text, count=1),
                                head=_BARE_NUMBER.sub(r"\1\2.\3", r.head, count=1)) if i in listed else r
            for i, r in enumerate(rows)]


def _number(text: str) -> int | None:
    # (the list's number a line opens with, dotted or bare; two digits at most, a bare one)
    if m := wording.LIST_NUMBER.match(text):
        return int(m.group(1))
    return int(m.group(2)) if (m := _BARE_NUMBER.match(text)) else None


def with_bare_prices(rows: list[Row], shouts: bool, is_dish: Callable[[str], bool]) -> list[Row]:
    """The rows, with the bare prices a menu of bare-number prices also prints read (`rows.bare_priced`)."""
    priced = [r for r in rows if r.price and not r.price.market and not r.price_only]
    if len(priced) >= 3 and sum(1 for r in priced if not r.price.currency) >= 0.6 * len(priced):
        # A menu of bare numbers ("Panna Cotta 15"): its one-digit prices are prices too, on lines
        # set as its dishes are (not a description's allergen codes, not a heading's COMBO 1).
        # (A menu that sets its dishes in capitals prices them so too: there a line in capitals is a dish.)
        size = statistics.median(r.size for r in priced)
        # (a menu with two price columns, "Umeshu 12 16" three times or more, prints "Gelato 5 7" too)
        columns = sum(1 for r in priced if _TWO_AMOUNTS.fullmatch(r.price.text.strip())) >= 3
        rows = [bare_priced(r, columns) if not r.price and r.wordy and 0.85 * size <= r.size <= 1.2 * size
                and (shouts or not r.text.isupper()) and not is_dish(r.text) else r for r in rows]
    return rows


def measure(rows: list[Row], shouts: bool, is_dish: Callable[[str], bool]) -> Measures:
    """How the menu sets its dishes, from all its rows: the size, the prices' pairing, its headings."""
    pairs = pairing.pair(rows, shouts)
    named = {n for i, d in pairs.items() if d == "up" and (n := _named_up(rows, i)) is not None} | \
        {i + 1 for i, d in pairs.items() if d == "down"}
    item_sizes = [r.size for i, r in enumerate(rows) if (r.price and not r.price_only) or i in named]
    # A menu without prices (or one or two: a set menu's, a drink's) is measured by its other lines:
    # its dishes are the lines with a smaller line (a description) under them...
    few = len(item_sizes) < 3
    described = {i for i, (r, below) in enumerate(zip(rows, rows[1:])) if r.wordy and below.wordy
                 and below.column == r.column and below.size < 0.85 * r.size} if few else set()
    # ...and its dishes are set at the size most of its lines are: not its descriptions (written as
    # such), not its headings (few, and they too have smaller lines under them).
    # Headings too have a smaller line under them: the ones set apart, named or dressed as headings are not
    # counted; where too few dishes are left, the median of the plain lines (not descriptions) is.
    # (a category that is also a dish, 火鍋, is set apart as other headings are)
    # (a price paired up to a line makes it a dish's name, unless the line only labels a price column)
    dishes = {i for i in named if not all(map(labels.is_label, rows[i].text.split()))}
    apart = headings.set_apart(rows, lambda s: is_dish(s) and not headings.known_section(wording.clean(s)),
                               lambda s: notes.is_notice(s) or notes.is_description(s), dishes)
    names = [rows[i].size for i in described if i not in apart and not headings.heading_like(rows[i].text)]
    plain = [r.size for r in rows if r.wordy and not (wording.is_sentence(r.text) or notes.is_description(r.text))]
    item_size = statistics.median((item_sizes if not few else None) or (names if len(names) >= 3 else None)
                                  or (plain if len(plain) >= 3 else None) or item_sizes or [r.size for r in rows] or [0])
    left = {c: statistics.median(r.x0 for r in rows if r.column == c) for c in {r.column for r in rows}}
    stacked = len(pairs) >= 2 and len(pairs) >= 0.5 * len(item_sizes)
    return Measures(pairs, named, len(item_sizes), described, apart, item_size, left, stacked, shouts)


def _named_up(rows: list[Row], i: int) -> int | None:
    """The row a price paired up to names: the line above it, or, when that describes a dish, the dish's
    name over it; none when the dish is priced already (the price is one whose name OCR lost)."""
    j = i - 1
    if rows[j].price_only:
        return None  # a second price line of one dish ("Bottle 44" under "Glass 11")
    k = pairing.described(rows, j) if pairing.written(rows[j].text) else None
    if k is None:
        return j
    if rows[k].price and not rows[k].price_only:
        return None
    return k if rows[k].wordy else j


def names_in_capitals(rows: list[Row]) -> bool:
    """Most of the menu's priced dishes (three or more, in Latin letters) are named in capitals; on a menu
    with fewer priced, most of its lines that are no prose (six or more)."""
    heads = [r.head for r in rows if r.price and not r.price_only and re.search(r"[A-Za-z]{2}", r.head)]
    if len(heads) < 3:  # a menu without prices: its lines that are no prose
        heads = [r.text for r in rows if r.wordy and re.search(r"[A-Za-z]{2}", r.text)
                 and not (wording.is_sentence(r.text) or notes.is_description(r.text) or notes.is_notice(r.text))]
        if len(heads) < 6:
            return False
    return len(heads) >= 3 and sum(1 for h in heads if h.isupper()) >= 0.6 * len(heads)
