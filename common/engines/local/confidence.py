"""How sure the offline engine is that an item is a dish, 0 to 1 (MenuItem.confidence).

Recall comes first: a line that looks like a dish is returned even without a price or a known name, so
the phone can list it; its confidence says how much to trust it, and only confident dishes may be among
the top three, whose pictures are drawn. The figure adds what speaks for a dish — a price on its line, a
name the knowledge base knows (exactly or by its reading more than loosely), an ingredient or method
word, a line set as the menu sets its dishes — and takes off for a name shaped like something else (long,
mostly digits, a phrase in lower case, a description); OCR's own doubt about the line scales it.
"""
from __future__ import annotations

import re
from typing import Optional

from common.engines.local import notes
from common.engines.local.dishes import KnowledgeBase, Match
from common.engines.local.menu import ParsedItem

CONFIDENT = 0.6   # the least confidence of a dish that may be picked for the top three


def of(item: ParsedItem, match: Optional[Match], kb: KnowledgeBase, item_size: float) -> float:
    """The confidence that `item` is a dish."""
    c = 0.3
    if item.price:
        c += 0.25
    if match:
        c += 0.3 if match.how in ("exact", "reading") else 0.2
    elif kb.terms_in(item.name, 1):
        c += 0.1
    if item_size and item.size and 0.8 * item_size <= item.size <= 1.25 * item_size:
        c += 0.1
    if _odd(item.name):
        c -= 0.25
    c *= 0.6 + 0.4 * min(1.0, max(0.0, (item.ocr - 0.5) / 0.45))
    return round(min(1.0, max(0.0, c)), 2)


def _odd(name: str) -> bool:
    """A name shaped like something else: a sentence, a code, a fragment, a description."""
    letters = re.findall(r"[^\W\d_]", name)
    digits = re.findall(r"\d", name)
    words = name.split()
    return (len(words) > 6 or len(name) > 40 or len(letters) < 2 and not re.search(r"[\u3400-\u9fff]", name)
            or len(digits) > 0.3 * max(1, len(name)) or (name[:1].islower() and len(words) >= 2)
            or notes.is_description(name))
