"""A CJK dish name's misread glyph: the known words it would make, put right.

A glyph is in doubt when no known dish or term is written with it (麻油碰). Each is tried as each known
word of two to four glyphs it would complete where it stands (麻油碰 -> 麻油雞), and, last in the name, as
the glyphs dishes' names most often end in (農家鴨胸版 -> 農家鴨胸飯). Only what the menu's script prints
is offered (`hanzi`). The recogniser decides (`lexicon`): these are candidates, never answers.
Measured on development pages and not kept: glyphs known names are written with but no known word in
the name takes in (田難 for 田雞) cost 1.4 points of photographed recall, their candidates crowding out
likelier ones; two glyphs put right together changed nothing.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from common.engines.local import hanzi
from common.engines.local.dishes import KnowledgeBase, key

ENDS = 24   # glyphs dishes' names end in, both scripts, tried for a misread last glyph
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
KANA = re.compile(r"[\u3040-\u30ff]")


def fixes(name: str, kb: KnowledgeBase, script: str = "") -> list[str]:
    """`name` with one glyph no known name is written with put right, as the known words it completes."""
    vocabulary = _vocabulary(kb.cjk_names())
    out = [fixed for p, g in enumerate(name) if HAN.match(g) and g not in vocabulary.glyphs
           for fixed in _one(name, p, vocabulary)]
    return _printable(out, name, script)


def _one(name: str, p: int, vocabulary: "_Vocabulary") -> list[str]:
    out = []
    for size in (4, 3, 2):
        for at in range(max(0, p - size + 1), min(p, len(name) - size) + 1):
            out += [name[:at] + word + name[at + size:]
                    for word in vocabulary.words.get((name[at:p], name[p + 1:at + size], size), ())]
    if p == len(name) - 1:
        out += [name[:p] + end for end in vocabulary.ends]
    return out


def _printable(candidates: list[str], name: str, script: str) -> list[str]:
    # (another script's form of the glyph is no fix: 飯 and 饭 are one word, and `hanzi` owns such slips)
    return [fixed for fixed in dict.fromkeys(candidates) if key(fixed) != key(name) and hanzi.printable(fixed, script)
            and (script == "ja" or not KANA.search(fixed))]


@dataclass(frozen=True)
class _Vocabulary:
    glyphs: frozenset[str]                            # every glyph known names are written with
    words: dict[tuple[str, str, int], list[str]]      # those by (before one glyph, after it, size)
    ends: tuple[str, ...]                             # the glyphs most dishes' names end in


@functools.lru_cache(maxsize=2)
def _vocabulary(names: tuple[str, ...]) -> _Vocabulary:
    words: dict[tuple[str, str, int], list[str]] = {}
    for word in (n for n in names if len(n) <= 4):
        for j in range(len(word)):
            words.setdefault((word[:j], word[j + 1:], len(word)), []).append(word)
    ends = Counter(n[-1] for n in names if len(n) >= 3 and HAN.match(n[-1]))
    return _Vocabulary(frozenset("".join(names)), words, tuple(g for g, _ in ends.most_common(ENDS)))
