"""OCR's slips into Simplified Chinese on a Traditional Chinese menu, set right.

The recogniser learnt mostly Simplified text: where a Traditional character prints small or blurred it
reads the Simplified form (鸭 for 鴨, 宫 for 宮). A Traditional menu prints no Simplified-only character,
so each one read there is put back. Only characters every Traditional standard (OpenCC's general,
Taiwan and Hong Kong tables) changes are touched, less a few that Traditional text also uses in
their own right (豆干, 里肌, 皇后).
"""
from __future__ import annotations

import functools

from common.menu.names import converter

_SHARED = set("干里后丑余谷征冲范斗朴卜几了才")


def traditional(text: str) -> str:
    """`text` with each Simplified-only character in its Traditional form."""
    return "".join(_fixed(c) if "\u4e00" <= c <= "\u9fff" else c for c in text)


@functools.lru_cache(maxsize=4096)
def _fixed(c: str) -> str:
    if c in _SHARED:
        return c
    forms = {converter(name).convert(c) for name in ("s2t", "s2tw", "s2hk")}
    return forms.pop() if len(forms) == 1 and c not in forms else c
