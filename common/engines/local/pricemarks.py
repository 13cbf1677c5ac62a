"""A line's price as printed, from what OCR read of its tail: the currency marks it read as letters (S
for $, E for £ or €, V or Y for ¥, the S of NT$), and amounts it ran together with each other or with
the next amount's label ("1,650円2,150円", "S 11.75L 14.75"). `prices` finds the price in what this gives."""
from __future__ import annotations

import re

from common.engines.local import sizes

# OCR reads a small or blurred $ as S: "S16", "SS17 LS23" (sizes S and L) at a line's end are dollars.
_S_PRICE = r"\d{1,3}(?:[.,]\d{1,2})?"
# (one separator class between the amounts: two optional runs of spaces side by side would let a long
# line of them backtrack exponentially)
_SEP = r"[\s/·•|]"  # what parts a line's amounts
_S_FOR_DOLLAR = re.compile(rf"(?:(?<=^)|(?<={_SEP}))([SML]?)S(?={_S_PRICE}(?:{_SEP}+[SML]?[S$]{_S_PRICE})*\s*$)")
# ...and a pound or euro sign as E, or a script pound as 里, before an amount in cents: "GINGER SQUID
# E9.00", "里28.00". Which mark it was, the menu's other prices say: the amount is kept without one.
_E_FOR_MARK = re.compile(rf"(?:(?<=^)|(?<={_SEP}))[E里](?=\d{{1,3}}[.,]\d{{2}}(?:{_SEP}+[E里£€]?\d{{1,3}}[.,]\d{{2}})*\s*$)")
# Two prices OCR read as one box, with no space between them: "1,650円2,150円", "$12$16"; or an amount
# in cents and the next option's kind: "Veg 12.25Prawn 15.25".
_GLUED = re.compile(r"(\d[円元圓块원](?=\d)|[$€£¥￥]\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?(?=[$€£¥￥]\d)"
                    rf"|\d[.,]\d\d(?=(?:{sizes.KIND})\s?[$€£¥￥]?\d))")
# ...or a labelled amount and the next one's label, a larger size of the same scale: "S 11.75L 14.75"
# (not "Bier 0,5L 4,80", "Carafe 1L 22": a volume, after no label or one of another scale).
_GLUED_SIZE = re.compile(rf"(?:(?<=^)|(?<={_SEP}))(?P<first>{sizes.FIRST})\s?[$€£¥￥]?(?P<amount>\d{{1,4}}(?:[.,]\d{{1,2}})?)"
                         rf"(?=(?P<later>{sizes.FOLLOWING})\s?[$€£¥￥]?\d)")


def _apart(m: re.Match) -> str:
    # (0,5L, 1L, 1,5L: litres, never a price)
    volume = m.group("later").upper() == "L" and re.fullmatch(r"0[.,]\d+|[12](?:[.,]5)?", m.group("amount"))
    return f"{m.group(0)} " if sizes.follows(m.group("first"), m.group("later")) and not volume else m.group(0)

# ...and a dollar's own prefix keeps it: "NTS680", "HKS 48".
_PREFIX_S = re.compile(r"(?<![A-Za-z])(NT|HK|US)S(?=\s?\d)")

# ...and, on a line in Chinese or Japanese, a small or blurred yen sign as V or Y: "並V570/大V710",
# "グラスV650 ボトルV810". Only after a label or a separator (V60手沖咖啡 is a coffee), before an amount
# of two digits or more that ends the line or that more such amounts follow, each after a label at most.
# (Applied to a line's tail only, as all of these: on long lines of noise the search grows quadratically.)
_YEN = r"(?:\d{1,3}(?:[,.]\d{3})+|\d{2,5})(?:\.\d{1,2})?"
_CJK_LABEL = r"[\u3040-\u30ff\u3400-\u9fff]"
CJK_TEXT = re.compile(_CJK_LABEL)
_Y_FOR_YEN = re.compile(rf"(?<={_SEP}|{_CJK_LABEL})[VY](?={_YEN}"
                        rf"(?:{_SEP}*+{_CJK_LABEL}*+{_SEP}*+[VY¥￥]{_YEN})*+\s*$)")


def restored(tail: str, cjk: bool) -> str:
    """`tail` (a line's last characters) with its misread marks put back and run-together amounts apart;
    `cjk`: the line is in Chinese or Japanese, where a yen sign may read as V or Y."""
    # (a size label keeps its own word: "SS17" is S $17, never the Singapore dollar S$)
    tail = _PREFIX_S.sub(r"\1$", _GLUED_SIZE.sub(_apart, _GLUED.sub(r"\1 ", tail)))
    tail = _E_FOR_MARK.sub("", _S_FOR_DOLLAR.sub(lambda m: f"{m.group(1)} $" if m.group(1) else "$", tail))
    return _Y_FOR_YEN.sub("¥", tail) if cjk else tail
