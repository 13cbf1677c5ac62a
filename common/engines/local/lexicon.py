"""A dish name OCR misread, read again against the known dishes it nearly spells.

For a name the knowledge base does not know exactly, the box it was read from is recognised once more
(one crop, tens of milliseconds) and each near spelling of a known dish is scored by the recogniser
itself (CTC log-likelihood). The known spelling replaces what OCR printed only when the recogniser
finds it nearly as likely (within MAX_LOSS): blur and calligraphy make 蝦餃 read as 蝦绞 with the
right glyph a close second, while a dish that is merely similar and printed clearly (紅燒羊肉 against
紅燒牛肉) costs many times more and stays as printed.
"""
from __future__ import annotations

import re
import unicodedata

from common.engines.local.dishes import KnowledgeBase
from common.engines.local.menu import ParsedItem
from common.engines.local.ocr import Ocr, Reading

MAX_LOSS = 7.0    # nats; a one-glyph misread costs 3-5, a clearly printed different glyph 20 and more
MAX_BOXES = 16    # boxes read again per page: a page of noise costs at most this many crops
CANDIDATES = 4    # near known names tried per misread name


def correct(items: list[ParsedItem], reading: Reading, ocr: Ocr, kb: KnowledgeBase,
            prefer: str | None = None) -> int:
    """Rename, in place, the items whose printed name OCR misread as a near known dish; the count."""
    if reading.image is None:
        return 0
    fixed = tried = 0
    for item in items:
        if tried == MAX_BOXES:
            break
        # Read again: an unknown name, one known only loosely (fuzzy, by its reading), or a known one
        # spelled no way the dish is (蝦饺, a simplified glyph in a traditional name).
        m = kb.match(item.name, prefer)
        if m and (m.how == "contained" or (m.how == "exact" and kb.spelled(item.name))):
            continue
        found = _box_of(item.name, reading)
        if not found:
            continue
        box, text, at = found
        spellings = kb.near_spellings(item.name, CANDIDATES)
        if not spellings:
            continue
        tried += 1
        texts = [text] + [text[: at.start()] + s + text[at.end():] for s in spellings]
        scores = ocr.likelihoods(reading.image, box, texts)
        best = max(range(1, len(texts)), key=scores.__getitem__)
        if scores[best] >= scores[0] - MAX_LOSS and spellings[best - 1] != item.name:
            item.name = spellings[best - 1]
            fixed += 1
    return fixed


def _box_of(name: str, reading: Reading):
    """(box, its text after NFKC, where the name sits in it) for the one box that holds the name."""
    pattern = re.compile(r"\s*".join(re.escape(c) for c in name if not c.isspace()))
    hits = []
    for box in reading.boxes:
        text = unicodedata.normalize("NFKC", box.text)
        at = pattern.search(text)
        if at:
            hits.append((box, text, at))
    return hits[0] if len(hits) == 1 else None
