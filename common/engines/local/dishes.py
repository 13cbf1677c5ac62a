"""The bundled dish knowledge base and the matcher that finds a dish in noisy OCR text.

Data: common/engines/local/data/*.csv (see data/README.md for columns and sources). Matching works
on a key that forgives what OCR and menus vary: NFKC, case, spaces and punctuation, accents,
katakana vs hiragana, simplified vs traditional Chinese (OpenCC), and Japanese kanji vs kana
spellings (pykakasi readings). Then, in order: exact key, exact reading, a known name contained in
the line, and a fuzzy ratio (rapidfuzz) at or above FUZZY_THRESHOLD.
"""
from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from common.menu.names import converter, fold, key

DATA_DIR = Path(__file__).parent / "data"
LANGS = ("en", "zh_tw", "zh_cn", "ja", "ko")
FUZZY_THRESHOLD = 86      # rapidfuzz ratio (0-100); tested against OCR-noise variants and near-miss dishes
MIN_FUZZY_LEN = 5         # shorter keys must match exactly: one wrong character in 枝豆 is another word
MIN_CONTAINED_COVER = 0.4  # a contained name must cover this share of the line's key
# Words menus put around a dish name; removed before matching so 特製餃子 is still 餃子.
MODIFIERS = ("当店自慢の", "自慢の", "本日の", "自家製", "手作り", "特製", "名物", "元祖", "特上", "極上", "上", "並",
             "大盛り", "大盛", "招牌", "秘製", "homemade", "house", "our", "classic", "special", "famous",
             "traditional", "fait maison", "della casa", "de la casa")


@dataclass
class Dish:
    id: str
    cuisine: str
    course: str
    rank: int
    names: list[str]
    name: dict[str, str]
    tags: list[str]
    allergens: list[str]
    description: dict[str, str]
    is_term: bool = False  # an ingredient or method from the glossary, not a dish

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name["en"]

    def description_in(self, lang: str) -> str:
        return self.description.get(lang) or self.description.get("en", "")


@dataclass
class Match:
    dish: Dish
    score: float
    how: str  # exact | reading | contained | fuzzy


