"""A Latin-script dish name's misread words: the spellings one letter away that a word list holds.

OCR reads a blurred or decorative a as o ("Sesome", "Buffolo"), fl as fi ("Caulifiower"), a as 0
("Pizz0"). A word of four letters or more that neither an English dictionary (pyspellchecker's, its
commoner words) nor a known dish's name holds is offered as each listed word one edit from it. The
recogniser decides, as for a misread glyph (`lexicon`): these are candidates, never answers.
"""
from __future__ import annotations

import functools
import itertools
import re

from common.engines.local.dishes import KnowledgeBase

MIN_LENGTH = 4      # shorter words have too many neighbours ("Pho", "Dal")
MIN_FREQUENCY = 50  # pyspellchecker's counts; rarer entries are mostly typos and names
PER_WORD = 6        # spellings kept for each misread word
MAX_WORDS = 2       # misread words put right together in one name
_WORD = re.compile(r"[A-Za-z0-9]+")


def fixes(name: str, kb: KnowledgeBase) -> list[tuple[str, int]]:
    """(`name` with its unlisted words spelled as listed ones, how many words changed), nearest first."""
    if not re.search(r"[A-Za-z]{3}", name):
        return []  # (a CJK name never loads the word list)
    dishes = kb.latin_words()
    words = _known(dishes)
    options = []  # (start, end, [spellings]) for each word no list holds
    for m in _WORD.finditer(name):
        word = m.group(0)
        if len(word) < MIN_LENGTH or word.isdigit() or sum(c.isdigit() for c in word) > 1 or word.lower() in words:
            continue
        # (a known dish's words first, dango before dingo; then the commoner English words)
        near = sorted(_edits(word.lower()) & words,
                      key=lambda w: (w not in dishes, -_checker().word_frequency[w], w))[:PER_WORD]
        if near:
            options.append((m.start(), m.end(), [_cased(w, word) for w in near]))
    out: list[tuple[str, int]] = []
    for count in range(1, min(MAX_WORDS, len(options)) + 1):
        for chosen in itertools.combinations(options, count):
            for spelt in itertools.product(*(o[2] for o in chosen)):
                text, shift = name, 0
                for (start, end, _), word in zip(chosen, spelt):
                    text = text[: start + shift] + word + text[end + shift:]
                    shift += len(word) - (end - start)
                out.append((text, count))
    return out


def _cased(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _edits(word: str) -> set[str]:
    return set(_checker().edit_distance_1(word))


@functools.lru_cache(maxsize=1)
def _checker():
    from spellchecker import SpellChecker  # the word list loads in ~0.15 s, once, for a Latin menu's first misread

    return SpellChecker(language="en", distance=1, case_sensitive=False)


@functools.lru_cache(maxsize=2)
def _known(dishes: frozenset[str]) -> frozenset[str]:
    # (possessives, Ed's, are no dish's words)
    listed = {w for w, n in _checker().word_frequency.items() if n >= MIN_FREQUENCY and len(w) >= MIN_LENGTH
              and w.isalpha()}
    return frozenset(listed | dishes)
