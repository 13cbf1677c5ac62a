"""A Chinese dish name's glyphs that join no word, offered as the recogniser's runner-up glyphs that do.

Small or blurred print is misread glyph by glyph into strings no one writes (田維 for 田雞, 炒題 for
炒麵). A glyph of a Chinese name is in doubt when no word of two or three glyphs through it is in a
general Chinese dictionary (jieba's, MIT: its 245,000 words of two or three glyphs) nor a piece of a
known dish's name. For such a glyph the recogniser's own frames say which other glyphs it nearly read
there; those that make words are candidates. The recogniser decides (`lexicon`), as for other fixes.
Words are compared in Simplified form: the dictionary is Simplified, and 麵 and 面 are one word.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from dataclasses import dataclass

from common.engines.local import glyphs, hanzi
from common.menu.names import converter

RUNNERS_UP = 24    # glyphs the recogniser nearly read at a doubtful glyph, looked up as words
PER_GLYPH = 4      # of a doubtful glyph's word-making runner-ups, those paired with another glyph's
PAIR_RUNNERS = 16  # runner-ups of two doubtful glyphs near each other, looked up together
MAX_FIXES = 12     # fixes a name is scored against, likeliest in menus first
MAX_DOUBTS = 4     # more glyphs in doubt, and the name is noise, not a misread name
MAX_PRIOR = 3.0    # nats the menus' glyph counts may add for one glyph (雞 for 維: 3.8, capped)


def doubtful(name: str, known: tuple[str, ...]) -> list[int]:
    """Positions of `name`'s Han glyphs, two or more in a row, that join no word nor a piece of a known
    name; [] when more than MAX_DOUBTS do: that is noise, not a misread name."""
    plain = _simplified(name)
    if len(plain) != len(name) or not _dictionary():
        return []  # (without the dictionary every glyph would be in doubt)
    doubts = _doubts(plain, _words(known))
    return doubts if len(doubts) <= MAX_DOUBTS else []


def fixes(name: str, doubts: list[int], nearly: dict[int, list[str]], known: tuple[str, ...],
          script: str = "") -> list[Fix]:
    """`name` with one or two doubtful glyphs replaced by ones the recogniser nearly read there, where each
    then makes a word, in what a `script` menu prints; likeliest in menus first. `nearly`: position ->
    glyphs, likeliest first."""
    plain = _simplified(name)
    words, counts = _words(known), _counts(known)
    runners = {p: [(g, s) for g in nearly.get(p, ())[:RUNNERS_UP] if glyphs.HAN.match(g) and g != name[p]
                   and len(s := _simplified(g)) == 1 and s != plain[p]] for p in doubts}

    def fits(change: dict) -> bool:
        swapped = "".join(change[p][1] if p in change else g for p, g in enumerate(plain))
        return all(_joins(swapped, p, words) for p in change)

    singles = {p: [r for r in runners[p] if fits({p: r})] for p in doubts}
    tries = [{p: r} for p in doubts for r in singles[p]]
    for p, q in itertools.combinations(doubts, 2):
        tries += [{p: a, q: b} for a in singles[p][:PER_GLYPH] for b in singles[q][:PER_GLYPH]]
        if q - p <= 2:  # (near each other, a pair may make a word that neither makes beside the other as printed:
            # 銀純湯 is 餛飩湯, and neither 餛純 nor 銀飩 is a word)
            tries += [c for a in runners[p][:PAIR_RUNNERS] for b in runners[q][:PAIR_RUNNERS]
                      if (a not in singles[p] or b not in singles[q]) and fits(c := {p: a, q: b})]
    out: dict[str, Fix] = {}
    for change in tries:
        fixed = "".join(change[p][0] if p in change else g for p, g in enumerate(name))
        # (glyphs this menu's script cannot print, 雞 on a Simplified menu, are no fix; a Simplified slip on a
        # Traditional one is, `hanzi` puts it in its Traditional form afterwards)
        if fixed in out or not all(hanzi.printable(hanzi.for_script(g, script), script) for g, _ in change.values()):
            continue
        # (how much likelier menus print the new glyphs than the old: 雞 for 維, not 回 for 田)
        prior = sum(max(-MAX_PRIOR, min(MAX_PRIOR, math.log((counts[s] + 1) / (counts[plain[p]] + 1))))
                    for p, (_, s) in change.items())
        swapped = "".join(change[p][1] if p in change else g for p, g in enumerate(plain))
        out[fixed] = Fix(fixed, len(change), len(_doubts(swapped, words)), prior)
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


def _doubts(plain: str, words: frozenset[str]) -> list[int]:
    # (a Han glyph with no Han glyph beside it, 田 of XO田 or 蝦 of 蝦 (S), has none to make a word with)
    return [p for p, g in enumerate(plain) if glyphs.HAN.match(g) and not _joins(plain, p, words)
            and any(0 <= q < len(plain) and glyphs.HAN.match(plain[q]) for q in (p - 1, p + 1))]


def _joins(plain: str, p: int, words: frozenset[str]) -> bool:
    if p == len(plain) - 1 and plain[p] in words:
        return True  # a glyph names end in, a word of its own (炒麵's 麵 in 田雞麵)
    return any(plain[at:at + size] in words
               for size in (2, 3) for at in range(max(0, p - size + 1), min(p, len(plain) - size) + 1))


@functools.lru_cache(maxsize=4096)
def _simplified(text: str) -> str:
    return converter("t2s").convert(text)


def _chinese(known: tuple[str, ...]) -> list[str]:
    # (Japanese names are written with other glyphs, kana among them: they would skew the counts)
    return [_simplified(n) for n in known if not glyphs.KANA.search(n)]


@functools.lru_cache(maxsize=2)
def _words(known: tuple[str, ...]) -> frozenset[str]:
    # (the dictionary's words, and every two and three glyphs of a known name: 乾煸 of 乾煸四季豆, a word
    # no general dictionary holds; and the single glyphs names most end in, words where they end a name)
    names = _chinese(known)
    ends = Counter(n[-1] for n in names if len(n) >= 3 and glyphs.HAN.match(n[-1]))
    return _dictionary() | frozenset([n[at:at + size] for n in names for size in (2, 3) for at in range(len(n) - size + 1)]
                                     + [g for g, _ in ends.most_common(glyphs.ENDS)])


@functools.lru_cache(maxsize=2)
def _counts(known: tuple[str, ...]) -> Counter:
    return Counter(g for n in _chinese(known) for g in n if glyphs.HAN.match(g))


def dictionary_path():
    """Where jieba keeps its word list (None without jieba); read as a file, never imported: its
    segmenter is not wanted."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("jieba")
    return Path(spec.origin).parent / "dict.txt" if spec and spec.origin else None


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    path = dictionary_path()  # (checked at start-up: check_prerequisites)
    if path is None or not path.is_file():
        return frozenset()
    with open(path, encoding="utf-8") as f:  # ~0.15 s and ~33 MB, once per process
        return frozenset(w for w in (line.split(" ", 1)[0] for line in f) if len(w) in (2, 3))
