"""OCR's slips into Simplified Chinese on a Traditional Chinese or a Japanese menu, set right.

The recogniser learnt mostly Simplified text: where a Traditional or Japanese character prints small or
blurred it reads the Simplified form (鸭 for 鴨, 宫 for 宮, 烧 for 焼). Neither kind of menu prints a
Simplified-only character, so each one read there is put back: in its Taiwan form on a Traditional
menu (面 stays, 麺 becomes 麵), in its Japanese form on a Japanese one. Simplified-only means every
Traditional standard (OpenCC's general, Taiwan and Hong Kong tables) changes it, less a few characters
Traditional text also uses in their own right (豆干, 里肌, 皇后).
"""
from __future__ import annotations

import functools

from common.menu.names import converter

_SHARED = set("干里后丑余谷征冲范斗朴卜几了才")


def for_script(text: str, script: str) -> str:
    """`text` with each Simplified-only character in the form a `script` ("zh-Hant", "ja") menu prints."""
    if script not in ("zh-Hant", "ja"):
        return text
    return "".join(_fixed(c, script) if "\u4e00" <= c <= "\u9fff" else c for c in text)


@functools.lru_cache(maxsize=8192)
def _fixed(c: str, script: str) -> str:
    if c in _SHARED:
        return c
    forms = [converter(name).convert(c) for name in ("s2tw", "s2t", "s2hk")]
    if c in forms:
        return c  # a character Traditional text uses too
    return converter("t2jp").convert(forms[0]) if script == "ja" else forms[0]
