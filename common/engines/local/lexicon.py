"""A dish name OCR misread, read again against the known dishes it nearly spells.

For a name the knowledge base does not know exactly, the box it was read from is recognised once more
(its crop, in one batch with the page's other misread names) and each near spelling of a known dish
is scored by the recogniser itself (CTC log-likelihood). The known spelling replaces what OCR printed
only when the recogniser finds it nearly as likely (within MAX_LOSS): blur and calligraphy make 蝦餃
read as 蝦绞 with the right glyph a close second, while a dish that is merely similar and printed
clearly (紅燒羊肉 against 紅燒牛肉) costs many times more and stays as printed. A CJK name the list
does not know is tried the same way with one glyph no known name is written with put right
(`glyphs`: 麻油碰 -> 麻油雞, 農家鴨胸版 -> 農家鴨胸飯), and a Latin one with a word no word list holds
spelled as a listed word one letter away (`spelling`: Sesome -> Sesame).
"""
from __future__ import annotations

import math
import re
from contextlib import nullcontext

from common.core import logs
from common.engines.local import glyphs, hanwords, spelling
from common.engines.local.dishes import KnowledgeBase, key
from common.engines.local.layout import Box
from common.engines.local.menu import ParsedItem
from common.engines.local.wording import clean
from common.engines.local.ocr import Ocr, Reading

log = logs.get_logger(__name__)

# nats a spelling may cost against the printed reading: a misread glyph costs 3-5 (7-10 on a blurred
# photo), a clearly printed different one 15 and more; a word list's word, per word put right, less
# (Harbour read as Harbor costs 9.5)
MAX_LOSS = 10.0
WORD_LOSS = 7.0
MAX_BOXES = 32    # boxes read again per page, nearest spellings first
CANDIDATES = 4    # near known names tried per misread name
MAX_LOOKUPS = 60  # names looked up for near spellings per page (~2 ms each)
WORD_FIXES = 32   # glyph or word fixes tried per misread name (glyphs, spelling)
# nats per glyph a runner-up making a dictionary word may cost (`hanwords`): on development pages every
# such fix within 3 put a misread right (田维 -> 田雞), and every one beyond made a right name wrong
# (茄子飯 -> 茄子板: 子板 is a word too)
RUNNER_UP_LOSS = 3.0


