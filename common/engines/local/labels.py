"""Labels over a menu's price columns ("Small  Large", "Reg  Lg", "並  大盛", "單點  套餐"): a line of a
few short words set above the prices, right of where the names start. They name the columns; they are
not dishes, and a line of them would otherwise be read as one."""
from __future__ import annotations

import re
from typing import Callable

from common.engines.local import sizes
from common.engines.local.layout import Box, Line

# What menus print over a price column: a size, a vessel, a portion, a time of day, a set.
_LABEL = re.compile(rf"^(?:(?:{sizes.LATIN}|Lg|Sm|Md|P|Pint|Lunch|Dinner|A la carte|\d+\s?(?:pc|pcs|oz))\.?"
                    # CJK sets its labels side by side with no space: 単品セット
                    r"|(?:[小中大例並半]|大盛|單點|单点|套餐|単品|セット|グラス|ボトル|ハーフ)+)$", re.IGNORECASE)


# A line of bare amounts, one per price column ("9 12"), that no single price pattern reads whole.
_AMOUNTS = re.compile(r"\s*(?:\d{1,4}(?:[.,]\d{1,2})?\s*)+")
# Labels long enough that OCR's slip of one letter leaves them recognisable (Ful, Glas, Gloss).
_NEAR = [w.lower() for w in sizes.WORDS if len(w) >= 4]


def is_label(text: str, near: bool = False) -> bool:
    """A word that names a price column (Small, Glass, Lunch, 例, 套餐), not a dish; `near`: or a label of
    four letters or more that OCR misread one letter of."""
    text = text.strip()
    if _LABEL.match(text):
        return True
    if not near or len(text) < 3 or not text.isalpha():
        return False
    from rapidfuzz.distance import Levenshtein

    return any(Levenshtein.distance(text.lower(), w, score_cutoff=1) <= 1 for w in _NEAR)


def drop(lines: list[Line], price_only: Callable[[Box], bool]) -> list[Line]:
    """The lines less those that label the price columns under them."""
    # The lines after it in reading order: its own block's, or the block under it when the labels
    # were cut off as a band of their own.
    left: dict[int, float] = {}
    for ln in lines:
        left[ln.column] = min(left.get(ln.column, ln.x0), ln.x0)
    apart = [_apart(lines, k, left, price_only) for k in range(len(lines))] + [True, True]
    return [ln for i, ln in enumerate(lines) if not _labels(ln, lines[i + 1:i + 3], price_only, apart[i], apart[i + 2])]


def _apart(lines: list[Line], k: int, left: dict[int, float], price_only) -> bool:
    """Line `k` opens its column, or stands right of where the column's names start and is not centred
    as the names near it are (a centred stacked menu's short name)."""
    if not k or lines[k - 1].column != lines[k].column:
        return True
    ln = lines[k]
    if ln.x0 < left[ln.column] + 2 * ln.size:
        return False
    names = [o for o in lines[max(0, k - 3):k + 4] if o is not ln and o.column == ln.column
             and not _prices_alone(o, price_only)]
    return not any(abs(_right(o) + o.x0 - _right(ln) - ln.x0) < 2 * ln.size for o in names)


def _labels(line: Line, below: list[Line], price_only, apart: bool, then_apart: bool) -> bool:
    """`line` labels the price columns under it; `apart`, `then_apart`: it, and the line two below it,
    stand apart from where its column's names start (`_apart`)."""
    if not below or len(line.boxes) > 4 or any(price_only(b) for b in line.boxes):
        return False
    words = line.text.split()  # OCR may read two labels as one box ("Lunch Dinner")
    if len(words) > 4 or any(len(w) > 8 for w in words):
        return False
    if _over_own_prices(line, below, price_only, apart, then_apart):
        return True
    # prices on a dish's own row, its name to their left: a price alone on its line (a stacked menu's,
    # under a centred name) has no column to label
    prices = [p for ln in below for p in ln.boxes if price_only(p)
              and any(not price_only(o) and o.x1 <= p.x0 for o in ln.boxes)]
    starts = min(ln.x0 for ln in below)
    if not prices or line.x0 < starts + 2 * line.size:
        return False
    # each label stands over a price column, to within an em
    return all(any(min(b.x1, p.x1) - max(b.x0, p.x0) > -line.size for p in prices) for b in line.boxes)


def _over_own_prices(line: Line, below: list[Line], price_only, apart: bool, then_apart: bool) -> bool:
    """Labels over a price column a cut set apart from the names (as OCR may misread them: "Glas" over
    "$17", "Ful" over "38"): prices alone under them, then more prices or the next column's label; or,
    set apart from where names start, then nothing or a line set apart too. (A stacked menu's dish
    named as a label, as Ful is, has the next dish's name after its price.)"""
    first, then = below[0], below[1] if len(below) > 1 and below[1].column == below[0].column else None
    column = then is not None and (_prices_alone(then, price_only)
                                   or apart and then_apart and all(map(is_label, then.text.split())))
    return all(is_label(w, near=True) for w in line.text.split()) and _prices_alone(first, price_only) \
        and (column or apart and (then is None or then_apart)) \
        and first.y0 > line.y0 and _right(first) > line.x0 and _right(line) > first.x0


def _prices_alone(line: Line, price_only) -> bool:
    return all(map(price_only, line.boxes)) or bool(_AMOUNTS.fullmatch(line.text))


def _right(line: Line) -> float:
    return line.x1 or line.x0 + line.size * len(line.text)
