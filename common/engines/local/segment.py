"""A page's text boxes cut into blocks, recursively: columns within sections within columns (XY-cut).

A node is cut at a vertical gutter (an empty strip through all its boxes, tried at a few leans, since a
page photographed at an angle leans its columns) unless the far side holds only prices: that is the gap
between names and their prices, not a second column. Titles and headings alone in their row may span
a gutter; they do not close it, they cut the node into bands above and below them, and each band is
cut again at the same gutter. Without a gutter, a node is cut at horizontal gaps clearly wider than its
line spacing (a title, a photo, a new section band) and each part is examined again. Blocks come out in
reading order: left before right, top before bottom. A line is then formed inside one block only, so
boxes across a gutter never join.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from typing import Callable, Optional

from common.engines.local.layout import Box

# Gutter slopes tried (x per y): a page photographed from below or aside leans its columns.
LEANS = (0.0, -0.015, 0.015, -0.03, 0.03, -0.05, 0.05, -0.075, 0.075)
MAX_DEPTH = 12


def blocks(boxes: list[Box], price_only: Callable[[Box], bool]) -> list[list[Box]]:
    """The boxes as blocks in reading order."""
    out: list[list[Box]] = []
    _cut(boxes, price_only, 0, None, out)
    return [b for b in out if b]


def _cut(boxes: list[Box], price_only, depth: int, hint, out: list) -> None:
    if len(boxes) < 2 or depth > MAX_DEPTH:
        out.append(boxes)
        return
    parts = _gaps(boxes)
    if len(parts) > 1:  # a title band, a photo, a new band of sections: each examined on its own
        _stack([(part, hint) for part in parts], price_only, depth, out)
        return
    gutter = _fits(boxes, hint) or _gutter(boxes, price_only)
    if not gutter:
        out.append(boxes)
        return
    lean, g0, g1, mid = gutter
    # A title or a notice alone above or below the columns is read before or after them, wherever it sits.
    alone = {id(b) for b in _alone(boxes)}
    body = [b for b in boxes if id(b) not in alone] or boxes
    top, foot = min(b.y0 for b in body), max(b.y1 for b in body)
    left, right, across = [], [], []
    for b in boxes:
        x0, x1 = _span(b, lean, mid)
        outside = id(b) in alone and (b.y1 <= top or b.y0 >= foot)
        (across if outside else left if x1 <= g0 + 1 else right if x0 >= g1 - 1 else across).append(b)
    # A row whose name is left of the gutter and whose price is right of it crosses the gutter as a title does.
    paired = _name_price_rows(left, right, price_only)
    if paired:
        left = [b for b in left if id(b) not in paired]
        right = [b for b in right if id(b) not in paired]
        across += [b for b in boxes if id(b) in paired]
    if not across:
        _cut(left, price_only, depth + 1, None, out)
        _cut(right, price_only, depth + 1, None, out)
        return
    crossing = {id(b) for b in across}
    _stack([(band, None if any(id(b) in crossing for b in band) else gutter) for band in _bands(boxes, across)],
           price_only, depth, out)


def _stack(parts: list, price_only, depth: int, out: list) -> None:
    """Parts one above the other, each cut on its own; neighbours that stay whole stay one block, so a
    column keeps reading as one (a name, and its description or price in the next part)."""
    whole = False
    for part, hint in parts:
        leaves: list = []
        _cut(part, price_only, depth + 1, hint, leaves)
        if len(leaves) == 1 and whole:
            out[-1] = out[-1] + leaves[0]
        else:
            out.extend(leaves)
        whole = len(leaves) == 1


def _same_row(a: Box, b: Box) -> bool:
    return min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5 * min(a.h, b.h)


def _name_price_rows(left: list[Box], right: list[Box], price_only) -> set[int]:
    """Ids of the boxes of rows that print a name left of the gap and its price first right of it."""
    out: set[int] = set()
    for b in left:
        row = [o for o in left if _same_row(o, b)]
        if price_only(b) or any(price_only(o) for o in row):
            continue
        across = [r for r in right if _same_row(r, b)]
        if not across or not price_only(first := min(across, key=lambda r: r.x0)):
            continue
        # the price is the right side's own when a name stands before it there
        if not any(not price_only(r) and r.x1 <= first.x0 and _same_row(r, first) for r in right):
            out |= {id(o) for o in row} | {id(first)}
    return out


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


def _span(b: Box, lean: float, mid: float) -> tuple[float, float]:
    shift = lean * ((b.y0 + b.y1) / 2 - mid)
    return b.x0 - shift, b.x1 - shift


def _alone(boxes: list[Box]) -> list[Box]:
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


def _gutter(boxes: list[Box], price_only) -> Optional[tuple[float, float, float, float]]:
    """(lean, g0, g1, mid) of the widest gutter with menu text on both sides, or None. A title row with a
    logo beside it is not alone in its row, yet spans the columns under it: the top two rows and the
    bottom one are left out in turn until a gutter shows; the caller cuts them off as bands."""
    alone = {id(b) for b in _alone(boxes)}
    body = [b for b in boxes if id(b) not in alone]
    if len(body) < 4:
        return None
    rows: list[list[Box]] = []
    for b in sorted(body, key=lambda b: b.y0):
        if rows and b.y0 < max(o.y1 for o in rows[-1]) - 0.3 * b.h:
            rows[-1].append(b)
        else:
            rows.append([b])
    mid = statistics.median((b.y0 + b.y1) / 2 for b in boxes)
    for top, bottom in ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1)):
        core = [b for row in rows[top:len(rows) - bottom] for b in row]
        if len(core) >= 4 and (found := _widest(core, price_only, mid)):
            return found
    return None


def _widest(body: list[Box], price_only, mid: float) -> Optional[tuple[float, float, float, float]]:
    size = statistics.median(b.h for b in body)
    best, best_w = None, 0.0
    for lean in LEANS:
        spans = sorted(((_span(b, lean, mid), b) for b in body), key=lambda s: s[0])
        reach, gaps = spans[0][0][1], []
        for (x0, x1), _ in spans[1:]:
            if x0 > reach:
                gaps.append((reach, x0))
            reach = max(reach, x1)
        for g0, g1 in gaps:
            if g1 - g0 < max(0.25 * size, 6) or g1 - g0 <= best_w * 1.15:
                continue
            left = [b for (_, x1), b in spans if x1 <= g0]
            right = [b for (x0, _), b in spans if x0 >= g1]
            if not _columns_apart(left, right, price_only, g1 + size):
                continue
            best, best_w = (lean, g0, g1, mid), g1 - g0
    return best


def _columns_apart(left: list[Box], right: list[Box], price_only, near: float) -> bool:
    """Two columns of a menu, not names and their prices: both sides hold words, and what a row continues
    with across the gap, and what starts at its right edge, are mostly words (another column's dishes),
    not prices (their own) — over the whole node, or over a run of rows of its own (sub-columns under a
    list whose names and prices straddle the gap: those rows become bands)."""
    if not any(not price_only(b) for b in left) or not any(not price_only(b) for b in right):
        return False
    verdicts = []  # (y, continues with a word?, the box it continues with)
    for b in sorted(left, key=lambda b: b.y0):
        row = [r for r in right if _same_row(r, b)]
        # a row of prices alone (a photo tile's, under its caption) says nothing of the gap after it
        if row and any(not price_only(o) for o in left if _same_row(o, b)):
            first = min(row, key=lambda r: r.x0)
            # a price with its own name before it on the right belongs to that name, not to this row
            own = [r for r in right if r.x1 <= first.x0 and _same_row(r, first) and not price_only(r)]
            first = min(own, key=lambda r: r.x0) if own else first
            verdicts.append((b.y0, not _priced(first, row, price_only), first))
    strip = [b for b in right if b.x0 < near]
    price_only = _in_row(price_only, right)
    if _mostly_words(verdicts, strip, price_only):
        return True
    # Sub-columns under (or over) a list: three rows or more at one end of the node continue with a word.
    for run in (_run(verdicts), _run(verdicts[::-1])):
        if len(run) >= 3:
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
    return price_only(b) and not (_ROW_NUMBER.match(b.text) and any(o.x0 > b.x1 and _same_row(o, b) for o in row))


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


def _fits(boxes: list[Box], hint) -> Optional[tuple]:
    """The gutter found above, when this band's boxes fall on both sides of it."""
    if not hint:
        return None
    lean, g0, g1, mid = hint
    spans = [_span(b, lean, mid) for b in boxes]
    if all(x1 <= g0 + 1 or x0 >= g1 - 1 for x0, x1 in spans) and any(x1 <= g0 + 1 for _, x1 in spans) \
            and any(x0 >= g1 - 1 for x0, _ in spans):
        return hint
    return None


def _bands(boxes: list[Box], across: list[Box]) -> list[list[Box]]:
    """The node cut above and below each row that crosses its gutter; the crossing rows are bands too."""
    marked = {id(b) for b in across}
    rows: list[list[Box]] = []
    for b in sorted(across, key=lambda b: b.y0):
        if rows and b.y0 < max(o.y1 for o in rows[-1]) - 0.3 * b.h:
            rows[-1].append(b)
        else:
            rows.append([b])
    bands: list[list[Box]] = []
    rest = sorted((b for b in boxes if id(b) not in marked), key=lambda b: (b.y0 + b.y1) / 2)
    for row in rows:
        y0, y1 = min(b.y0 for b in row), max(b.y1 for b in row)
        bands.append([b for b in rest if (b.y0 + b.y1) / 2 < y0])
        bands.append(row + [b for b in rest if y0 <= (b.y0 + b.y1) / 2 <= y1])
        rest = [b for b in rest if (b.y0 + b.y1) / 2 > y1]
    bands.append(rest)
    return [b for b in bands if b]


def _gaps(boxes: list[Box]) -> list[list[Box]]:
    """The node cut at horizontal gaps clearly wider than its line spacing."""
    rows = sorted(boxes, key=lambda b: b.y0)
    size = statistics.median(b.h for b in rows)
    reach, gaps = rows[0].y1, []
    for b in rows[1:]:
        if b.y0 > reach:
            gaps.append(b.y0 - reach)
        reach = max(reach, b.y1)
    usual = statistics.median(gaps) if gaps else 0.0
    cut_at = max(1.5 * size, 2.5 * usual)
    parts, reach = [[rows[0]]], rows[0].y1
    for b in rows[1:]:
        if b.y0 - reach > cut_at:
            parts.append([])
        parts[-1].append(b)
        reach = max(reach, b.y1)
    return parts
