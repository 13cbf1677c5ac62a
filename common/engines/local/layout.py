"""Turns unordered OCR boxes into menu lines in reading order.

Horizontal menus: de-skew by the median angle of wide boxes, split into columns at empty gutters
(unless the far side is only prices, which is a price column, not a menu column), then group boxes
whose vertical extents overlap into lines. Vertical menus (tategaki): group boxes into columns that
overlap horizontally and read them right to left, top band first.
"""
from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

from common.engines.local.prices import find_price


@dataclass
class Box:
    text: str
    score: float
    points: list[tuple[float, float]]  # 4 corners: top-left, top-right, bottom-right, bottom-left

    @property
    def x0(self) -> float:
        return min(p[0] for p in self.points)

    @property
    def x1(self) -> float:
        return max(p[0] for p in self.points)

    @property
    def y0(self) -> float:
        return min(p[1] for p in self.points)

    @property
    def y1(self) -> float:
        return max(p[1] for p in self.points)

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def angle(self) -> float:
        (ax, ay), (bx, by) = self.points[0], self.points[1]
        return math.atan2(by - ay, bx - ax)

    @property
    def vertical(self) -> bool:
        return len(self.text) >= 2 and self.h > 1.5 * self.w


@dataclass
class Line:
    text: str
    size: float           # character size: box height for horizontal text, width for vertical
    x0: float
    y0: float
    column: int = 0
    boxes: list[Box] = field(default_factory=list)
    y1: float = 0.0       # bottom edge; 0 when unknown (then y0 + size)

    @property
    def bottom(self) -> float:
        return self.y1 or self.y0 + self.size


def is_vertical(boxes: list[Box]) -> bool:
    """True when most of the text is set in vertical columns."""
    v = sum(len(b.text) for b in boxes if b.vertical)
    h = sum(len(b.text) for b in boxes if not b.vertical)
    return v > h


def read_lines(boxes: list[Box]) -> tuple[list[Line], str]:
    """Lines in reading order and the orientation ("horizontal" or "vertical")."""
    boxes = [b for b in boxes if b.text.strip()]
    if not boxes:
        return [], "horizontal"
    if is_vertical(boxes):
        return _vertical_lines(boxes), "vertical"
    return _horizontal_lines(_deskew(boxes)), "horizontal"


# -- horizontal ------------------------------------------------------------------------------------
def _deskew(boxes: list[Box]) -> list[Box]:
    wide = [b.angle for b in boxes if b.w > 2 * b.h and len(b.text) >= 3]
    if len(wide) < 3:
        return boxes
    angle = statistics.median(wide)
    if abs(angle) < math.radians(0.3):
        return boxes
    cos, sin = math.cos(-angle), math.sin(-angle)
    return [Box(b.text, b.score, [(x * cos - y * sin, x * sin + y * cos) for x, y in b.points]) for b in boxes]


def _is_price_only(b: Box) -> bool:
    head, price = find_price(b.text)
    return price is not None and not re.search(r"\w", head)


def _split_columns(boxes: list[Box], depth: int = 0) -> list[list[Box]]:
    """Split at the widest empty vertical gutter whose both sides hold menu text, recursively.

    A title or banner spanning both columns above them would close every gutter, so boxes wider
    than 40% of the text block are left out when looking for one and read first, in their own group.
    """
    if depth > 2 or len(boxes) < 6:
        return [boxes]
    left_edge, right_edge = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    span = right_edge - left_edge
    # Titles and banners sit alone in their row; they may span the gutter, so they do not get a say.
    alone = [b for b in boxes if not any(o is not b and min(o.y1, b.y1) - max(o.y0, b.y0) > 0.5 * min(o.h, b.h)
                                         for o in boxes)]
    body = [b for b in boxes if not any(b is a for a in alone)]
    narrow = [b for b in body if b.w <= 0.4 * span]
    if len(narrow) < 6:
        return [boxes]
    size = statistics.median(b.h for b in narrow)
    cover = sorted((b.x0, b.x1) for b in narrow)
    gaps, reach = [], cover[0][1]
    for x0, x1 in cover[1:]:
        if x0 > reach:
            gaps.append((reach, x0))
        reach = max(reach, x1)
    best = None
    for g0, g1 in gaps:
        # A wide line of one column (a long caption) ends inside the gutter the narrow boxes leave:
        # it narrows the gutter and counts on its side; one that crosses the gutter is judged below.
        if any(g0 <= b.x0 and b.x1 <= g1 for b in body):
            continue
        g0 = max([g0] + [b.x1 for b in body if b.x0 < g0 < b.x1 < g1])
        g1 = min([g1] + [b.x0 for b in body if g0 < b.x0 < g1 < b.x1])
        mid = (g0 + g1) / 2
        if g1 - g0 < max(0.4 * size, 0.015 * span) or not (0.2 * span < mid - left_edge < 0.8 * span):
            continue
        left = [b for b in body if b.x1 <= g0 + 1]
        right = [b for b in body if b.x0 >= g1 - 1]
        # A column of prices (or of numbers) to the right of the names is part of the same column.
        words = [b for b in right if not _is_price_only(b)]
        if len(words) < 0.5 * len(right) or len(left) < 3 or len(words) < 3:
            continue
        # Two menu columns price their items alike: prices on one side only means this gap is
        # the one between names and their prices.
        if any(_is_price_only(b) for b in left) != (len(words) < len(right)):
            continue
        crossing = [b for b in boxes if b.x0 < g0 and b.x1 > g1]
        top = min(b.y0 for b in left + right)
        if any(b.y1 > top + size for b in crossing):
            continue  # text runs across the gap below the top: one column with a wide line
        if best is None or g1 - g0 > best[1] - best[0]:
            best = (g0, g1, left, right, crossing)
    if best is None:
        return [boxes]
    g0, g1 = best[0], best[1]
    left = [b for b in boxes if b.x1 <= g0 + 1]
    right = [b for b in boxes if b.x0 >= g1 - 1]
    head = [b for b in boxes if b.x1 > g0 + 1 and b.x0 < g1 - 1]
    return ([head] if head else []) + _split_columns(left, depth + 1) + _split_columns(right, depth + 1)


