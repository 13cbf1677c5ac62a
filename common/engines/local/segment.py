"""A page's text boxes cut into blocks, recursively: columns within sections within columns (XY-cut).

A node is cut at horizontal gaps clearly wider than its line spacing (a title band, a photo, a new
band of sections), else at a vertical gutter (`gutters.find`: an empty strip through its boxes, tried
at a few leans, that is not the gap between names and their prices), and each part is examined again.
Titles and headings alone in their row, and rows whose name and price straddle the gutter, do not
close it: they cut the node into bands above and below them, and the bands between are cut at the
same gutter. A node with no gutter through all of it is cut above and below a printed rule along part
of it, or at a wider row gap under or over which the rows stand in columns (a column's last section
set as lists side by side), and each band is examined again. Blocks come out in reading order: left
before right, top before bottom. A line is then formed inside one block only, so boxes across a gutter
never join.
"""
from __future__ import annotations

import statistics
from typing import Callable, NamedTuple, Optional, Sequence

from common.engines.local.gutters import alone, find, rows_of, span, straddling
from common.engines.local.layout import Box

MAX_DEPTH = 12  # cuts within cuts; a real page needs four or five
RULED = 0.5     # a rule cuts a node it runs along this share of the height of
BAND_CUTS = 3   # the widest row gaps of a node without a gutter tried as the top of a band that has one


def blocks(boxes: list[Box], price_only: Callable[[Box], bool], rules: Sequence[Box] = ()) -> list[list[Box]]:
    """The boxes as blocks in reading order; `rules` are the page's printed vertical rules (`rules.vertical`)."""
    out: list[list[Box]] = []
    _cut(boxes, _Page(price_only, list(rules)), 0, None, out)
    return [b for b in out if b]


class _Page(NamedTuple):
    price_only: Callable[[Box], bool]
    rules: list[Box]


def _cut(boxes: list[Box], page: _Page, depth: int, hint, out: list) -> None:
    if len(boxes) < 2 or depth > MAX_DEPTH:
        out.append(boxes)
        return
    parts = _gaps(boxes)
    if len(parts) > 1:  # a title band, a photo, a new band of sections: each examined on its own
        _stack([(part, hint) for part in parts], page, depth, out)
        return
    price_only = page.price_only
    gutter = _fits(boxes, hint) or _ruled(boxes, page.rules) or find(boxes, price_only)
    if not gutter:
        bands = _ruled_bands(boxes, page.rules) or _columned_band(boxes, price_only)
        if bands:  # each band is cut again: along the rule that now runs its whole height, at its own gutter
            _stack([(band, None) for band in bands], page, depth, out)
        else:
            out.append(boxes)
        return
    lean, g0, g1, mid = gutter
    # A title or a notice alone above or below the columns is read before or after them, wherever it sits.
    solo = {id(b) for b in alone(boxes)}
    body = [b for b in boxes if id(b) not in solo] or boxes
    top, foot = min(b.y0 for b in body), max(b.y1 for b in body)
    left, right, across = [], [], []
    for b in boxes:
        x0, x1 = span(b, lean, mid)
        # (a price alone under the columns is the last dish's, stacked under it: no notice)
        outside = id(b) in solo and (b.y1 <= top or b.y0 >= foot) and not price_only(b)
        (across if outside else left if x1 <= g0 + 1 else right if x0 >= g1 - 1 else across).append(b)
    # A row whose name is left of the gutter and whose price is right of it crosses the gutter as a title does.
    paired = straddling(left, right, price_only)
    if paired:
        left = [b for b in left if id(b) not in paired]
        right = [b for b in right if id(b) not in paired]
        across += [b for b in boxes if id(b) in paired]
    if not across:
        _cut(left, page, depth + 1, None, out)
        _cut(right, page, depth + 1, None, out)
        return
    crossing = {id(b) for b in across}
    _stack([(band, None if any(id(b) in crossing for b in band) else gutter) for band in _bands(boxes, across)],
           page, depth, out)


