"""What OCR reads off a page that is not text: ornament rows, border patterns, dingbats.

Menus frame their pages with chains of shapes and draw rows of glyphs between sections; OCR reads them
as strings of symbols (✦ ✦, -=-=-), as one letter or digit over and over (ooOoo, 88888, xxxx), or as a
CJK character a shape resembles (a Greek-key border as 口口口). Left in, such a box joins the lines
beside it and its digits become a price. A box is dropped when it holds no letter or digit; when it
repeats one or two characters (a price with its currency mark aside); or when its short text recurs
along the edge of the page, as a border's links do.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from common.engines.local.prices import find_price

if TYPE_CHECKING:
    from common.engines.local.layout import Box

_WORDY = re.compile(r"[^\W_]")
_PATTERN = re.compile(r"^[oO0°º·.•*#~=+xX\-–—_|:;'\"`^]{3,}$")
EDGE = 0.06          # share of the text's extent that counts as the page's edge
BORDER_REPEATS = 4   # a short text this often along the edge is a border's links


def strip(boxes: list[Box]) -> list[Box]:
    """The boxes that are text."""
    kept = [b for b in boxes if not _ornament(b.text)]
    if len(kept) < 8:
        return kept
    x0, x1 = min(b.x0 for b in kept), max(b.x1 for b in kept)
    y0, y1 = min(b.y0 for b in kept), max(b.y1 for b in kept)
    ex, ey = EDGE * (x1 - x0), EDGE * (y1 - y0)

    def edge(b: Box) -> bool:
        return b.x1 < x0 + ex or b.x0 > x1 - ex or b.y1 < y0 + ey or b.y0 > y1 - ey

    short = Counter(_squash(b.text) for b in kept if len(_squash(b.text)) <= 2 and edge(b))
    # (never a price, however often it recurs down the price column at the page's edge: "$8")
    chain = {t for t, n in short.items() if n >= BORDER_REPEATS and not re.search(r"\d", t)}
    # A border photographed at an angle leaves the edge band; a short text with no digit that stands
    # alone as a box this often anywhere (口 口 口 …) is a pattern's links too: no dish repeats so.
    anywhere = Counter(_squash(b.text) for b in kept if len(_squash(b.text)) <= 2)
    links = {t for t, n in anywhere.items() if n >= 2 * BORDER_REPEATS and not re.search(r"\d", t)}
    return [b for b in kept if not (_squash(b.text) in chain and edge(b) or _squash(b.text) in links)]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _ornament(text: str) -> bool:
    s = _squash(text)
    if not s or not _WORDY.search(s) or _PATTERN.match(s):
        return True
    chars = set(s.lower())
    if len(s) >= 8 and max(s.lower().count(c) for c in chars) >= 0.7 * len(s):
        return True  # a border read as one letter over and over (APPPPPPPPP)
    if len(s) >= 4 and len(chars) <= 2:
        price = find_price(s)[1]
        if price and price.currency:
            return False  # 888元: a lucky banquet price
        return not (s.isdigit() and len(s) < 5)  # a bare 1111 may be a price; 88888888 is a border
    return False
