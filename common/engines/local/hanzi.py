"""OCR's slips into Simplified Chinese on a Traditional Chinese or a Japanese menu, set right.

The recogniser learnt mostly Simplified text: where a Traditional or Japanese character prints small or
blurred it reads the Simplified form (鸭 for 鴨, 宫 for 宮, 烧 for 焼). A character no Traditional
encoding holds (Big5-HKSCS) cannot be printed on a Traditional menu, nor one Shift-JIS (cp932) lacks on a
Japanese one: each such character is put back, in its Taiwan form or its Japanese form. A line where
such characters are many is not a slip but Simplified text (a translation printed beside the dish), and
is left as printed; so are characters both scripts use (虱, 咸, 游, 郁). On a Japanese menu OCR also
reads a blurred character in its older form (燒 for 焼), which Japanese can print: a name is put in
today's forms when that names a known dish.
"""
from __future__ import annotations

import functools
from typing import Callable

from common.menu.names import converter

_ENCODING = {"zh-Hant": "big5hkscs", "ja": "cp932"}
_PRINTED_IN = {**_ENCODING, "zh-Hans": "gb2312"}  # what each script's menus can print at all
SLIPS_MAX = 1 / 3  # of a line's Han characters (one at least): more, and the line is Simplified text


def for_script(text: str, script: str) -> str:
    """`text` with the Simplified-only characters OCR slipped into put in the form a `script` menu prints."""
    if script not in _ENCODING:
        return text
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    slips = [c for c in han if not _printable(c, script)]
    if not slips or len(slips) > max(1.0, SLIPS_MAX * len(han)):
        return text
    return "".join(_fixed(c, script) if c in slips else c for c in text)


def shinjitai_if_known(name: str, known: Callable[[str], int]) -> str:
    """A Japanese menu's `name` in today's forms (燒肉 -> 焼肉) when `known` (higher: a better known
    dish's name, 0 none) knows that better."""
    modern = converter("t2jp").convert(name)
    return modern if modern != name and known(modern) > known(name) else name


def printable(text: str, script: str) -> bool:
    """True when a `script` menu (zh-Hant, zh-Hans, ja) can print every Han character of `text`; any
    text for other scripts."""
    return script not in _PRINTED_IN or all(_printable(c, script) for c in text if "\u4e00" <= c <= "\u9fff")


@functools.lru_cache(maxsize=8192)
def _printable(c: str, script: str) -> bool:
    try:
        c.encode(_PRINTED_IN[script])
        return True
    except UnicodeEncodeError:
        return False


@functools.lru_cache(maxsize=8192)
def _fixed(c: str, script: str) -> str:
    form = converter("s2tw").convert(c)
    if script == "ja":
        form = converter("t2jp").convert(form)
    return form if _printable(form, script) else c
