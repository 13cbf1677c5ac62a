"""How a menu line reads: OCR's text cleaned, a dish's name out of its line (number and leaders off, a
description after a dash apart), and whether words are set as a name, written as prose or a sentence,
and in which script."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from common.menu.names import converter

_BULLET = re.compile(r"^\s*(?:[0-9０-９]{1,3}[.)）:、]|[A-Za-z][0-9]{1,3}[.)]?|[①-⑳]|[・•●◆◇■□☐▪\-–—*#№]|No\.\s?\d{1,4}"
                     r"|\d{2,4}\s+(?=[^\W\d_])"
                     # an order sheet's row number run into its dish ("101传统铜锅"); never a count ("3色丼",
                     # "100年老店", "2人前")
                     r"|\d{3,4}(?![\d年人種种色品点點個个本枚貫贯皿串杯份])(?=[\u3400-\u9fff\u3040-\u30ff]))\s*")
# A list's number opening a line, before a name: "2. RIBEYE STEAK", "12) Pho", "3.JIAOZI".
LIST_NUMBER = re.compile(r"^\s*(\d{1,3})\s?[.)．]\s*(?=[^\W\d_])")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])\s+(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])")


# NFKC spells ½ as 1⁄2 (a fraction slash), which reads as the digits of a price: menus mean a half.
_VULGAR = {"1⁄2": "½", "1⁄4": "¼", "3⁄4": "¾", "1⁄3": "⅓", "2⁄3": "⅔"}
_FRACTION = re.compile(r"\d⁄\d")
_KANA_DASH = re.compile(r"(?<=[ァ-ヴー])[一—―‐-](?![一二三四五六七八九十百千万])")


def clean(text: str) -> str:
    """NFKC, no stray spaces between CJK characters, single spaces elsewhere."""
    s = _FRACTION.sub(lambda m: _VULGAR.get(m.group(0), m.group(0)), unicodedata.normalize("NFKC", text))
    s = _SPACE_BETWEEN_CJK.sub("", s)
    s = _KANA_DASH.sub("ー", s)  # OCR reads the long-vowel mark after katakana as 一 (one): バタ一 -> バター
    return re.sub(r"\s+", " ", s).strip()


def dish_name(head: str) -> str:
    """A dish's name out of the text before its price: its number or bullet and trailing leaders off."""
    s = _BULLET.sub("", head)
    s = re.sub(r"[\s.．·・…‥_\-–—:：|]+$", "", s)
    # (one comma inside a CJK name is a speck OCR read as one: 炙燒鰹,魚)
    if len(re.findall(r"[,，]", s)) == 1:
        s = re.sub(r"(?<=[\u3400-\u9fff])\s?[,，]\s?(?=[\u3400-\u9fff])", "", s)
    return s.strip(" \"'「」")


# "Margherita - tomato, mozzarella, basil": the name, a dash, dot or colon, then what the dish is;
# "BURRATA heirloom tomato, basil oil": a name in capitals, then what it is in lower case.
# (A dot needs a space beside it: Catalan writes Col·lecció.)
_NAME_THEN_WHAT = re.compile(r"^(?P<name>[^:|–—·•]{2,40}?)(?:\s*[-–—|~:]\s+|\s[·•]\s*|[·•]\s)(?P<what>.+)$"
                             r"|^(?P<name2>[^:]{2,40}?):\s+(?P<what2>.+)$"
                             r"|^(?P<name3>[A-Z][A-Z'’&\-]+(?: [A-Z][A-Z'’&\-]+){0,5})(?:\s*[·•]\s*|\s+)(?P<what3>[a-zà-ÿ].*,.+)$")


def described(name: str) -> tuple[str, Optional[str]]:
    """(name, description) for a line that prints both; (name, None) when it is only a name."""
    m = _NAME_THEN_WHAT.match(name)
    if not m:
        return name, None
    head, what = next((m.group(f"name{n}"), m.group(f"what{n}")) for n in ("", "2", "3") if m.group(f"name{n}"))
    cjk = len(CJK.findall(what))
    words = re.findall(r"[^\W\d_]{2,}", what)
    if len(head.split()) > 6 or not (len(words) >= 3 or ("," in what and len(words) >= 2) or cjk >= 6):
        return name, None
    if m.group("name3") and not re.search(r"[A-Z]{4}|[A-Z]+ [A-Z]+", head):
        return name, None  # BBQ pulled pork, XO fried rice: an acronym opens the name
    return head.strip(), what.strip()


def prose(s: str) -> bool:
    """A note rather than a name: a sentence with a full stop, or words mostly in lower case (a name
    is set in capitals or Title Case, its description after a dash aside)."""
    if len(CJK.findall(s)) >= 14 or (s.rstrip().endswith((".", "。")) and len(s) > 12):
        return True
    words = s.split()
    return not _NAME_THEN_WHAT.match(s) and len(words) >= 6 and sum(w[:1].islower() for w in words) > len(words) / 2


def titled(s: str) -> bool:
    """Set as a Latin dish's name is: a few words, each longer one capitalised, no list, no CJK."""
    words = re.findall(r"[^\W\d_]+", s)
    if not words or len(words) > 6 or CJK.search(s) or "," in s or not words[0][0].isupper():
        return False
    return all(w[0].isupper() for w in words if len(w) >= 4)


def cjk_name(s: str) -> bool:
    """Set as a CJK dish's name is: a few characters (XO醬 allowed), no list, no sentence."""
    return bool(re.fullmatch(r"[A-Za-z]{0,3}[\u3040-\u30ff\u3400-\u9fff]{2,12}", s))


def has_words(s: str) -> bool:
    """True when `s` holds a letter or a CJK character, not only digits and marks."""
    return bool(re.search(r"[^\W\d_]", s))


def is_sentence(s: str) -> bool:
    """Written as a sentence: long CJK text, six Latin words or more, or a full stop after a phrase."""
    cjk = len(CJK.findall(s))
    s = LIST_NUMBER.sub("", s)  # a list's number is no word: "5. Ginger Short Rib Fried Rice"
    return cjk >= 14 or (cjk == 0 and len(s.split()) >= 6) or s.endswith(("。", ".")) and len(s) > 12


def script_of(texts: list[str]) -> str:
    """The menu's writing system: ja, ko, th, zh-Hant, zh-Hans, vi or latin."""
    joined = "".join(texts)
    counts = {
        "kana": len(re.findall(r"[\u3040-\u30ff]", joined)),
        "hangul": len(re.findall(r"[\uac00-\ud7af]", joined)),
        "thai": len(re.findall(r"[\u0e00-\u0e7f]", joined)),
        "han": len(re.findall(r"[\u4e00-\u9fff]", joined)),
        "latin": len(re.findall(r"[A-Za-zÀ-ɏ]", joined)),
    }
    if counts["kana"] >= 3:
        return "ja"
    if counts["hangul"] >= 3:
        return "ko"
    if counts["thai"] >= 3:
        return "th"
    if counts["han"] >= max(3, counts["latin"] // 4):
        han = "".join(re.findall(r"[\u4e00-\u9fff]", joined))
        return "zh-Hant" if converter("t2s").convert(han) != han else "zh-Hans"
    if re.search(r"[ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", joined.lower()):
        return "vi"
    return "latin"
