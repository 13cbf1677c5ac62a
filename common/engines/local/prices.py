"""Prices as menus print them: 680円, ¥680, ￥1,280, 六百八十円, $14.50, 14,50 €, 12.5, 時価, ranges, sizes.

`find_price` splits a menu line into the text before the price and the parsed price, so a parser can
tell an item line from a heading or a description; what OCR misread in it `pricemarks` puts right first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from common.engines.local import pricemarks, sizes

KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                "九": 9, "壱": 1, "弐": 2, "参": 3}
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
KANJI_BIG = {"万": 10_000, "萬": 10_000}
_KANJI_NUM = "〇零一二三四五六七八九壱弐参十百千万萬"

# Symbol (or word) -> ISO 4217. Longer keys first so NT$ wins over $.
CURRENCY_MARKS = [
    ("NT$", "TWD"), ("HK$", "HKD"), ("S$", "SGD"), ("US$", "USD"), ("A$", "AUD"), ("C$", "CAD"),
    ("RMB", "CNY"), ("JPY", "JPY"), ("EUR", "EUR"), ("USD", "USD"), ("VND", "VND"), ("THB", "THB"),
    ("KRW", "KRW"), ("TWD", "TWD"), ("CHF", "CHF"), ("GBP", "GBP"),
    ("円", "JPY"), ("¥", "JPY"), ("￥", "JPY"), ("$", "USD"), ("＄", "USD"), ("€", "EUR"), ("£", "GBP"),
    ("₩", "KRW"), ("원", "KRW"), ("฿", "THB"), ("บาท", "THB"), ("₫", "VND"), ("đ", "VND"), ("元", "CNY"),
    ("圓", "TWD"), ("块", "CNY"),
]
MARKET_PRICE = ("時価", "时价", "時價", "market price", "prix du marché", "prezzo di mercato", "según mercado",
                "s.q.", "mp")
# (杯, 瓶, 壺 after a number are a count, "2杯 300", and never start an option so; a CJK label may run
# into a currency's Latin prefix, "小NT$220", while a Latin one is a word of its own)
_SIZE_LABELS = rf"(?<![A-Za-zÀ-ÿ])(?:(?:{sizes.LATIN})(?![A-Za-zÀ-ÿ])|{sizes.CJK}|(?<!\d)[杯瓶壺])"

_SYM = r"(?:NT\$|HK\$|S\$|US\$|A\$|C\$|[¥￥$＄€£₩฿₫])"
_WORD = r"(?:円|元|圓|块|원|บาท|đ|€|\$|EUR|USD|JPY|VND|THB|KRW|TWD|RMB|CHF|GBP)"
# A number: 1,280 / 1.280 / 14.50 / 14,50 / 1 280 / 680 / ６８０ (NFKC turns full-width into ASCII first)
# A plain space groups thousands only before 000 or 500 (12 500), or before a currency that prints
# it so (1 280 €, 45 000 đ): two prices in two columns
# ("460  600", 小 and 大) are joined by a space too, and are two amounts.
_NUM = (r"\d{1,3}(?:[,.\u00a0\u202f]\d{3}| (?:000|500)(?!\d)| \d{3}(?=\s?(?:€|₫|đ|VND|EUR|원)))+(?:[.,]\d{1,2})?"
        r"|\d+(?:[.,]\d{1,2})?")
_KNUM = f"[{_KANJI_NUM}]+"
_AMOUNT = (rf"(?:(?P<sym>{_SYM})\s?(?P<n1>{_NUM})(?:\s?(?P<w1>{_WORD}))?"
           rf"|(?P<n2>{_NUM})\s?(?P<w2>{_WORD})(?:\s?\((?:税込|税抜|tax)[^)]*\))?"
           rf"|(?P<k>{_KNUM})\s?(?P<w3>円|元|圓)"
           rf"|(?P<n3>{_NUM}))")
_AMOUNT_RE = re.compile(_AMOUNT, re.IGNORECASE)
_ANY_AMOUNT = re.sub(r"\?P<\w+>", "?:", _AMOUNT)  # the same pattern without named groups, to repeat
_LEADERS = re.compile(r"[\s.．·・…‥_\-–—~〜～:：|/(（\[]+$")
# What menus print around a price that is not part of it: decoration ("-$18-", "*12*"), a full stop
# ("18."), tick boxes of order sheets ("16元 □", which OCR may read as 口 after a price).
# (and a vegetarian mark or a speck OCR read as "!" or "|" after a space, or as ":" or ";" right after
# an amount with its currency, "£25.00:" (not "Open 11:", "Lunch 11.30:"); never a unit: 300 g, 45 K)
_TRAIL_DECOR = re.compile(r"(?<=[\d円元圓块원€$¥￥£฿₫)）份瓶本個个杯碗盤盘串只隻斤兩两位人枚貫皿])\s*(?:[-–—~〜～*•·。]+|\.(?!\d)|"
                          r"(?:(?<=[$£€¥]\d[.,]\d\d)|(?<=[$£€¥]\d\d[.,]\d\d)|(?<=[$£€¥]\d{3}[.,]\d\d)"
                          r"|(?<=[円元圓块원€]))[:;：；]|"
                          r"[□☐▢◻◽❏❑☑✓✔口]+|\s[V!|]|(?<=\d)!)\s*$")
_BOXES = re.compile(r"[□☐▢◻◽❏❑☑✓✔]")
# Prices per unit: 16元/份, 5元/瓶, 680円/本, $3/pc, $2 each, 12 € p.p.; the unit stays in the printed text.
_UNIT = re.compile(r"\s*(?:(?:/|per\s+|每)\s*(?:份|瓶|本|個|个|杯|碗|盤|盘|串|只|隻|斤|兩|两|位|人|枚|貫|皿|pcs?|pieces?|ea|"
                   r"person|pp|glass|bottle|oz|lb|kg|g|100\s?g)|\s(?:each|ea\.?|p\.?p\.?|pp))\.?\s*$", re.IGNORECASE)
# Words a count or a number follows ("Serves 4.", "Est. 2009", "Room 101 -", "Pieces: 6"): a whole number
# after one, with no currency mark, is no price. Units that follow a count ("6 pcs 8.50", "12 Years 16")
# are not here: the price comes after them.
_COUNTED = re.compile(r"(?<![^\W\d_])(?:serves?|for|est|estd|established|since|room|tel|phone|fax|no|nr|page|"
                      r"floor|suite|ext|ages?|vol|step|x|(?:pcs?|pieces?)\s*[:：])[\s.:：#(（-]*$", re.IGNORECASE)
# A Latin mark is a word of its own: "mp" ends "Chili Shrimp" too.
_MARKET_RE = re.compile("(" + "|".join(re.escape(m) if not m.isascii() else r"(?<![A-Za-zÀ-ÿ])" + re.escape(m)
                                       for m in MARKET_PRICE) + r")\s*$", re.IGNORECASE)
# A trailing price block: amounts, optional size labels and range or separator marks between them.
TAIL_WINDOW = 48  # "Small $8 / Medium $10 / Large $12 / Family $20" is 45
_TAIL_RE = re.compile(
    rf"(?P<block>(?:{_SIZE_LABELS}\s*[:：]?\s*)?{_ANY_AMOUNT}"
    # (a dot between spaces parts options too, "Glass 25 . Bottle 31"; a CJK label may follow with no
    # space at all, "並¥480大¥600", "半隻117元一隻147元")
    # (possessive spaces: a line of spaced digits and labels must not make the pattern backtrack; an
    # underscore is a leader OCR read only with a space after it, "30_ 39", never "12_50")
    rf"(?:(?:\s*+(?:[-–~〜～/|・·•,、]|_(?=\s)|\.(?=\s+{_SIZE_LABELS}))\s*+|\s++"
    rf"|(?=(?:{sizes.CJK})\s*[:：]?\s*(?:{_SYM}|\d)))"
    rf"(?:{_SIZE_LABELS}\s*[:：]?\s*)?{_ANY_AMOUNT})*)"
    rf"\s*[)）]?\s*$",
    re.IGNORECASE)


@dataclass
class Price:
    text: str                       # as printed (trimmed)
    amount: Optional[float]         # the lowest amount, None for market price
    currency: Optional[str]         # ISO 4217, None when nothing on the line says
    options: list[tuple[str, float]] = field(default_factory=list)  # (size label, amount) for S/M/L menus
    market: bool = False
    range_max: Optional[float] = None


def kanji_number(text: str) -> Optional[int]:
    """六百八十 -> 680, 千二百 -> 1200, 一万二千 -> 12000, 一二八〇 -> 1280; None if not a kanji numeral."""
    if not text or any(c not in _KANJI_NUM for c in text):
        return None
    if not any(c in KANJI_UNITS or c in KANJI_BIG for c in text):
        return int("".join(str(KANJI_DIGITS[c]) for c in text))  # positional: 一二八〇
    total, section, digit = 0, 0, None
    for c in text:
        if c in KANJI_DIGITS:
            digit = KANJI_DIGITS[c]
        elif c in KANJI_UNITS:
            section += (1 if digit is None else digit) * KANJI_UNITS[c]
            digit = None
        else:  # 万
            total += (section + (digit or 0) or 1) * KANJI_BIG[c]
            section, digit = 0, None
    return total + section + (digit or 0)


def _number(raw: str) -> float:
    s = re.sub(r"[\s\u00a0]", "", raw)
    m = re.fullmatch(r"(.*?)[,.](\d{1,2})", s)
    if m:  # the last separator followed by 1-2 digits is a decimal point (14,50 / 1.280,50 / 14.5)
        return float(re.sub(r"[,.]", "", m.group(1)) + "." + m.group(2))
    return float(re.sub(r"[,.]", "", s))  # 1,280 / 1.280 / 680: thousands separators only


def _currency(m: re.Match) -> Optional[str]:
    mark = m.group("sym") or m.group("w1") or m.group("w2") or m.group("w3")
    if not mark:
        return None
    for key, code in CURRENCY_MARKS:
        if mark.upper() == key.upper():
            return code
    return None


def _amount(m: re.Match) -> Optional[float]:
    if m.group("k"):
        v = kanji_number(m.group("k"))
        return float(v) if v is not None else None
    raw = m.group("n1") or m.group("n2") or m.group("n3")
    return _number(raw) if raw else None


_DIGIT_RUN = re.compile(r"(?:\d{1,2}[,._]){5,}\d{0,2}[,._]?")


def find_price(line: str) -> tuple[str, Optional[Price]]:
    """Split `line` into (text before the price, price) when it ends in a price; else (line, None)."""
    text = _BOXES.sub(" ", line).rstrip()
    cut = max(0, len(text) - TAIL_WINDOW)  # only a line's end holds its price
    text = text[:cut] + pricemarks.restored(text[cut:], cjk=bool(pricemarks.CJK_TEXT.search(text)))
    for _ in range(2):
        text = _TRAIL_DECOR.sub("", text).rstrip()
    # "(7)", "-7-", "7." are prices by their dress even with one digit; a bare "7" is not.
    dressed = text != line.rstrip() or bool(re.search(r"[(（]\s*\d+\s*[)）]$", text))
    unit = _UNIT.search(text)
    if unit and unit.start() > 0 and re.search(r"[\d円元圓块€$¥￥]$", text[: unit.start()].rstrip()):
        head, price = find_price(text[: unit.start()])
        if price:
            price.text += unit.group(0).strip() if unit.group(0).lstrip().startswith("/") else unit.group(0)
            return head, price
    mm = _MARKET_RE.search(text)
    if mm and (mm.start() > 0 or len(text) <= 12):
        head = _LEADERS.sub("", text[: mm.start()]).rstrip()
        return head, Price(text=mm.group(1), amount=None, currency=None, market=True)
    # Only the line's end can hold its price: searched there, a line of OCR noise such as
    # "1,1,1,…" cannot make the pattern backtrack for seconds (it grows with the length searched).
    offset = max(0, len(text) - TAIL_WINDOW)
    # Nor can a run of one- and two-digit groups ("1,1,1,1,1,1,"): no price is printed so, and each
    # group may end an amount or go on into the next, which doubles the pattern's work per group.
    noise = _DIGIT_RUN.search(text, offset)
    offset = noise.end() if noise else offset
    m = _TAIL_RE.search(text, offset)
    if not m:
        return line, None
    block = m.group("block")
    head = text[: m.start("block")]
    amounts = list(_AMOUNT_RE.finditer(block))
    values, options, currency = [], [], None
    for idx, a in enumerate(amounts):
        v = _amount(a)
        if v is None:
            continue
        values.append(v)
        currency = currency or _currency(a)
        label = re.search(rf"({_SIZE_LABELS})\s*[:：]?\s*$", block[: a.start()], re.IGNORECASE)
        if label and label.start() >= (amounts[idx - 1].end() if idx else 0):
            options.append((label.group(1), v))
    if not values:
        return line, None
    # A bare number glued to a word ("Menu 2", "B1", "7up") is not a price; bare numbers need room.
    only_bare = all(a.group("n3") and not a.group("sym") for a in amounts)
    if only_bare and not options:
        n = amounts[-1].group("n3")
        if _COUNTED.search(head) and n.isdigit():
            return line, None
        # (a Chinese or Japanese name with its price run into it, "炒飯480", "そば1,080": OCR writes no
        # space there)
        glued = re.search(r"[\u3040-\u30ff\u3400-\u9fff]$", head) and re.fullmatch(r"\d{2,}|\d{1,3}(?:,\d{3})+", n)
        if head and not glued and not re.search(r"[\s.．·・…‥_\-–—:：(（\[]$", head):
            return line, None
        if "." not in n and "," not in n and len(n) < 2 and not dressed \
                and not _variants(_LEADERS.sub("", head).rstrip(), amounts[-1], block):
            return line, None  # one digit is a price only as a dish's labelled option ("Veg 4 Prawn 5")
    head = _LEADERS.sub("", head).rstrip()
    variants = _variants(head, amounts[-1], block)
    if variants:
        head, options = variants
        values = [v for _, v, _ in options]
        return head, Price(text=" / ".join(f"{label} {text}" for label, _, text in options), amount=min(values),
                           currency=currency or _currency(amounts[-1]), options=[(lb, v) for lb, v, _ in options])
    head, block, options = _first_label_in_name(head, block, amounts[0].start(), values, options)
    is_range = len(values) == 2 and not options and re.search(r"[-–~〜～]", block[amounts[0].end(): amounts[1].start()])
    return head, Price(text=block.strip(), amount=min(values), currency=currency,
                       options=options, range_max=max(values) if is_range else None)


def _first_label_in_name(head: str, block: str, first: int, values: list[float],
                         options: list[tuple[str, float]]) -> tuple[str, str, list[tuple[str, float]]]:
    """(head, block, options) with the label of the first amount (at `first` in `block`) split off the name
    OCR ran it into, when every later amount is labelled in its scale: "客家小炒半售 NT$240 一隻 NT$300"
    (CJK sets no space there), "TacosS $12 / L $15", "PurinGlass 4.95 / Bottle 5.95"."""
    others = [lb for lb, _ in options]
    if not others or len(options) != len(values) - 1 or re.search(_SIZE_LABELS, block[:first], re.IGNORECASE):
        return head, block, options
    split = sizes.glued_size(head, others)
    if not split:
        return head, block, options
    head, label = split
    return head, f"{label} {block.strip()}", [(label, values[0]), *options]


# ...and words a small number names something after (Set Menu 2, Combo 1, open until 9, Day 1), or
# a list of allergen codes ("basilico 1, 7").
_NUMBERED = re.compile(r"(?:(?<![^\W\d_])(?:menu|set|combo|course|courses|until|till|open|day|pick|any|via|"
                       r"street|st|ave|road|rd|option|choice|size|level|zone|gate|bus|line|banquet|route)\s*|[\d,;/])\s*$", re.IGNORECASE)
_SHORT_BARE = re.compile(r"^(?P<head>.*[^\W\d_].*?)(?:\s+|(?<=[a-zà-ÿ])|(?<=[A-ZÀ-ÖØ-Þ]{3}))(?P<n>\d{1,3}(?:[.,]\d{2})?)\s*$")


# Two bare amounts in two price columns, smallest first ("Latte 4 5" under "Reg Lg"; "Hambagu 30_ 39").
_TWO_BARE = re.compile(r"^(?P<head>.*[^\W\d_].*?)\s+(?P<a>\d{1,3})(?:\s*_)?\s+(?P<b>\d{1,3})\s*$")


def find_bare_price(line: str, columns: bool = False) -> tuple[str, Optional[Price]]:
    """What a menu of bare-number prices also prints as a price, and `find_price` alone does not take: a
    single digit after a space ("sea salt 8"), or digits OCR ran into the last word ("tomato22",
    "MACCHIATO8"; never after one or two capitals: B12); on a menu that prices its dishes in two
    columns (`columns`), two one-digit amounts, smallest first ("Latte 4 5")."""
    two = _TWO_BARE.match(line) if columns else None
    if two and int(two.group("a")) < int(two.group("b")) and not _COUNTED.search(two.group("head")) \
            and not _NUMBERED.search(two.group("head")):
        return _LEADERS.sub("", two.group("head")).rstrip(), Price(
            text=f"{two.group('a')} {two.group('b')}", amount=float(two.group("a")), currency=None)
    m = _SHORT_BARE.match(line)
    if not m or _COUNTED.search(m.group("head")) or _NUMBERED.search(m.group("head")):
        return line, None
    return _LEADERS.sub("", m.group("head")).rstrip(), Price(text=m.group("n"), amount=_number(m.group("n")),
                                                             currency=None)


def _variants(head: str, last: re.Match, block: str) -> Optional[tuple[str, list[tuple[str, float, str]]]]:
    """(name, [(label, amount, printed)]) when `head` ends in labelled prices before the last one."""
    label = re.search(r"(?<![^\W\d_])([^\W\d_][^\d:：$€¥￥£]{0,18}?)[\s\-–—:：]*$", head)
    # Bare amounts ("Chicken 23 · Beef 29") are options only with a mark between the pairs.
    bare = not (last.group("sym") or last.group("w2") or last.group("w1"))
    if not label:
        return None
    pairs, rest = [], head[: label.start()]
    while True:  # walk back over "label price" pairs
        m = re.search(rf"(?P<amt>{_ANY_AMOUNT})[\s\-–—/|,;·•・.]*$", rest)
        # unmarked pairs ("Veg 26 Prawn 32") count while a name stays before them (checked below)
        marked = m and (re.search(r"[$€¥￥£円元圓块원฿₫]|\d[.,]\d", m.group("amt")) or bare)
        if not marked:
            break
        before = rest[: m.start()]
        lab = re.search(r"(?<![^\W\d_])([^\W\d_][^\d:：$€¥￥£]{0,18}?)[\s\-–—:：]*$", before)
        if not lab:
            break
        amt = _AMOUNT_RE.fullmatch(m.group("amt").strip())
        if amt is None or _amount(amt) is None:
            break
        pairs.insert(0, (_label(lab.group(1)), _amount(amt), m.group("amt").strip()))
        rest = before[: lab.start()]
    if not pairs:
        return None
    pairs.append((_label(label.group(1)), _amount(last), block.strip()))
    first = pairs[0][0].split()
    if len(first) > 1 and all(len(lb.split()) == 1 for lb, _, _ in pairs[1:]):
        # "Golden Lentil Cakes Chicken $11 Beef $14": one-word labels, so the first label is one word
        # too and the words before it are the name's
        rest, pairs[0] = f"{rest} {' '.join(first[:-1])}", (first[-1], *pairs[0][1:])
    lab0, others = pairs[0][0], [lb for lb, _, _ in pairs[1:]]
    # ("炸牡蠣半隻 $24 一隻 $34", "WRAPVeg 28 € Prawn 35 €", "Buffalo WingsVeg 23.95 · Prawn 29.95")
    if split := sizes.glued_option(lab0, others, cjk=not bare and not rest.strip()):
        rest, pairs[0] = f"{rest} {split[0]}", (split[1], *pairs[0][1:])
    if any(len(lb.split()) > 3 or not lb for lb, _, _ in pairs):
        return None
    name = re.sub(r"\s+", " ", _LEADERS.sub("", rest.strip(" -–—:："))).strip()
    if bare and not name:
        return None  # "Pasta 12 / Salad 14": two dishes of an order sheet, not one dish's options
    return name, pairs


# A box of options alone, a label and an amount at least twice: "Veg 26 Prawn 32", "Chicken $12 / Beef $14".
_OPTIONS = re.compile(rf"^\s*(?:(?:[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]{{0,11}}|[\u3040-\u30ff\u3400-\u9fff]{{1,2}})[\s:：]*"
                      rf"{_ANY_AMOUNT}(?:[\s/|·•・.,]+|$)){{2,}}$", re.IGNORECASE)
OPTIONS_MAX = 60  # a box of a dish's options is short; longer text is never searched


def is_options(text: str) -> bool:
    """A box that holds only a dish's labelled prices, its name in another box."""
    return len(text) <= OPTIONS_MAX and bool(_OPTIONS.match(text))