def correct(items: list[ParsedItem], matches: list, reading: Reading, ocr: Ocr, kb: KnowledgeBase,
            lock=nullcontext(), script: str = "") -> list[int]:
    """Rename, in place, the items whose printed name OCR misread: as a near known dish (`matches`: their
    knowledge-base matches as read), with one glyph of a `script` menu's known word (`glyphs`), or with
    a listed word (`spelling`); their indexes. `lock` is held around the recognition."""
    if reading.image is None:
        return []
    from rapidfuzz.distance import Levenshtein

    # Re-reading leans on rapidocr's recogniser internals: a fault is logged and the names stay.
    fixed: list[int] = []
    try:
        asks = []  # ((edits to its nearest spelling, a fix's), item index, box, text, where, spellings, doubts)
        # (every misread name is looked up, up to MAX_LOOKUPS a page, before the budget is spent on the
        # nearest: a page of noise costs at most 60 lookups of 2-3 ms and MAX_BOXES crops)
        looked = 0
        # The boxes' text as the names were cleaned (NFKC, ½ kept, no spaces between CJK), once a page.
        texts_of = [(box, clean(box.text)) for box in reading.boxes]
        for n, (item, m) in enumerate(zip(items, matches)):
            if looked == MAX_LOOKUPS:
                break
            # Read again: an unknown name, one known only loosely (fuzzy, by its reading), or a known
            # one spelled no way the dish is (蝦饺, a simplified glyph in a traditional name).
            if m and (m.how == "contained" or (m.how == "exact" and kb.spelled(item.name))):
                continue
            found = _box_of(item.name, texts_of)
            if not found:
                continue
            looked += 1
            box, text, at = found
            # Near known names, then a CJK name's glyph or a Latin name's word put right (`spelling`).
            # (each with the loss it may cost: a word list holds far more near neighbours than the dish
            # list, Harbor for Harbour, so its words may cost less)
            known = [(s, MAX_LOSS) for s in kb.near_spellings(item.name, CANDIDATES)]
            fixes = [(s, MAX_LOSS) for s in glyphs.fixes(item.name, kb, script)]
            # (two words put right together may cost no more than a known dish's spelling)
            fixes += [(s, min(WORD_LOSS * words, MAX_LOSS)) for s, words in spelling.fixes(item.name, kb)]
            fixes = [f for f in fixes if f[0] not in dict(known)][:WORD_FIXES]
            # Glyphs of a Chinese name that join no word: their runner-ups are known only once re-read.
            doubts = _doubtful(item.name, kb) if script in ("zh-Hant", "zh-Hans") else []
            if known or fixes or doubts:
                edits = [min((Levenshtein.distance(key(item.name), key(s)) for s, _ in group), default=99)
                         for group in (known, fixes)] + [len(doubts) or 99]
                # (fewest edits first; at a tie, a spelling before a doubt, a known dish's before a fix)
                rank = (min(edits), min(edits[:2]) > edits[2], edits[0] > edits[1])
                asks.append((rank, n, box, text, at, known + fixes, doubts))
        # The budget goes to the names fewest edits from a spelling (蝦绞: one, however short): a known
        # dish that merely shares words with the name (Salt And Pepper Squid for Black Pepper Squid
        # Noodles) is never read so.
        todo = sorted(asks, key=lambda a: a[0])[:MAX_BOXES]
        with lock:  # once for the page: a scan waiting on another's OCR should wait once, not per box
            frames = ocr.reread(reading.image, [a[2] for a in todo]) if todo else []
        for (_, n, _, text, at, spellings, doubts), read in zip(todo, frames):
            if read is None:
                continue
            texts = [text] + [text[: at.start()] + s + text[at.end():] for s, _ in spellings]
            scores = [read.likelihood(t) for t in texts]
            if not math.isfinite(scores[0]):
                continue  # a printed reading the model cannot write scores -inf, and any spelling would beat it
            fits = [i for i in range(1, len(scores)) if scores[i] >= scores[0] - spellings[i - 1][1]]
            if fits:
                items[n].name = spellings[max(fits, key=scores.__getitem__) - 1][0]
                fixed.append(n)
            elif doubts and (fix := _runner_up(items[n].name, text, at, doubts, read, scores[0], kb, script)):
                items[n].name = fix
                fixed.append(n)
    except Exception as exc:  # noqa: BLE001 - re-reading improves names; it never fails a scan
        log.warning("re-reading failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return fixed


def _doubtful(name: str, kb: KnowledgeBase) -> list[int]:
    # (a fault here, the word list unreadable, costs this fix only: the known spellings are still tried)
    try:
        return hanwords.doubtful(name, kb.cjk_names())
    except Exception as exc:  # noqa: BLE001
        log.warning("doubtful glyphs not found", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return []


def _runner_up(name: str, text: str, at, doubts: list[int], read, printed: float, kb: KnowledgeBase,
               script: str) -> str | None:
    """`name` with its doubtful glyphs read as runner-ups that make words (`hanwords`), if the recogniser
    finds that nearly as likely as the print: the fix leaving fewest glyphs in doubt, then its score."""
    try:
        # (the name's glyphs sit in `text` at `at`, spaces aside: _box_of matched them one to one)
        where = dict(zip([p for p, g in enumerate(name) if not g.isspace()],
                         [p for p in range(at.start(), at.end()) if not text[p].isspace()]))
        runners = read.nearly(text, {where[p] for p in doubts}, hanwords.RUNNERS_UP)
        nearly = {p: runners[where[p]] for p in doubts if where[p] in runners}
        best = None
        for fix in hanwords.fixes(name, doubts, nearly, kb.cjk_names(), script):
            score = read.likelihood(text[: at.start()] + fix.name + text[at.end():])
            # (the prior weighs in, but never past what any spelling may cost)
            if score + fix.prior >= printed - RUNNER_UP_LOSS * fix.glyphs and score >= printed - MAX_LOSS \
                    and (best is None or fix.rank(score) < best[0]):
                best = (fix.rank(score), fix.name)
        return best[1] if best else None
    except Exception as exc:  # noqa: BLE001 - the other names on the page are still put right
        log.warning("runner-up glyphs not tried", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return None


def _box_of(name: str, texts_of: list[tuple[Box, str]]):
    """(box, its cleaned text, where the name sits in it) for the one box that holds the name."""
    pattern = re.compile(r"\s*".join(re.escape(c) for c in name if not c.isspace()))
    hits = [(box, text, at) for box, text in texts_of if (at := pattern.search(text))]
    return hits[0] if len(hits) == 1 else None
