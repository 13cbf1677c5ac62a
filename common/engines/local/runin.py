"""Text run across a gutter, cut apart again: a column's price and the next column's name read as one box
("74元 椒鹽排骨", "17元火雞肉飯"), and a row of boxes from two columns (or two photo captions) that no
gutter cut separated, told by a gap far wider than a word space."""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

from common.engines.local import sizes
from common.engines.local.layout import Box
from common.engines.local.prices import find_price

WORDS_APART = 2.5   # ems between two names on one row that are two columns' (or two captions')
AFTER_PRICE = 1.5   # ems between a price and the name after it that start another column
CAPTIONS_APART = 1.0  # ems between two names on one row that each have their own price under them
_KINDS = {k.lower() for k in sizes.KINDS}
SAME_SIZES_APART = 0.4  # ems after a dish priced in sizes before a name priced in the same ones: past a word space

# A price that opens a box and words after it: OCR ran a column's price into the next column's name
# across a narrow gutter ("74元 椒鹽排骨").
_LEADING_PRICE = re.compile(r"^\s*(?:(?:NT\$|HK\$|[$€£¥￥])\s?\d[\d,.]*|\d[\d,.]*\s?(?:元|円|圓|块|€))"
                            r"(?:\s+(?=[^\W\d_])|(?=[\u3400-\u9fff]{2}))")


def split_run_in(boxes: list[Box]) -> list[Box]:
    """Boxes OCR ran across a gutter (a price, then the next column's name) cut in two where the price ends."""
    out = []
    for b in boxes:
        m = _LEADING_PRICE.match(b.text)
        if not m or b.vertical:
            out.append(b)
            continue
        # The seam is known to a third of an em either way: each piece ends short of it, so the gutter
        # it was in shows as one.
        tl, tr, br, bl = b.points
        width = max(_ems(b.text), 1e-6)
        seam = _ems(m.group(0).rstrip()) + 0.15
        pieces = []
        for f0, f1 in ((0.0, (seam - 0.35) / width), ((seam + 0.35) / width, 1.0)):
            pieces.append([_at(tl, tr, f0), _at(tl, tr, f1), _at(bl, br, f1), _at(bl, br, f0)])
        out += [Box(m.group(0).strip(), b.score, pieces[0]), Box(b.text[m.end():], b.score, pieces[1])]
    return out


def _at(a: tuple, b: tuple, f: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f


def _ems(text: str) -> float:
    """A text's width in ems, roughly: CJK characters are square, Latin ones about half as wide."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.3 if c.isspace() else 0.55 for c in text)


def split_row(row: list[Box], price_only: Callable[[Box], bool], prices: list[Box] = ()) -> list[list[Box]]:
    """A row of boxes, left to right, cut where a gap says a new column starts: before a name of its own
    (priced or not), a little after a price, far after words, or between two captions that each have
    their own price under them (`prices`: the block's; a grid of photo tiles). A price's options ("Chicken 10
    Beef 12") stay with their row."""
    size = max(1.0, max(b.h for b in row))  # a degenerate OCR quad has no height
    parts = [[row[0]]]
    for i, b in enumerate(row[1:], 1):
        gap = (b.x0 - row[i - 1].x1) / size
        rest = " ".join(o.text for o in row[i:])
        head, price = find_price(rest)
        # a name of its own starts as names do (a capital, CJK), not as a count, a unit or a mark does
        # ("6 pcs", "double shot", "V GF")
        # (or as a numbered list's do: "6. KIMBAP")
        own_name = bool(re.match(r"(?:\d{1,3}\s?[.)．]\s*)?[A-ZÀ-Ý\u3040-\u30ff\u3400-\u9fff]", rest)) and (
            not price or len(re.findall(r"[^\W\d_]{3,}", head)) >= 2 or len(re.findall(r"[\u3400-\u9fff]", head)) >= 2)
        # (after a price alone, or one OCR read in one box with its dish's name before a priced name: an
        # unpriced note after a dish, "Chef's Choice", "Steamed or Fried", stays on its row)
        last = find_price(row[i - 1].text)[1] if price else None  # (read only when a priced name may follow)
        after_price = price_only(row[i - 1]) or bool(last)
        apart = AFTER_PRICE if after_price else CAPTIONS_APART if _captions(row[i - 1], b, prices) else WORDS_APART
        # A dish priced in sizes, then a name priced in the same sizes: two columns' dishes, however
        # narrow the gutter ("CHOW MEIN S $22.25 / L $28.25 | MADRAS S $10.25 · L $13.25").
        if last and len(last.options) >= 2 and _labels(last) == _labels(price) and gap >= SAME_SIZES_APART \
                and re.match(r"[A-ZÀ-Ý\u3040-\u30ff\u3400-\u9fff]", rest) and re.search(r"[^\W\d_]{3,}|[\u3400-\u9fff]{2}", head) \
                and head.strip().lower() not in _KINDS:  # a protein's sizes are the dish's options
            own_name = True
            apart = SAME_SIZES_APART
        if not price_only(b) and own_name and gap >= apart:
            parts.append([])
        parts[-1].append(b)
    return parts


def _captions(a: Box, b: Box, prices: list[Box]) -> bool:
    """`a` and `b` each have a price of their own just under them, within their width: two tiles' captions."""
    def under(name: Box, other: Box) -> bool:
        return any(p.x0 < name.x1 and p.x1 > name.x0 and not (p.x0 < other.x1 and p.x1 > other.x0)
                   and name.y1 - 0.5 * name.h <= p.y0 <= name.y1 + 1.5 * name.h for p in prices)
    return under(a, b) and under(b, a)


def _labels(price) -> list[str]:
    return [label.upper() for label, _ in price.options]