def _label(text: str) -> str:
    return text.strip(" -–—:：/|,;·・()（）")


def currency_of(price: Price, script: str) -> Optional[str]:
    """The currency `price` marks, as a `script` menu means it: ¥ on a Simplified Chinese menu is the yuan."""
    if price.currency == "JPY" and script == "zh-Hans" and re.search(r"[¥￥]", price.text):
        return "CNY"
    return price.currency


def infer_currency(marks: list[Optional[str]], script: str) -> Optional[str]:
    """The menu's currency: the most common explicit mark, else one guessed from the script."""
    seen = [m for m in marks if m]
    if seen:
        return max(set(seen), key=seen.count)
    return {"ja": "JPY", "zh-Hant": "TWD", "zh-Hans": "CNY", "ko": "KRW", "th": "THB", "vi": "VND"}.get(script)


def display(price: Price, currency: Optional[str]) -> str:
    """The price as the reader should see it, e.g. ¥680, $14.50, €14.50, 時価."""
    if price.market or price.amount is None:
        return price.text
    if price.currency or not currency:
        return price.text
    sym = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "TWD": "NT$", "CNY": "¥", "KRW": "₩",
           "THB": "฿", "VND": "₫", "HKD": "HK$"}.get(currency, currency + " ")
    return f"{sym}{price.text}"
