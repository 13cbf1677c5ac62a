"""Dense pages: a large photo read as overlapping strips, in parallel, then merged in page order.

The model sees a photo at a fixed token budget (Gemini 3's high media resolution: up to 1,120
tokens), so on a large page small print gets fewer pixels of attention than on a phone photo; each
strip gets the whole budget. Strips are written at once, so a long page is also read faster.
MENU_TILES: "off"; "auto" (the default): 2 strips for a photo whose long side is at least
TILE_FROM_PX (larger than the app's 2048-px-wide photos), 3 from 4,000 px; "2".."4": always.
bench/long_menu.py --env MENU_TILES=2 measures the time and tokens (docs/benchmarks.md).
"""
from __future__ import annotations

import io
import threading
from typing import Callable, Optional

from common.menu.items import MenuItem
from common.engines.menu_read import MenuRead, to_menu_item

TILE_FROM_PX = 3000
OVERLAP = 0.06      # of a strip's length: a line cut by one edge is whole in the other strip
WINDOW = 4          # items either side of a cut compared for duplicates


def plan(jpeg: bytes, mode: str) -> list[tuple[bytes, tuple[int, int, str]]]:
    """The strips to read (JPEG, (part, parts, where)), or [] to read the photo whole."""
    if mode == "off":
        return []
    from PIL import Image

    img = Image.open(io.BytesIO(jpeg))
    w, h = img.size
    long_side = max(w, h)
    n = int(mode) if mode.isdigit() else (0 if long_side < TILE_FROM_PX else 2 if long_side < 4000 else 3)
    if n < 2:
        return []
    img.load()
    tall = h >= w
    step, pad = (h if tall else w) / n, int((h if tall else w) * OVERLAP / 2)
    out = []
    for k in range(n):
        a, b = max(0, int(k * step) - pad), min(h if tall else w, int((k + 1) * step) + pad)
        box = (0, a, w, b) if tall else (a, 0, b, h)
        buf = io.BytesIO()
        img.crop(box).save(buf, "JPEG", quality=90)
        where = ("top to bottom" if tall else "left to right") + f", strip {k + 1} of {n}"
        out.append((buf.getvalue(), (k + 1, n, where)))
    return out


def _name(raw: dict) -> str:
    return " ".join(str(raw.get("original_name", "")).split()).casefold()


def merge(parts: list[list[dict]]) -> list[dict]:
    """The strips' items in page order; a dish both strips read at their cut is kept once (the copy
    with a price, when one strip saw only its name)."""
    out: list[dict] = []
    for items in parts:
        edge = len(out)
        for n, raw in enumerate(items):
            twin = next((k for k in range(max(0, edge - WINDOW), edge) if _name(out[k]) == _name(raw)), None)
            if twin is not None and n < WINDOW:
                if not out[twin].get("price") and raw.get("price"):
                    out[twin] = raw
                continue
            out.append(raw)
    return out


def picks(reads: list[MenuRead]) -> list[str]:
    """Each strip's top three, taken in turn (strip 1's first, strip 2's first, ...)."""
    out: list[str] = []
    for rank in range(max((len(r.top3) for r in reads), default=0)):
        out += [r.top3[rank] for r in reads if rank < len(r.top3)]
    return out


class Tiled:
    """The strips' readings; partial menus show the strips in order, each once the ones before it are done."""

    def __init__(self, parts: int, on_items: Optional[Callable[[list[MenuItem]], None]]):
        self._on_items, self._lock, self._shown = on_items, threading.Lock(), 0
        self.reads = [MenuRead(self._changed if on_items else None) for _ in range(parts)]

    def _changed(self, _items) -> None:
        with self._lock:
            ready: list[list[dict]] = []
            for read in self.reads:
                ready.append(read.raw)
                if not read.finished:
                    break
            merged = merge(ready)
            if len(merged) > self._shown:
                self._shown = len(merged)
                self._on_items([to_menu_item(n, raw) for n, raw in enumerate(merged)])

    def whole(self) -> MenuRead:
        """One reading of the page: the strips merged, their picks in turn, the first strip's head."""
        page = MenuRead()
        page.replace(merge([r.raw for r in self.reads]))
        page.top3 = picks(self.reads)
        for read in self.reads:
            page.note_head(read.head)
        page.finished = all(r.finished for r in self.reads)
        return page