@dataclass
class KnowledgeBase:
    dishes: list[Dish]
    terms: list[Dish]
    _exact: dict[str, list[Dish]] = field(default_factory=dict)
    _reading: dict[str, list[Dish]] = field(default_factory=dict)
    _term_keys: list[tuple[str, Dish]] = field(default_factory=list)
    _spellings: dict[str, list[str]] = field(default_factory=dict)
    _words: Optional[tuple[str, ...]] = field(default=None, init=False, repr=False, compare=False)
    _latin: Optional[frozenset[str]] = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for dish in self.dishes:
            for name in _all_names(dish):
                k = key(name)
                if (len(k) >= 2 or (k and _is_cjk(k))) and dish not in self._exact.get(k, []):
                    self._exact.setdefault(k, []).append(dish)
                if k and name not in self._spellings.get(k, []):
                    self._spellings.setdefault(k, []).append(name)
                r = reading(name)
                if r and len(r) >= 3 and dish not in self._reading.get(r, []):
                    self._reading.setdefault(r, []).append(dish)
        for term in self.terms:
            for name in _all_names(term):
                k = key(name)
                if k:
                    self._term_keys.append((k if _is_cjk(k) else _phrase(name), term))
        self._term_keys.sort(key=lambda kt: -len(kt[0]))
        self._keys = list(self._exact)
        self._reading_keys = list(self._reading)
        # Names long enough to be found inside a longer line (two CJK characters are too often another word)
        self._containable = [k for k in self._keys if len(k) >= (3 if _is_cjk(k) else 4)]
        self._matched: dict = {}  # a page asks of its lines more than once

    def match(self, text: str, prefer: Optional[str] = None) -> Optional[Match]:
        """The dish named in `text`, or None when nothing matches well enough.

        Where one name belongs to several dishes (餃子: Japanese gyoza, Chinese jiaozi), the one of
        the `prefer` cuisine wins, else the first listed.
        """
        if (text, prefer) not in self._matched:
            if len(self._matched) > 20_000:
                self._matched.clear()
            self._matched[(text, prefer)] = self._match(text, prefer)
        return self._matched[(text, prefer)]

    def _match(self, text: str, prefer: Optional[str]) -> Optional[Match]:
        from rapidfuzz import fuzz, process

        def pick(found: list[Dish]) -> Dish:
            return next((d for d in found if d.cuisine == prefer), found[0])

        k = key(text)
        if not k:
            return None
        if k in self._exact:
            return Match(pick(self._exact[k]), 100.0, "exact")
        r = reading(text)
        if r and r in self._reading:
            return Match(pick(self._reading[r]), 98.0, "reading")
        bare = _strip_modifiers(k)
        if bare != k and bare in self._exact:
            return Match(pick(self._exact[bare]), 95.0, "exact")
        best: Optional[tuple[int, str]] = None
        for known in self._containable:  # not two CJK characters: 枝豆 is in 枝豆腐
            if known in k:
                if best is None or len(known) > best[0]:
                    best = (len(known), known)
        if best and best[0] / len(k) >= MIN_CONTAINED_COVER:
            return Match(pick(self._exact[best[1]]), 90.0 * best[0] / len(k) + 10, "contained")
        if len(k) >= MIN_FUZZY_LEN:
            hit = process.extractOne(k, self._keys, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
            if hit:
                return Match(pick(self._exact[hit[0]]), float(hit[1]), "fuzzy")
            if r and len(r) >= MIN_FUZZY_LEN:
                hit = process.extractOne(r, self._reading_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
                if hit:
                    return Match(pick(self._reading[hit[0]]), float(hit[1]) - 2, "fuzzy")
        return None

    def near_spellings(self, text: str, limit: int = 4, min_ratio: int = 50) -> list[str]:
        """Printed spellings of the known names nearest `text` (up to `limit` names, each in every
        script and, for Latin names, every case it may be printed in); for re-reading a misread name."""
        from rapidfuzz import fuzz, process

        k = key(text)
        if len(k) < 2:
            return []
        out: list[str] = []
        for hit, _, _ in process.extract(k, self._keys, scorer=fuzz.ratio, limit=limit, score_cutoff=min_ratio):
            if abs(len(hit) - len(k)) > max(1, len(k) // 4):
                continue
            for name in self._spellings.get(hit, []):
                forms = [name] if _is_cjk(name) else [name, name.title(), name.upper(), name[:1].upper() + name[1:]]
                out += [f for f in forms if f not in out and f != text]
        return out

    def cjk_names(self) -> tuple[str, ...]:
        """Every printed CJK spelling of a known dish or term, two characters or more: what a misread
        glyph in an unknown name is tried against (`lexicon`)."""
        if self._words is None:
            names = [n for names in self._spellings.values() for n in names]
            names += [n for term in self.terms for n in _all_names(term)]
            self._words = tuple(sorted({n for n in names if len(n) >= 2 and all(_is_cjk(c) for c in n)}))
        return self._words

    def latin_words(self) -> frozenset[str]:
        """Every word, lower-cased, of the Latin-script names of known dishes and terms (`spelling`)."""
        if self._latin is None:
            names = [n for names in self._spellings.values() for n in names]
            names += [n for term in self.terms for n in _all_names(term)]
            self._latin = frozenset(w.lower() for n in names for w in re.findall(r"[A-Za-z]+", n))
        return self._latin

    def spelled(self, text: str) -> bool:
        """True when `text` is, letter for letter, one of the ways a known dish is written."""
        spellings = self._spellings.get(key(text), [])
        return text in spellings or text.lower() in spellings

    def gloss(self, text: str, lang: str) -> str:
        """A Latin-script name put word by word into `lang` through the glossary; words it lacks stay."""
        words = re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text)
        if not words or lang == "en" or _is_cjk(text):
            return text
        by_phrase = {k: t for k, t in self._term_keys if not _is_cjk(k)}
        out, i, hit = [], 0, False
        while i < len(words):
            for n in (3, 2, 1):
                phrase = _phrase(" ".join(words[i:i + n]))
                term = by_phrase.get(phrase) or (by_phrase.get(phrase[:-1]) if phrase.endswith("s") else None)
                if i + n <= len(words) and term:
                    out.append(term.name_in(lang))
                    i, hit = i + n, True
                    break
            else:
                out.append(words[i])
                i += 1
        if not hit:
            return text
        joined = out[0]
        for word in out[1:]:  # no space between two CJK words: 羊肉咖哩, but 羊肉 Rogan Josh
            joined += word if _is_cjk(joined[-1]) and _is_cjk(word[0]) else f" {word}"
        return joined

    def terms_in(self, text: str, limit: int = 4) -> list[Dish]:
        """Glossary terms (ingredients, methods) in `text`, in the order they appear, longest match first."""
        k = key(text)
        phrase = f" {_phrase(text)} "
        found: list[tuple[int, Dish]] = []
        for term_key, term in self._term_keys:
            if any(term is t for _, t in found):
                continue
            if _is_cjk(term_key):
                at = k.find(term_key)
                if at >= 0:
                    found.append((at, term))
                    k = k.replace(term_key, "\0" * len(term_key))  # keep positions; no overlapping terms
            elif len(term_key) >= 3:
                # Latin terms match whole words only: "col" is not in "cola"
                at = max(phrase.find(f" {term_key} "), phrase.find(f" {term_key}s "))
                if at >= 0:
                    found.append((at, term))
        return [t for _, t in sorted(found, key=lambda f: f[0])][:limit]


@functools.lru_cache(maxsize=1)
def _modifier_keys() -> tuple[str, ...]:
    return tuple(key(m) for m in MODIFIERS)


def _strip_modifiers(k: str) -> str:
    for _ in range(2):
        for mk in _modifier_keys():
            if k.startswith(mk) and len(k) > len(mk) + 1:
                k = k[len(mk):]
    return k


def _all_names(d: Dish) -> list[str]:
    return list(dict.fromkeys([*d.names, *(v for v in d.name.values() if v)]))


def _is_cjk(s: str) -> bool:
    return any("\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" or "\uf900" <= c <= "\ufaff" for c in s)


@functools.lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


_DROP = re.compile(r"[^\w]|_", re.UNICODE)


def _phrase(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def reading(text: str) -> str:
    """The hiragana reading of Japanese text (唐揚げ and から揚げ both read からあげ); '' otherwise."""
    s = unicodedata.normalize("NFKC", text)
    if not any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in s):
        return ""
    if any("\uac00" <= c <= "\ud7af" for c in s):
        return ""
    return _DROP.sub("", "".join(part["hira"] for part in _kakasi().convert(s)))


def romanise(text: str) -> str:
    """Hepburn romanisation of Japanese text, for names the knowledge base does not know."""
    parts = [p["hepburn"] for p in _kakasi().convert(unicodedata.normalize("NFKC", text)) if p["hepburn"].strip()]
    out = " ".join(parts).strip()
    return out[:1].upper() + out[1:]


def to_script(text: str, lang: str) -> str:
    """Han characters in the reader's script: traditional for zh-TW, simplified for zh-CN."""
    if lang == "zh_tw":
        return converter("jp2t").convert(converter("s2twp").convert(text))
    if lang == "zh_cn":
        return converter("tw2sp").convert(converter("jp2t").convert(text))
    return text


def reader_lang(language: str) -> str:
    """Map a BCP-47 tag to the knowledge base's languages; anything else reads English."""
    tag = language.replace("_", "-").lower()
    if tag.startswith("zh"):
        if any(p in tag for p in ("hans", "-cn", "-sg", "-my")) or tag == "zh":
            return "zh_cn"
        return "zh_tw"
    base = tag.split("-")[0]
    return base if base in ("en", "ja", "ko") else "en"


def _split(cell: str) -> list[str]:
    return [p.strip() for p in (cell or "").split(";") if p.strip()]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="|"))


