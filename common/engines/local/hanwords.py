"""A Chinese dish name's glyphs that join no word, offered as the recogniser's runner-up glyphs that do.

Small or blurred print is misread glyph by glyph into strings no one writes (田維 for 田雞, 炒題 for
炒麵). A glyph of a Chinese name is in doubt when no word of two or three glyphs through it is in a
general Chinese dictionary (jieba's, 330,000 words, MIT) nor in a known dish's name. For such a glyph the
recogniser's own frames say which other glyphs it nearly read there; those that make a word with the
glyphs beside it are candidates. The recogniser decides (`lexicon`), as for the other fixes.
Words are compared in Simplified form: the dictionary is Simplified, and 麵 and 面 are one word.
"""
from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

from common.engines.local import glyphs
from common.menu.names import converter

RUNNERS_UP = 24   # glyphs the recogniser nearly read at a doubtful glyph, looked up as words
PER_GLYPH = 4     # word-making runner-ups of a doubtful glyph tried with another glyph's
PAIR_RUNNERS = 16  # runner-ups of two doubtful glyphs side by side tried together
MAX_FIXES = 12    # fixes a name is scored against, likeliest in menus first
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def doubtful(name: str, known: tuple[str, ...]) -> list[int]:
    """Positions of `name`'s Han glyphs that join no dictionary word nor a piece of a known name."""
    plain = _simplified(name)
    if len(plain) != len(name) or not _dictionary():
        return []  # (without the dictionary every glyph would be in doubt)
    words = _dictionary() | _pieces(known)
    return [p for p, g in enumerate(plain) if _HAN.match(g) and not _joins(plain, p, words)]


def fixes(name: str, doubts: list[int], nearly: dict[int, list[str]], known: tuple[str, ...]) -> list[Fix]:
    """`name` with one or two doubtful glyphs replaced by ones the recogniser nearly read there, where each
    then makes a word; likeliest in menus first. `nearly`: position -> glyphs, likeliest first."""
    plain = _simplified(name)
    words, counts = _dictionary() | _pieces(known), _counts(known)
    runners = {p: [(g, _simplified(g)) for g in nearly.get(p, ())[:RUNNERS_UP] if _HAN.match(g) and g != name[p]]
               for p in doubts}
    runners = {p: [(g, s) for g, s in rs if len(s) == 1 and s != plain[p]] for p, rs in runners.items()}

    def fits(change: dict[int, tuple[str, str]]) -> bool:
        swapped = list(plain)
        for p, (_, s) in change.items():
            swapped[p] = s
        return all(_joins("".join(swapped), p, words) for p in change)

    singles = {p: [r for r in runners[p] if fits({p: r})] for p in doubts}
    tries = [{p: r} for p in doubts for r in singles[p]]
    for p, q in itertools.combinations(doubts, 2):
        if q - p > 2:  # (apart, each makes its word alone)
            tries += [{p: a, q: b} for a in singles[p][:PER_GLYPH] for b in singles[q][:PER_GLYPH]]
        else:  # (side by side, together: 田維趣 is 田雞麵, though neither 雞 nor 麵 alone makes a word)
            tries += [c for a in runners[p][:PAIR_RUNNERS] for b in runners[q][:PAIR_RUNNERS]
                      if fits(c := {p: a, q: b})]
    out: dict[str, Fix] = {}
    for change in tries:
        fixed = "".join(change[p][0] if p in change else g for p, g in enumerate(name))
        # (how much likelier menus print the new glyphs than the old: 雞 for 維, not 回 for 田)
        prior = sum(math.log((counts[s] + 1) / (counts[plain[p]] + 1)) for p, (_, s) in change.items())
        out.setdefault(fixed, Fix(fixed, len(change), len(doubtful(fixed, known)), prior))
    return sorted(out.values(), key=lambda f: (f.doubts, -f.prior))[:MAX_FIXES]


@dataclass(frozen=True)
class Fix:
    name: str
    glyphs: int       # glyphs changed
    doubts: int       # glyphs still joining no word
    prior: float      # log of how much commoner in known dishes' names the new glyphs are than the old

    def rank(self, score: float) -> tuple:
        """Better fixes sort first: fewest doubts left, then the recogniser's score and the prior."""
        return (self.doubts, -(score + self.prior))


def _joins(plain: str, p: int, words: frozenset[str]) -> bool:
    if p == len(plain) - 1 and plain[p] in words:
        return True  # a glyph names end in, a word of its own (炒麵's 麵 in 田雞麵)
    return any(plain[at:at + size] in words
               for size in (2, 3) for at in range(max(0, p - size + 1), min(p, len(plain) - size) + 1))


def _simplified(text: str) -> str:
    return converter("t2s").convert(text)


@functools.lru_cache(maxsize=2)
def _pieces(known: tuple[str, ...]) -> frozenset[str]:
    # (every two and three glyphs of a known name: 乾煸 of 乾煸四季豆, a word no general dictionary holds;
    # and the single glyphs names most end in, 麵 and 飯, words where they end a name)
    plain = [_simplified(n) for n in known]
    ends = Counter(n[-1] for n in plain if len(n) >= 3 and _HAN.match(n[-1]))
    return frozenset([n[at:at + size] for n in plain for size in (2, 3) for at in range(len(n) - size + 1)]
                     + [g for g, _ in ends.most_common(glyphs.ENDS)])


@functools.lru_cache(maxsize=2)
def _counts(known: tuple[str, ...]) -> Counter:
    return Counter(_simplified("".join(known)))


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    import importlib.util
    from pathlib import Path

    # (read as a file, not imported: jieba's segmenter is not wanted, only its word list, ~0.4 s once)
    spec = importlib.util.find_spec("jieba")  # (its presence is checked at start-up: check_prerequisites)
    if spec is None or spec.origin is None:
        return frozenset()
    with open(Path(spec.origin).parent / "dict.txt", encoding="utf-8") as f:
        return frozenset(w for w in (line.split(" ", 1)[0] for line in f) if len(w) in (2, 3))
