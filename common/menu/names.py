"""How dish names are compared: one folding for the offline engine's knowledge base and the
dish_knowledge store, so a name one reads is the name the other finds.

NFKC, case, accents, spaces and punctuation folded, katakana as hiragana, and Han as traditional
(OpenCC s2t), so 红烧牛肉 on a simplified menu finds what 紅燒牛肉 on a traditional one taught.
"""
from __future__ import annotations

import functools
import re
import unicodedata


@functools.lru_cache(maxsize=None)
def converter(config: str):
    """An OpenCC converter, built once per process (each takes tens of milliseconds to load)."""
    import opencc

    return opencc.OpenCC(config)


_DROP = re.compile(r"[^\w]|_", re.UNICODE)


def fold(text: str) -> str:
    """NFKC, lower case, ligatures spelled out, accents dropped."""
    s = unicodedata.normalize("NFKC", text).lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", s)


def plain_key(text: str) -> str:
    """key() without the Han conversion (OpenCC)."""
    s = fold(text)
    s = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in s)
    return _DROP.sub("", s)


def key(text: str) -> str:
    """A matching key: NFKC, lower case, no accents, spaces or punctuation, hiragana, traditional Han."""
    s = plain_key(text)
    if any("\u4e00" <= c <= "\u9fff" for c in s):
        s = converter("s2t").convert(s)
    return s
