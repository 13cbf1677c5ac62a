"""The offline `bookshelf` profile: the titles on book spines, each with the OCR's confidence.

Spines stand upright, so their text runs vertically: Chinese and Japanese titles stacked (tall boxes
in the photo as it is), Latin titles turned a quarter (read in the photo turned either way). The
photo is read three ways; where readings overlap, the most confident one stays. Pieces on the same
spine (title, author, publisher) make one book: the largest lettering is its title.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from common.engines.local.layout import Box

TURNS = (0, 90, 270)  # PIL's rotate(): counter-clockwise degrees
OVERLAP = 0.5  # a reading covering this much of a kept one is the same text, read another way
_LATIN = re.compile(r"[A-Za-z]")


@dataclass
class Piece:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def upright(self) -> bool:
        """Runs along a standing spine (taller than wide in the photo)."""
        return self.y1 - self.y0 > self.x1 - self.x0

    @property
    def size(self) -> float:
        """Letter size: the strip's width for upright text, its height for flat text."""
        return (self.x1 - self.x0) if self.upright else (self.y1 - self.y0)

    @property
    def area(self) -> float:
        return max(1.0, (self.x1 - self.x0) * (self.y1 - self.y0))


def _back(box: Box, turn: int, width: int, height: int) -> tuple[float, float, float, float]:
    """The box's extent in the photo as it was, from the photo turned `turn` degrees counter-clockwise."""
    points = []
    for x, y in box.points:
        if turn == 90:  # turned: (x', y') = (y, W - x)
            points.append((width - y, x))
        elif turn == 270:  # turned: (x', y') = (H - y, x)
            points.append((y, height - x))
        else:
            points.append((x, y))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def pieces(read, jpeg: bytes) -> list[Piece]:
    """Every confident reading of the photo in its three orientations, overlaps resolved; `read` is
    the OCR (JPEG bytes -> common.engines.local.ocr.Reading)."""
    from PIL import Image

    img = Image.open(io.BytesIO(jpeg)).convert("RGB")
    width, height = img.size
    found: list[Piece] = []
    for turn in TURNS:
        if turn:
            out = io.BytesIO()
            img.rotate(turn, expand=True).save(out, "JPEG", quality=90)
            data = out.getvalue()
        else:
            data = jpeg
        for box in read(data).boxes:
            text = box.text.strip()
            if len(text) < 2:
                continue
            if box.vertical and (turn or _LATIN.search(text)):
                # Stacked letters: CJK in the photo as it is; anything else read this way is noise.
                continue
            found.append(Piece(text, box.score, *_back(box, turn, width, height)))
    kept: list[Piece] = []
    for p in sorted(found, key=lambda p: -p.score * min(len(p.text), 12)):
        if all(_overlap(p, k) < OVERLAP for k in kept):
            kept.append(p)
    return kept


def _overlap(a: Piece, b: Piece) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return 0.0 if w <= 0 or h <= 0 else w * h / min(a.area, b.area)


def _same_spine(a: Piece, b: Piece) -> bool:
    if a.upright != b.upright:
        return False
    if a.upright:  # one vertical strip
        shared = min(a.x1, b.x1) - max(a.x0, b.x0)
        return shared >= 0.5 * min(a.x1 - a.x0, b.x1 - b.x0)
    shared = min(a.y1, b.y1) - max(a.y0, b.y0)  # a book lying flat: one horizontal strip
    return shared >= 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


def books(found: list[Piece]) -> dict:
    """{books: [{title, authors, confidence}]}, left to right then top to bottom."""
    groups: list[list[Piece]] = []
    for p in sorted(found, key=lambda p: (p.x0, p.y0)):
        home = next((g for g in groups if any(_same_spine(p, q) for q in g)), None)
        if home is None:
            groups.append([p])
        else:
            home.append(p)
    out = []
    for g in sorted(groups, key=lambda g: (min(p.x0 for p in g), min(p.y0 for p in g))):
        title = max(g, key=lambda p: (round(p.size / 4), len(p.text)))
        rest = sorted((p for p in g if p is not title), key=lambda p: (p.y0, p.x0) if p.upright else (p.x0, p.y0))
        confidence = round(title.score, 3)
        out.append({"title": title.text, "authors": [p.text for p in rest], "confidence": confidence})
    return {"books": out}
