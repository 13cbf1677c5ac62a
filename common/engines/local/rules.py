"""Ruling lines a menu prints between its columns and as the sides of its boxed lists, found in the photo.

Whitespace alone misleads where a column sets its prices far right: the gap between its names and its
prices can be wider than the gutter to the next column. A printed rule says where the column ends. A
rule is a long thin vertical stroke (at least `MIN_LENGTH` of the page) that crosses no text box, so
the strokes of a large title's letters are never rules. Light rules on dark pages are found as well.
"""
from __future__ import annotations

from common.engines.local.layout import Box

MIN_LENGTH = 0.06   # share of the page's longer side
WORK_SIDE = 1000    # rules are looked for on a copy this large
MAX_WIDTH = 6       # px on that copy; a wider dark band is a photo's or a bar's edge region
LEAN = 0.06         # x per y a photographed rule may lean (about 3.5 degrees)


def vertical(image, boxes: list[Box]) -> list[Box]:
    """Vertical ruling lines as boxes with no text, in the photo's coordinates."""
    import numpy as np

    if image is None or getattr(image, "dtype", None) != np.uint8 or image.ndim not in (2, 3) or not image.size:
        return []  # only a decoded photo (8-bit grey or BGR) is searched
    import cv2

    if image.ndim == 3 and image.shape[2] not in (1, 3):
        return []
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 and image.shape[2] == 3 else \
        image.reshape(image.shape[:2])
    scale = min(1.0, WORK_SIDE / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    length = max(20, int(MIN_LENGTH * max(small.shape)))
    pieces: list[tuple[float, float, float, float]] = []
    # dark rules on light paper (12 below the neighbourhood), light rules on a dark page (12 above); not
    # both, or the paper beside a dark rule reads as two light ones
    flip, c = (cv2.THRESH_BINARY_INV, 12) if np.median(small) >= 128 else (cv2.THRESH_BINARY, -12)
    bw = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, flip, 15, c)
    # A photographed rule leans and curls: thicken it sideways, find short straight runs, chain them.
    bw = cv2.dilate(bw, np.ones((1, 3), np.uint8))
    runs = cv2.morphologyEx(bw, cv2.MORPH_OPEN, np.ones((length // 3, 1), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    pieces += [(x, y, x + w, y + h) for x, y, w, h, _area in stats[1:n] if w <= MAX_WIDTH + 3 + LEAN * h]
    # A piece inside a text box is a letter's stroke, however long: a rule stands clear of the text.
    spans = [(b.x0 * scale - 1, b.x1 * scale + 1, b.y0 * scale, b.y1 * scale) for b in boxes]
    pieces = [p for p in pieces if not any(x0 <= (p[0] + p[2]) / 2 <= x1 and min(p[3], y1) > max(p[1], y0)
                                           for x0, x1, y0, y1 in spans)]
    return [Box("", 0.0, [(x0 / scale, y0 / scale), (x1 / scale, y0 / scale), (x1 / scale, y1 / scale),
                          (x0 / scale, y1 / scale)]) for x0, y0, x1, y1 in _chains(pieces, length)]


def _chains(pieces: list, length: int) -> list[tuple[float, float, float, float]]:
    """Pieces one under another, each starting within a few pixels of where the last ended, joined;
    the chains at least `length` long."""
    chains: list[list] = []
    for p in sorted(pieces, key=lambda p: p[1]):
        for ch in chains:
            last = ch[-1]
            if 0 <= p[1] - last[3] <= length // 3 and abs((p[0] + p[2]) / 2 - (last[0] + last[2]) / 2) <= 4:
                ch.append(p)
                break
        else:
            chains.append([p])
    out: list[tuple[float, float, float, float]] = []
    for x0, y0, x1, y1 in sorted(((min(p[0] for p in ch), ch[0][1], max(p[2] for p in ch), ch[-1][3])
                                 for ch in chains if ch[-1][3] - ch[0][1] >= length), key=lambda r: r[1] - r[3]):
        # the one rule read twice: its dark core, and the light edge the threshold finds beside it
        if not any(abs((x0 + x1) / 2 - (o[0] + o[2]) / 2) <= 8 and min(y1, o[3]) - max(y0, o[1]) > 0.5 * (y1 - y0)
                   for o in out):
            out.append((x0, y0, x1, y1))
    return out