# Gutter slopes tried (x per y): a page photographed from below or aside leans its columns.
LEANS = (0.0, -0.015, 0.015, -0.03, 0.03, -0.05, 0.05, -0.075, 0.075)


def _columns(boxes: list[Box]) -> list[list[Box]]:
    """Columns of a page as photographed, tried at each lean (de-skewing straightens lines, not a
    keystone); the lean finding the most columns of three boxes or more wins, the least lean on a tie."""
    if not boxes:
        return []
    best: list[list[Box]] = []
    best_score = -1
    mid = statistics.median((b.y0 + b.y1) / 2 for b in boxes)
    for lean in LEANS:
        moved = [Box(b.text, b.score, [(x - lean * (y - mid), y) for x, y in b.points]) for b in boxes]
        original = {id(m): b for m, b in zip(moved, boxes)}
        split = _split_columns(moved)
        # A title, or one long line crossing a leaned gutter, is a group too, but not a column.
        score = sum(1 for group in split if len(group) >= 3)
        if score > best_score:
            best, best_score = [[original[id(m)] for m in group] for group in split], score
    return best


def _horizontal_lines(boxes: list[Box]) -> list[Line]:
    lines: list[Line] = []
    for ci, column in enumerate(_columns(boxes)):
        rows: list[list[Box]] = []
        for b in sorted(column, key=lambda b: (b.y0 + b.y1) / 2):
            cy = (b.y0 + b.y1) / 2
            for row in reversed(rows[-3:]):
                r0 = statistics.median(x.y0 for x in row)
                r1 = statistics.median(x.y1 for x in row)
                overlap = min(r1, b.y1) - max(r0, b.y0)
                if overlap > 0.5 * min(r1 - r0, b.h) and r0 <= cy <= r1 + 0.2 * b.h:
                    row.append(b)
                    break
            else:
                rows.append([b])
        for row in rows:
            row.sort(key=lambda b: b.x0)
            # The name sets the line's size; a price or a leader box beside it may be set smaller.
            named = [b for b in row if not _is_price_only(b)] or row
            lines.append(Line(text=" ".join(b.text.strip() for b in row), size=max(b.h for b in named),
                              x0=row[0].x0, y0=min(b.y0 for b in row), column=ci, boxes=row,
                              y1=max(b.y1 for b in row)))
    return lines


# -- vertical -------------------------------------------------------------------------------------
def _bands(boxes: list[Box]) -> list[list[Box]]:
    """Horizontal bands of the page separated by empty rows (a vertical menu may stack blocks)."""
    bands: list[list[Box]] = []
    reach = None
    for b in sorted(boxes, key=lambda b: b.y0):
        if reach is None or b.y0 > reach:
            bands.append([b])
            reach = b.y1
        else:
            bands[-1].append(b)
            reach = max(reach, b.y1)
    return bands


def _vertical_lines(boxes: list[Box]) -> list[Line]:
    lines: list[Line] = []
    for band in _bands(boxes):
        columns: list[list[Box]] = []
        for b in sorted(band, key=lambda b: -(b.x0 + b.x1) / 2):
            for col in columns[-2:]:
                c0, c1 = min(x.x0 for x in col), max(x.x1 for x in col)
                if min(c1, b.x1) - max(c0, b.x0) > 0.5 * min(c1 - c0, b.w):
                    col.append(b)
                    break
            else:
                columns.append([b])
        for col in columns:
            col.sort(key=lambda b: b.y0)
            named = [b for b in col if b.vertical] or col
            lines.append(Line(text=" ".join(b.text.strip() for b in col),
                              size=statistics.median(b.w for b in named),
                              x0=-max(b.x1 for b in col), y0=min(b.y0 for b in col), boxes=col))
    return lines
