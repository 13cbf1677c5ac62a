"""What a gap between a page's boxes is: a gutter between two columns of a menu, or the space between
dishes' names and their prices (`segment` cuts at the first, never at the second)."""
from __future__ import annotations

import re
import statistics
from typing import Optional

from common.engines.local import labels
from common.engines.local.layout import Box

# A gap a quarter or more of whose names have their price across it is a list's names-to-prices gap,
# where a clean gutter beside it is the columns'.
STRADDLED = 0.25
# Gutter slopes tried (x per y): a page photographed from below or aside leans its columns.
LEANS = (0.0, -0.015, 0.015, -0.03, 0.03, -0.05, 0.05, -0.075, 0.075)


def span(b: Box, lean: float, mid: float) -> tuple[float, float]:
    shift = lean * ((b.y0 + b.y1) / 2 - mid)
    return b.x0 - shift, b.x1 - shift


def same_row(a: Box, b: Box) -> bool:
    return min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5 * min(a.h, b.h)


def rows_of(boxes: list[Box]) -> list[list[Box]]:
    """The boxes in rows, top to bottom: a box joins the row above while it overlaps it."""
    rows: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.y0):
        if rows and b.y0 < max(o.y1 for o in rows[-1]) - 0.3 * b.h:
            rows[-1].append(b)
        else:
            rows.append([b])
    return rows


def alone(boxes: list[Box]) -> list[Box]:
    """Boxes no other box shares a row with: titles and headings, which may span a gutter."""
    rows = sorted(boxes, key=lambda b: b.y0)
    out = []
    for i, b in enumerate(rows):
        lo, hi = i, i
        while lo > 0 and rows[lo - 1].y0 > b.y0 - 3 * max(b.h, rows[lo - 1].h):
            lo -= 1
        while hi + 1 < len(rows) and rows[hi + 1].y0 < b.y1:
            hi += 1
        if not any(o is not b and min(o.y1, b.y1) - max(o.y0, b.y0) > 0.5 * min(o.h, b.h) for o in rows[lo:hi + 1]):
            out.append(b)
    return out


def find(boxes: list[Box], price_only) -> Optional[tuple[float, float, float, float]]:
    """(lean, g0, g1, mid) of the widest gutter with menu text on both sides, or None. A title row with a
    logo beside it is not alone in its row, yet spans the columns under it: the top two rows and the
    bottom one are left out in turn until a gutter shows; the caller cuts them off as bands."""
    solo = {id(b) for b in alone(boxes)}
    body = [b for b in boxes if id(b) not in solo]
    if len(body) < 4:
        return None
    rows = rows_of(body)
    mid = statistics.median((b.y0 + b.y1) / 2 for b in boxes)
    for top, bottom in ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1)):
        core = [b for row in rows[top:len(rows) - bottom] for b in row]
        if len(core) >= 4 and (found := _widest(core, price_only, mid, boxes)):
            return found
    return None


def _widest(body: list[Box], price_only, mid: float, node: list[Box]) -> Optional[tuple[float, float, float, float]]:
    """The widest gutter, a clean one first: a gap a glyph wide or more that few rows' names and prices
    straddle (two lists side by side) before a wider one many do (a list's names-to-prices gap, where
    the columns under the list make it look like a gutter)."""
    size = statistics.median(b.h for b in body)
    best, best_key = None, (False, 0.0)
    for lean in LEANS:
        spans = sorted(((span(b, lean, mid), b) for b in body), key=lambda s: s[0])
        # (a price's own name above it may be a row alone, left out of the body: the whole node says)
        around = [(span(b, lean, mid), b) for b in node]
        reach, gaps = spans[0][0][1], []
        for (x0, x1), _ in spans[1:]:
            if x0 > reach:
                gaps.append((reach, x0))
            reach = max(reach, x1)
        for g0, g1 in gaps:
            width = g1 - g0
            wider = width > best_key[1] * 1.15
            # (a crack narrower than a glyph is no clean gutter, however few rows it crosses; a gap that
            # could only win by being clean is not looked at unless it can be)
            if width < max(0.25 * size, 6) or best_key[0] and not wider or not wider and width < size:
                continue
            left = [b for (_, x1), b in spans if x1 <= g0]
            right = [b for (x0, _), b in spans if x0 >= g1]
            if not _columns_apart(left, right, price_only, g1 + size):
                continue
            # (straddling is costly, a row search per name: it is asked only of gaps that are gutters)
            key = (width >= size and not _straddled([b for (_, x1), b in around if x1 <= g0],
                                                    [b for (x0, _), b in around if x0 >= g1], price_only), width)
            if key[0] == best_key[0] and not wider or key < best_key:
                continue
            best, best_key = (lean, g0, g1, mid), key
    return best


