"""Lines a menu prints that are never dishes: its address, telephone, opening hours, web and social
addresses, legal and house notices (service charge, allergies, raw food, cards), the year it opened and
its slogan; lines written as a dish's description rather than its name, and asides under a dish (a
choice, a warning, an extra, a badge). Told by their form and their vocabulary, in English, Chinese
and Japanese."""
from __future__ import annotations

import re

_PATTERNS = [
    r"(?<![^\W\d_])(?:tel|phone|fax|call us|whatsapp|line id)(?![^\W\d_])\.?\s*[:：#]?\s*[\d(+]",
    r"\(?\d{2,4}\)?[\s.\-]\d{3,4}[\s.\-]\d{3,4}",                       # a telephone number
    r"www\.|https?://|\.(?:com|net|org|tw|jp|cn|hk)\b|@[A-Za-z_]\w+",  # web and social addresses
    r"\d{1,2}\s*[:：]\s*\d{2}\s*(?:am|pm)?\s*[-–~〜～至到]\s*\d{1,2}\s*[:：]\s*\d{2}",  # hours
    r"\d{1,2}\s*(?:am|pm)\s*(?:[-–~〜～]|to|until)\s*\d{1,2}\s*(?:am|pm)",
    r"(?<![^\W\d_])(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*(?:[-–~]|to|through)\s*(?:mon|tue|wed|thu|fri|sat|sun)",
    r"(?<![^\W\d_])(?:est|estd|established|since|founded)\.?\s*(?:in\s*)?(?:19|20)\d{2}\b",
    r"(?<![^\W\d_])(?:open daily|opening hours|closed on|service charge|gratuity|vat|gst|taxes|allerg\w*|"
    r"undercooked|foodborne|consuming raw|cash only|credit cards?|prices (?:are|include|subject)|"
    r"please (?:inform|ask|note|let)|follow us|reservations?|wi-?fi|take[- ]?away|dine[- ]in|delivery|"
    r"family (?:owned|run)|cuisine)(?![^\W\d_])",
    # (each glyph in either form: OCR may read one of a Traditional word in its Simplified form, 服務费)
    r"[電电][話话]|地址|[營营営][業业]|定休|税込|税抜|稅|服[務务][費费]|[過过]敏|アレルギー|信用卡|[訂订]位|"
    r"[預预][約约]|予約|[歡欢]迎|外[帶带]|外送|[創创][業业]|[傳传]承|[價价価]格|[請请]告知|お問い合わせ|年中無休|現金のみ",
]
_NOTICE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# A slogan: three or more phrases between dots or bars ("Fresh · Local · Handmade"), no number.
_SLOGAN = re.compile(r"^[^\d·•|]+(?:\s*[·•|]\s*[^\d·•|]+){2,}$")


def is_notice(text: str) -> bool:
    """True for a line that is the restaurant's details or a notice, never a dish."""
    return bool(_NOTICE.search(text) or _SLOGAN.match(text.strip()))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# How a description starts ("with fries", "Served over rice") and how Japanese prose ends (a verb:
# 仕上げました, どうぞ, 添えて), where a dish's name is a noun.
_OPENS = re.compile(r"^(?:with|served|topped|tossed|finished|made with|comes with|choice of|includes?)\b", re.I)
_JA_VERB = re.compile(r"(?:ます|ました|です|どうぞ|ください|下さい|添えて|使って|仕上げ\w*)[。.!！]?$")


# A line that stops mid-phrase ("Chips and") goes on in the next: a fragment, not a name.
_CARRIES_ON = re.compile(r"(?<![^\W\d_])(?:and|with|or|of|in|on|&)\s*$|,\s*$", re.I)


def is_description(text: str) -> bool:
    """True for a line written as a description: a list of ingredients (commas, 、), a phrase opening
    in lower case or with "with", "served"..., one stopping mid-phrase, or Japanese ending in a verb."""
    s = text.strip()
    words = s.split()
    # (an ingredient list: 、 is printed, never a speck; one comma alone in a short name is a speck OCR
    # read as one, 鐵板,魚片飯, while two, or one in a phrase longer than a name, list)
    commas, han = len(re.findall(r"[,，]", s)), len(_CJK.findall(s))
    if han >= 4 and (re.search(r"[、;；]", s) or commas >= 2 or commas and (han >= 7 or re.search(r"[·・]", s))):
        return True
    if _CJK.search(s):
        return len(s) >= 6 and bool(_JA_VERB.search(s))
    return ("," in s and len(words) >= 3) or (s[:1].islower() and len(words) >= 2) or \
        (bool(_OPENS.match(s)) and len(words) >= 2) or (len(words) >= 2 and bool(_CARRIES_ON.search(s)))


# What a line under a dish says when it is no name for it: a number, a choice, a warning, an extra, a
# spice level, a badge ("Pork or Beef", "Contains Peanuts", "Add Egg", "Best Seller").
_ASIDE = re.compile(r"\d|[/+:|]|\b(?:or|no|not|free|contains?|add|extra|level|only|available|with|mild|medium|"
                    r"spicy|hot|best|great|served|choice|may|allerg\w*|vegetarian|vegan)\b", re.IGNORECASE)


def is_aside(text: str) -> bool:
    """True for a line under a dish that says something of it (a choice, a warning, an extra, a badge),
    never its name in another language."""
    return bool(_ASIDE.search(text))
