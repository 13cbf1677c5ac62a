"""The sizes and portions a menu prices one dish in (S M L XL, Glass Carafe Bottle, 半隻 一隻, 並 大盛):
one table of scales, smallest first, that says which words are labels, which label may follow which,
and where a name OCR ran into its first label ends. `prices`, `pricemarks` and `labels` read it."""
from __future__ import annotations

import re
from typing import Optional

# Each scale smallest first, as menus print its labels (a label is matched without case, except where
# OCR ran it into a word and its capital is what marks where it starts).
# (Sm, Md, Lg label columns only, `labels`: matched without case, MD and LG are other things in a price)
SCALES = (("S", "M", "L", "XL"), ("Small", "Medium", "Large"), ("Regular", "Large"),
          ("Reg", "Large"), ("Reg", "L"), ("Glass", "Carafe", "Bottle"), ("Half", "Full"))
# What else labels a dish's options: its protein or its vegetarian kind ("Veg 26 Prawn 32").
KINDS = ("Veg", "Vegan", "Veggie", "Prawn", "Shrimp", "Chicken", "Beef", "Pork", "Lamb", "Tofu", "Fish", "Duck",
         "Seafood")

_LATER: dict[str, set[str]] = {}
for _scale in SCALES:
    for _at, _label in enumerate(_scale):
        _LATER.setdefault(_label.upper(), set()).update(lb.upper() for lb in _scale[_at + 1:])
# Longest first: a pattern's alternatives are tried in order, and L would take the L of XL.
WORDS = tuple(sorted({lb for scale in SCALES for lb in scale}, key=len, reverse=True))
_FIRSTS = [lb for lb in WORDS if _LATER[lb.upper()]]
_FOLLOWERS = [lb for lb in WORDS if any(lb in scale[1:] for scale in SCALES)]


def _any(words) -> str:
    return "|".join(map(re.escape, words))


LATIN = _any(WORDS)               # every Latin size label
FIRST = _any(_FIRSTS)             # ...that a larger one may follow
FOLLOWING = _any(_FOLLOWERS)      # ...that follows a smaller one
KIND = _any(sorted(KINDS, key=len, reverse=True))  # an option's kind


def follows(first: str, later: str) -> bool:
    """`later` is a larger size than `first` in one of the scales (Glass then Bottle; not Carafe then L)."""
    return later.upper() in _LATER.get(first.upper(), ())
# CJK portions and sizes, longest first: 半隻 / 一隻 (half or whole bird), 大碗, 例牌, 並 / 大盛, グラス / ボトル.
# (OCR sets no space before one, "117元一隻147元", "1,900ボトル2,380", so one may start the next option
# with nothing between.)
CJK = r"大盛|特盛|小盛|[半一全整兩两][隻只份]|[大中小][份碗杯]|例牌|小|中|大|並|例|ハーフ|グラス|ボトル"

# A portion a CJK menu prices apart (半隻, 一份, 大碗, 例): what may be split off the end of a name run into it.
_PORTION = re.compile(r"[半一二兩两全大中小例並特][隻只份碗盤盘杯瓶斤人]?|大盛|小盛")
# ...a half, then a whole, of a counted thing, its counter however OCR read it (半隻 / 一售, 半份 / 一份;
# not 全雞 of 白切全雞, nor 一品 of 砂鍋一品).
_HALF, _WHOLE = re.compile(r"半[\u3400-\u9fff]"), re.compile(r"[一全整][\u3400-\u9fff]")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_KANA_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]+")
# A name OCR ran into its first option's label: "WRAPVeg", "SataySmall" (three letters of name at least;
# PadThai is a name)...
_GLUED_OPTION = re.compile(r"([A-Z][A-Z'’]{2,}|[A-Z][A-Za-z'’]*[a-z]{2})(" + _any(
    [lb for lb in WORDS if len(lb) > 2] + list(KINDS)) + ")")
# ...or into a first size: "TacosS $12 / L $15", "PurinGlass 4.95 / Bottle 5.95" (a capital S or M after
# lower case only: NACHOS, MUSSELS, CHICKEN PARM end in theirs).
_GLUED_SIZE = re.compile(r"(?:(?<=[a-z]{2})(" + _any(lb for lb in _FIRSTS if len(lb) == 1) + ")|(?<=[A-Za-z]{3})("
                         + _any(lb for lb in _FIRSTS if len(lb) > 2) + "))$")


def portions(first: str, others: list[str]) -> bool:
    """`first` and `others` are the portions a CJK menu prices apart (小 / 大, 半隻 / 一隻)."""
    return bool(_PORTION.fullmatch(first)) and all(map(_PORTION.fullmatch, others)) or \
        bool(_HALF.fullmatch(first)) and all(map(_WHOLE.fullmatch, others))


def glued_option(text: str, others: list[str], cjk: bool) -> Optional[tuple[str, str]]:
    """(name, label) when `text` is a name OCR ran into the first of a dish's option labels, `others` the
    later ones: "炸牡蠣半隻" before 一隻 (`cjk`: CJK sets no space there), "WRAPVeg" before Prawn."""
    if cjk and _KANA_HAN.fullmatch(text) and len(text) > (k := max(map(len, others))) \
            and (all(map(_PORTION.fullmatch, others)) or portions(text[-k:], others)):
        return text[:-k], text[-k:]
    glued = _GLUED_OPTION.fullmatch(text)
    if glued and all(lb[:1].isupper() for lb in others):
        return glued.group(1), glued.group(2)
    return None


def glued_size(head: str, others: list[str]) -> Optional[tuple[str, str]]:
    """(name, label) when a name's last characters are the label of its first amount, every later amount
    labelled larger in the same scale: "客家小炒半售" before 一隻, "TacosS" before L."""
    k = len(others[0])
    if len(head) >= k + 2 and _HAN.fullmatch(head[-k - 2:]) and head[-k:] not in others \
            and portions(head[-k:], others):
        return head[:-k], head[-k:]
    glued = _GLUED_SIZE.search(head)
    if glued and {lb.upper() for lb in others} <= _LATER[(label := glued.group(1) or glued.group(2)).upper()]:
        return head[: glued.start()].rstrip(), label
    return None