def _straddled(left: list[Box], right: list[Box], price_only) -> bool:
    """Two or more of the names left of a gap, and a STRADDLED share of them, have their price first right
    of it (`straddling`): a list's names-to-prices gap."""
    names = [b for b in left if not price_only(b)]
    across = straddling(left, right, price_only)
    n = sum(1 for b in names if id(b) in across)
    return n >= 2 and n >= STRADDLED * len(names)


def _columns_apart(left: list[Box], right: list[Box], price_only, near: float) -> bool:
    """Two columns of a menu, not names and their prices: both sides hold words, and what a row continues
    with across the gap, and what starts at its right edge, are mostly words (another column's dishes),
    not prices (their own) — over the whole node, or over a run of rows of its own (sub-columns under a
    list whose names and prices straddle the gap: those rows become bands)."""
    if not any(not price_only(b) for b in left) or not any(not price_only(b) for b in right):
        return False
    verdicts = []  # (y, continues with a word?, the box it continues with)
    for b in sorted(left, key=lambda b: b.y0):
        row = [r for r in right if same_row(r, b)]
        # a row of prices alone (a photo tile's, under its caption) says nothing of the gap after it
        if row and any(not price_only(o) for o in left if same_row(o, b)):
            first = min(row, key=lambda r: r.x0)
            # a price with its own name before it on the right belongs to that name, not to this row
            own = [r for r in right if r.x1 <= first.x0 and same_row(r, first) and not price_only(r)]
            first = min(own, key=lambda r: r.x0) if own else first
            if price_only(first) and _under_a_name(first, right, price_only):
                continue  # a stacked column's price under its own name, level with this row by chance
            verdicts.append((b.y0, not _priced(first, row, price_only), first))
    strip = [b for b in right if b.x0 < near]
    price_only = _in_row(price_only, right)
    if _mostly_words(verdicts, strip, price_only):
        return True
    # Sub-columns under (or over) a list: three boxes or more at one end of the node continue with a word,
    # and with two words or more (one row is no column: a name, its price and the next column's heading
    # level with them all continue with the same word).
    for run in (_run(verdicts), _run(verdicts[::-1])):
        if len(run) >= 3 and len({id(v[2]) for v in run}) >= 2:
            y0, y1 = min(v[0] for v in run), max(v[2].y1 for v in run)
            strip = [b for b in right if b.x0 < near and y0 - b.h <= b.y0 <= y1]
            if _mostly_words(run, strip, price_only):
                return True
    return False


# A row's number set apart from its name ("1.", "A12", "No. 7") is no price, though it looks like one
# (a price "18." ends its row).
_ROW_NUMBER = re.compile(r"^\s*(?:[A-Z]?\d{1,3}[.)．]|No\.?\s?\d{1,4})\s*$")


def _priced(b: Box, row: list[Box], price_only) -> bool:
    """A price, and not a row's number with its name after it."""
    return price_only(b) and not (_ROW_NUMBER.match(b.text) and any(o.x0 > b.x1 and same_row(o, b) for o in row))


def _in_row(price_only, boxes: list[Box]):
    return lambda b: _priced(b, boxes, price_only)


def _run(verdicts: list) -> list:
    """The rows from the first on that continue with a word."""
    run = []
    for v in verdicts:
        if not v[1]:
            break
        run.append(v)
    return run


def _mostly_words(verdicts: list, strip: list[Box], price_only) -> bool:
    firsts = list({id(v[2]): v[1] for v in verdicts}.values())
    if firsts and sum(firsts) <= 0.5 * len(firsts):
        return False
    return not strip or sum(1 for b in strip if not price_only(b)) >= 0.5 * len(strip)


def straddling(left: list[Box], right: list[Box], price_only) -> set[int]:
    """Ids of the boxes of rows that print a name left of the gap and its price first right of it."""
    out: set[int] = set()
    for b in left:
        row = [o for o in left if same_row(o, b)]
        if price_only(b) or any(price_only(o) for o in row):
            continue
        across = [r for r in right if same_row(r, b)]
        if not across or not price_only(first := min(across, key=lambda r: r.x0)):
            continue
        # the price is the right side's own when a name stands before it there, or when it starts where
        # the right side's names start (a stacked column: each name, its price under it)
        if not any(not price_only(r) and r.x1 <= first.x0 and same_row(r, first) for r in right) \
                and not _under_a_name(first, right, price_only):
            out |= {id(o) for o in row} | {id(first)}
    return out


def _under_a_name(price: Box, right: list[Box], price_only) -> bool:
    """A price set flush with a name just above it on its side: that name's, stacked under it."""
    size = price.h
    return any(abs(r.x0 - price.x0) < 0.6 * size and 0 <= price.y0 - r.y0 < 3 * size
               and r.y1 <= price.y0 + 0.5 * size and not price_only(r) and not labels.is_label(r.text) for r in right)
