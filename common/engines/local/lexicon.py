"""A dish name OCR misread, read again against the known dishes it nearly spells.

For a name the knowledge base does not know exactly, the box it was read from is recognised once more
(its crop, in one batch with the page's other misread names) and each near spelling of a known dish is scored by the recogniser
itself (CTC log-likelihood). The known spelling replaces what OCR printed only when the recogniser
finds it nearly as likely (within MAX_LOSS): blur and calligraphy make 蝦餃 read as 蝦绞 with the
right glyph a close second, while a dish that is merely similar and printed clearly (紅燒羊肉 against
紅燒牛肉) costs many times more and stays as printed.
"""
from __future__ import annotations

import math
import re
from contextlib import nullcontext

from common.core import logs
from common.engines.local.dishes import KnowledgeBase
from common.engines.local.layout import Box
from common.engines.local.menu import ParsedItem
from common.engines.local.wording import clean
from common.engines.local.ocr import Ocr, Reading

log = logs.get_logger(__name__)

MAX_LOSS = 7.0    # nats; a one-glyph misread costs 3-5, a clearly printed different glyph 20 and more
MAX_BOXES = 16    # boxes read again per page: a page of noise costs at most this many crops
CANDIDATES = 4    # near known names tried per misread name
MAX_LOOKUPS = 60  # names looked up for near spellings per page (~2 ms each)


def correct(items: list[ParsedItem], matches: list, reading: Reading, ocr: Ocr, kb: KnowledgeBase,
            lock=nullcontext()) -> list[int]:
    """Rename, in place, the items whose printed name OCR misread as a near known dish (`matches`: their
    knowledge-base matches as read); their indexes. `lock` is held around the recognition."""
    if reading.image is None:
        return []
    # Re-reading leans on rapidocr's recogniser internals: a fault is logged and the names stay.
    fixed: list[int] = []
    try:
        todo = []  # (item index, box, its texts, spellings), at most MAX_BOXES
        looked = 0
        # The boxes' text as the names were cleaned (NFKC, ½ kept, no spaces between CJK), once a page.
        texts_of = [(box, clean(box.text)) for box in reading.boxes]
        for n, (item, m) in enumerate(zip(items, matches)):
            if len(todo) == MAX_BOXES or looked == MAX_LOOKUPS:
                break
            # Read again: an unknown name, one known only loosely (fuzzy, by its reading), or a known
            # one spelled no way the dish is (蝦饺, a simplified glyph in a traditional name).
            if m and (m.how == "contained" or (m.how == "exact" and kb.spelled(item.name))):
                continue
            found = _box_of(item.name, texts_of)
            if not found:
                continue
            looked += 1
            spellings = kb.near_spellings(item.name, CANDIDATES)
            if spellings:
                box, text, at = found
                todo.append((n, box, [text] + [text[: at.start()] + s + text[at.end():] for s in spellings], spellings))
        with lock:  # once for the page: a scan waiting on another's OCR should wait once, not per box
            scored = ocr.likelihoods(reading.image, [(box, texts) for _, box, texts, _ in todo]) if todo else []
        for (n, _, _, spellings), scores in zip(todo, scored):
            best = max(range(1, len(scores)), key=scores.__getitem__)
            # A printed reading the model cannot write scores -inf, and any spelling would beat it.
            if math.isfinite(scores[0]) and scores[best] >= scores[0] - MAX_LOSS:
                items[n].name = spellings[best - 1]
                fixed.append(n)
    except Exception as exc:  # noqa: BLE001 - re-reading improves names; it never fails a scan
        log.warning("re-reading failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return fixed


def _box_of(name: str, texts_of: list[tuple[Box, str]]):
    """(box, its cleaned text, where the name sits in it) for the one box that holds the name."""
    pattern = re.compile(r"\s*".join(re.escape(c) for c in name if not c.isspace()))
    hits = [(box, text, at) for box, text in texts_of if (at := pattern.search(text))]
    return hits[0] if len(hits) == 1 else None
