"""Boxes OCR ran across a gutter, cut apart again: a column's price and the next column's name read as
one box ("74元 椒鹽排骨", "17元火雞肉飯") would hold the two columns together."""
from __future__ import annotations

import re
import unicodedata

from common.engines.local.layout import Box

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
