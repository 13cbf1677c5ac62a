"""Section headings told by where they stand, not by how they are set: a short line without a price,
set apart above a run of dishes (first in its block, or with a gap over it clearly wider than the
block's line spacing), with a dish, not a smaller description, under it. Bold, colour and underlining
do not survive OCR; the space around a heading does."""
from __future__ import annotations

import re
import statistics
from typing import Callable

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# A category named as one, or wrapped in dashes OCR read as 一 or ー (一湯品一, ーサラダー).
_CATEGORY = re.compile(r"^[\u3400-\u9fff]{1,4}(?:類|类|系列|專區|专区)$|^([一ー—–-]).{1,8}\1$")


def set_apart(rows: list, is_dish: Callable[[str], bool], notes_like: Callable[[str], bool]) -> set[int]:
    """Indices of rows that head the dishes under them."""
    gaps: dict[int, list[float]] = {}
    for a, b in zip(rows, rows[1:]):
        if a.column == b.column and b.y0 > a.y1:
            gaps.setdefault(a.column, []).append(b.y0 - a.y1)
    usual = {c: statistics.median(g) for c, g in gaps.items()}
    out = set()
    for i, r in enumerate(rows):
        text = r.text.strip()
        if r.price or not re.search(r"[^\W\d_]", text) or is_dish(text) or notes_like(text):
            continue
        if _CATEGORY.match(text):
            out.add(i)
            continue
        if len(text.split()) > 4 or len(_CJK.findall(text)) > 8:
            continue
        nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].column == r.column else None
        prev = rows[i - 1] if i and rows[i - 1].column == r.column else None
        if nxt is None or nxt.size < 0.85 * r.size or not (nxt.price or nxt.wordy):
            continue  # nothing under it, or its own description: a dish
        apart = prev is None or r.y0 - prev.y1 >= max(0.9 * r.size, 2 * usual.get(r.column, 0.0))
        if apart and (nxt.price and not nxt.price_only or _dishlike_run(rows, i + 1)):
            out.add(i)
    return out


def _dishlike_run(rows: list, k: int) -> bool:
    """Two or more lines of one size in a column from k on: a list of dishes."""
    run = [r for r in rows[k:k + 3] if r.column == rows[k].column and r.wordy]
    return len(run) >= 2 and max(r.size for r in run) <= 1.2 * min(r.size for r in run)