def _stack(parts: list, page: _Page, depth: int, out: list) -> None:
    """Parts one above the other, each cut on its own; neighbours that stay whole stay one block, so a
    column keeps reading as one (a name, and its description or price in the next part)."""
    whole = False
    for part, hint in parts:
        leaves: list = []
        _cut(part, page, depth + 1, hint, leaves)
        if len(leaves) == 1 and whole:
            out[-1] = out[-1] + leaves[0]
        else:
            out.extend(leaves)
        whole = len(leaves) == 1


def _ruled(boxes: list[Box], rules: list[Box]) -> Optional[tuple]:
    """The longest printed rule along most of this node's height with its text on both sides and none
    through it: a column's edge, whatever the whitespace says."""
    if not rules:
        return None
    top, foot = min(b.y0 for b in boxes), max(b.y1 for b in boxes)
    left_edge, right_edge = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    best, best_len = None, 0.0
    for r in rules:
        y0, y1 = max(r.y0, top), min(r.y1, foot)
        if y1 - y0 < RULED * (foot - top) or y1 - y0 <= best_len or not left_edge < r.x0 < r.x1 < right_edge:
            continue
        if _parts(r, [b for b in boxes if y0 <= (b.y0 + b.y1) / 2 <= y1]):
            best, best_len = (0.0, r.x0, r.x1, (top + foot) / 2), y1 - y0
    return best


def _parts(rule: Box, beside: list[Box]) -> bool:
    """The boxes `beside` a rule stand two or more on each side of it, and none across it."""
    if any(b.x0 < rule.x1 - 1 and b.x1 > rule.x0 + 1 for b in beside):
        return False
    return sum(b.x1 <= rule.x0 + 1 for b in beside) >= 2 and sum(b.x0 >= rule.x1 - 1 for b in beside) >= 2


def _ruled_bands(boxes: list[Box], rules: list[Box]) -> Optional[list[list[Box]]]:
    """The node cut above and below a printed rule that runs along only part of it, with text on both
    sides and none through it: a boxed list's two sub-columns under a heading that spans them both."""
    left_edge, right_edge = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    for r in sorted(rules, key=lambda r: r.y0 - r.y1):
        if not left_edge < r.x0 < r.x1 < right_edge:
            continue
        beside = [b for b in boxes if r.y0 <= (b.y0 + b.y1) / 2 <= r.y1]
        if len(beside) < len(boxes) and _parts(r, beside):
            above = [b for b in boxes if (b.y0 + b.y1) / 2 < r.y0]
            below = [b for b in boxes if (b.y0 + b.y1) / 2 > r.y1]
            return [part for part in (above, beside, below) if part]
    return None


def _columned_band(boxes: list[Box], price_only: Callable[[Box], bool]) -> Optional[list[list[Box]]]:
    """The node cut at one of its wider row gaps where the rows on one side of it stand in columns and
    the node as a whole does not: a single column's last section set as two or three lists side by side."""
    rows = rows_of(boxes)
    gaps = [(rows[k][0].y0 - max(b.y1 for b in rows[k - 1]), k) for k in range(1, len(rows))]
    if len(gaps) < 4:
        return None
    usual = statistics.median(g for g, _ in gaps)
    for gap, k in sorted(gaps, reverse=True)[:BAND_CUTS]:
        if gap <= 1.2 * usual or min(k, len(rows) - k) < 3:
            continue
        above, below = [b for row in rows[:k] for b in row], [b for row in rows[k:] for b in row]
        if find(above, price_only) or find(below, price_only):
            return [above, below]
    return None


def _fits(boxes: list[Box], hint) -> Optional[tuple]:
    """The gutter found above, when this band's boxes fall on both sides of it."""
    if not hint:
        return None
    lean, g0, g1, mid = hint
    spans = [span(b, lean, mid) for b in boxes]
    if all(x1 <= g0 + 1 or x0 >= g1 - 1 for x0, x1 in spans) and any(x1 <= g0 + 1 for _, x1 in spans) \
            and any(x0 >= g1 - 1 for x0, _ in spans):
        return hint
    return None


def _bands(boxes: list[Box], across: list[Box]) -> list[list[Box]]:
    """The node cut above and below each row that crosses its gutter; the crossing rows are bands too."""
    marked = {id(b) for b in across}
    rows = rows_of(across)
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
