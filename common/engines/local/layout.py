"""Turns unordered OCR boxes into menu lines in reading order.

Horizontal menus: de-skew by the median angle of wide boxes, cut into blocks (`segment`: columns
within sections within columns, at gutters and wide gaps), then group boxes whose vertical extents
overlap into lines inside each block. Vertical menus (tategaki): group boxes into columns that
overlap horizontally and read them right to left, top band first.
"""
from __future__ import annotations

import functools
import math
import re
import statistics
from dataclasses import dataclass, field

from common.engines.local.prices import find_price, is_options


@dataclass
class Box:
    """One OCR reading; its bounds are worked out once, since layout asks for them hundreds of
    thousands of times on a dense page."""
    text: str
    score: float
    points: list[tuple[float, float]]  # 4 corners: top-left, top-right, bottom-right, bottom-left
    x0: float = field(init=False, repr=False, compare=False)
    x1: float = field(init=False, repr=False, compare=False)
    y0: float = field(init=False, repr=False, compare=False)
    y1: float = field(init=False, repr=False, compare=False)
    w: float = field(init=False, repr=False, compare=False)
    h: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        self.x0, self.x1, self.y0, self.y1 = min(xs), max(xs), min(ys), max(ys)
        self.w, self.h = self.x1 - self.x0, self.y1 - self.y0

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

    @property
    def x1(self) -> float:
        """Right edge: its last box's; 0 when unknown (a line without boxes)."""
        return max((b.x1 for b in self.boxes), default=0.0)


def is_vertical(boxes: list[Box]) -> bool:
    """True when most of the text is set in vertical columns."""
    v = sum(len(b.text) for b in boxes if b.vertical)
    h = sum(len(b.text) for b in boxes if not b.vertical)
    return v > h


def read_lines(boxes: list[Box], rules: list[Box] = ()) -> tuple[list[Line], str]:
    """Lines in reading order and the orientation ("horizontal" or "vertical"); `rules` are the page's
    printed vertical rules (`rules.vertical`), which column cuts follow."""
    from common.engines.local import ornament

    boxes = ornament.strip([b for b in boxes if b.text.strip()])
    if not boxes:
        return [], "horizontal"
    if is_vertical(boxes):
        return _vertical_lines(boxes), "vertical"
    angle = _skew(boxes)
    return _horizontal_lines(_deskew(boxes, angle), _deskew(list(rules), angle)), "horizontal"


# -- horizontal ------------------------------------------------------------------------------------
def _skew(boxes: list[Box]) -> float:
    wide = [b.angle for b in boxes if b.w > 2 * b.h and len(b.text) >= 3]
    if len(wide) < 3:
        return 0.0
    angle = statistics.median(wide)
    return angle if abs(angle) >= math.radians(0.3) else 0.0


def _deskew(boxes: list[Box], angle: float) -> list[Box]:
    if not angle:
        return boxes
    cos, sin = math.cos(-angle), math.sin(-angle)
    return [Box(b.text, b.score, [(x * cos - y * sin, x * sin + y * cos) for x, y in b.points]) for b in boxes]


def _is_price_only(b: Box) -> bool:
    return _price_only_text(b.text)


@functools.lru_cache(maxsize=4096)
def _price_only_text(text: str) -> bool:
    # asked of each box many times over while a page is cut into columns
    head, price = find_price(text)
    return price is not None and not re.search(r"\w", head) or is_options(text)


def _horizontal_lines(boxes: list[Box], rules: list[Box]) -> list[Line]:
    lines: list[Line] = []
    from common.engines.local.runin import split_row, split_run_in
    from common.engines.local.segment import blocks

    for ci, column in enumerate(blocks(split_run_in(boxes), _is_price_only, rules)):
        rows: list[list[Box]] = []
        for b in sorted(column, key=lambda b: (b.y0 + b.y1) / 2):
            for row in reversed(rows[-3:]):
                if _in_row(b, row):
                    row.append(b)
                    break
            else:
                rows.append([b])
        prices = [b for b in column if _is_price_only(b)]
        for row in (part for row in rows for part in split_row(sorted(row, key=lambda b: b.x0), _is_price_only, prices)):
            # The name sets the line's size; a price or a leader box beside it may be set smaller.
            named = [b for b in row if not _is_price_only(b)] or row
            lines.append(Line(text=" ".join(b.text.strip() for b in row), size=max(_height(b) for b in named),
                              x0=row[0].x0, y0=min(b.y0 for b in row), column=ci, boxes=row,
                              y1=max(b.y1 for b in row)))
    from common.engines.local import labels

    return labels.drop(lines, _is_price_only)


def _in_row(b: Box, row: list[Box]) -> bool:
    """The box continues the row: its centre lies on the line the row's box nearest to it runs along,
    followed at that box's own slant. (Not the row's median band, nor boxes' upright extents: on a page
    photographed from aside the lines slant differently across the page, and a slanted box's upright
    extent takes in the next line's start, a dish's description under its name.)"""
    cx, cy = _centre(b)
    near = min(row, key=lambda x: abs(_centre(x)[0] - cx))
    nx, ny = _centre(near)
    wide = [x for x in row if x.w > 3 * x.h and len(x.text) >= 4]
    slant = near.angle if near in wide else statistics.median(x.angle for x in wide) if wide else 0.0
    # (half the taller's height: a price set smaller on the name's baseline still belongs to its row)
    return abs(cy - (ny + math.tan(slant) * (cx - nx))) < 0.5 * max(_height(near), _height(b))


def _centre(b: Box) -> tuple[float, float]:
    return sum(p[0] for p in b.points) / 4, sum(p[1] for p in b.points) / 4


def _height(b: Box) -> float:
    """The text's height across its own slant: the mean of the box's left and right sides."""
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = b.points
    return (math.hypot(dx - ax, dy - ay) + math.hypot(cx - bx, cy - by)) / 2


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