def _dish(row: dict[str, str], is_term: bool, tw2sp) -> Dish:
    name = {lang: (row.get(lang) or "").strip() for lang in LANGS}
    names = _split(row.get("names", ""))
    if not name["zh_cn"] and name["zh_tw"]:
        name["zh_cn"] = tw2sp.convert(name["zh_tw"])  # documented: zh-CN derived where it is the plain conversion
    if not name["ja"] and row.get("cuisine") == "ja" and names:
        name["ja"] = names[0]
    desc = {"en": (row.get("desc_en") or "").strip(), "zh_tw": (row.get("desc_zh_tw") or "").strip()}
    if desc["zh_tw"]:
        desc["zh_cn"] = tw2sp.convert(desc["zh_tw"])
    return Dish(id=row["id"].strip(), cuisine=(row.get("cuisine") or "").strip(), course=(row.get("course") or "").strip(),
                rank=int(row.get("rank") or 0), names=names, name=name, tags=_split(row.get("tags", "")),
                allergens=_split(row.get("allergens", "")), description=desc, is_term=is_term)


@functools.lru_cache(maxsize=1)
def load() -> KnowledgeBase:
    """Load the bundled knowledge base once per process."""
    tw2sp = converter("tw2sp")
    dishes, terms = [], []
    for path in sorted(DATA_DIR.glob("*.csv")):
        is_term = path.stem == "glossary"
        for row in _rows(path):
            (terms if is_term else dishes).append(_dish(row, is_term, tw2sp))
    return KnowledgeBase(dishes, terms)
