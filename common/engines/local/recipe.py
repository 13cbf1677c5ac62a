"""The offline `recipe` profile: a recipe card's OCR lines to title, servings, times, ingredients and steps.

Quantities: integers, decimals (a comma too), fractions (1/2, ½, 1 ½), ranges (2-3, 2 to 3, 2〜3).
Units: metric and US (g, kg, ml, l, tsp, tbsp, cup, oz, lb, ...) and the Japanese and Chinese
measures (大さじ, 小さじ, カップ, 湯匙, 茶匙, 克, 毫升, ...) as canonical codes; counters (個, 本, 枚,
片, 顆, clove, slice, ...) as printed. Either order: "2 cups flour" and "砂糖 大さじ2" / "雞蛋 3個".
Nothing is translated offline: the text stays as printed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

VULGAR = {"½": 0.5, "⅓": 1 / 3, "⅔": 2 / 3, "¼": 0.25, "¾": 0.75, "⅕": 0.2, "⅖": 0.4, "⅗": 0.6, "⅘": 0.8,
          "⅙": 1 / 6, "⅚": 5 / 6, "⅛": 0.125, "⅜": 0.375, "⅝": 0.625, "⅞": 0.875}
# Canonical unit codes, by every spelling (lower case). Longest spellings are tried first.
UNITS = {
    "g": ("g", "gram", "grams", "gr", "克", "公克", "グラム"),
    "kg": ("kg", "kilogram", "kilograms", "公斤", "千克", "キロ"),
    "mg": ("mg",),
    "ml": ("ml", "millilitre", "milliliter", "millilitres", "milliliters", "毫升", "cc", "ミリリットル"),
    "l": ("l", "litre", "liter", "litres", "liters", "公升", "升", "リットル"),
    "dl": ("dl",), "cl": ("cl",),
    "tsp": ("tsp", "teaspoon", "teaspoons", "t", "小さじ", "茶匙", "小匙", "小勺"),
    "tbsp": ("tbsp", "tbs", "tablespoon", "tablespoons", "tbl", "大さじ", "湯匙", "汤匙", "大匙", "大勺"),
    "cup": ("cup", "cups", "c", "カップ", "杯"),
    "oz": ("oz", "ounce", "ounces"),
    "fl oz": ("fl oz", "fl. oz"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "pinch": ("pinch", "pinches", "少々", "少許", "少许", "ひとつまみ"),
    "to taste": ("to taste", "適量", "适量", "適宜"),
}
COUNTERS = ("cloves", "clove", "slices", "slice", "cans", "can", "pieces", "piece", "pcs", "pc", "sticks", "stick",
            "bunches", "bunch", "sprigs", "sprig", "handfuls", "handful", "dashes", "dash", "packages", "package",
            "leaves", "leaf", "heads", "head", "stalks", "stalk",
            "個", "个", "本", "枚", "片", "かけ", "合", "丁", "束", "袋", "缶", "顆", "颗", "根", "塊", "块", "瓣", "條",
            "条", "隻", "只", "把", "粒", "匙")
_SPELLINGS = sorted(((s, code) for code, spellings in UNITS.items() for s in spellings), key=lambda p: -len(p[0]))


def _singular(counter: str) -> str:
    if not counter.isascii():
        return counter
    if counter == "leaves":
        return "leaf"
    if counter.endswith(("ches", "shes")):
        return counter[:-2]
    return counter[:-1] if counter.endswith("s") else counter


_SPELLINGS += sorted(((c, _singular(c)) for c in COUNTERS), key=lambda p: -len(p[0]))
# Mixed numbers first: "1 1/2" is one quantity, not 1 and an item "1/2 ...".
_NUM = r"(?:\d+\s+\d+/\d+|\d+/\d+|\d+(?:[.,]\d+)?)"
_QTY = re.compile(rf"({_NUM})(?:\s*(?:-|–|—|~|〜|～|to)\s*({_NUM}))?", re.I)
INGREDIENT_HEADS = ("ingredients", "ingredient", "you will need", "you'll need", "材料", "食材", "用料", "材料表")
STEP_HEADS = ("method", "directions", "instructions", "steps", "preparation", "how to make", "作り方", "つくり方",
              "做法", "作法", "步驟", "步骤", "製作方法", "制作方法")
_STEP_NUMBER = re.compile(r"^\s*(?:step\s*)?(?:\(?(\d{1,2})[.)、．:]|([①-⑳])|(\d{1,2})\s+(?=\D))\s*", re.I)
_SERVINGS = [re.compile(p, re.I) for p in (
    r"(?:serves|servings?|makes|yields?|portions?)\s*[:：]?\s*(\d+)",
    r"(\d+)\s*(?:servings|people|persons|portions)",
    r"(\d+)\s*人\s*(?:分|份|前)", r"(?:份量|分量)\s*[:：]?\s*(\d+)")]
_TIME_KINDS = {"prep": ("prep", "preparation", "準備", "准备", "下準備"),
               "cook": ("cook", "cooking", "bake", "baking", "調理", "烹調", "烹调", "加熱"),
               "total": ("total", "ready in", "合計", "總", "总", "所要")}
_DURATION = re.compile(r"(\d+(?:[.,]\d+)?)\s*(hours?|hrs|hr|h|時間|小時|小时|minutes?|mins|min|m|分鐘|分钟|分)(?![a-z])", re.I)


@dataclass
class Text:
    text: str
    size: float = 0.0


def number(raw: str) -> float:
    """'1 1/2' -> 1.5, '1/2' -> 0.5, '0,5' -> 0.5 (vulgar fractions are spelled out before this)."""
    raw = raw.strip()
    total = 0.0
    if " " in raw and "/" in raw:
        whole, frac = raw.split(None, 1)
        return total + float(whole) + number(frac)
    if "/" in raw:
        a, b = raw.split("/", 1)
        return total + (float(a) / float(b) if float(b) else 0.0)
    return total + float(raw.replace(",", "."))


def _spell_fractions(text: str) -> str:
    """½ -> " 1/2", so "1½" reads as the mixed number "1 1/2" (NFKC would make it "11⁄2")."""
    for vulgar in VULGAR:
        if vulgar in text:
            num, _, den = unicodedata.normalize("NFKC", vulgar).partition("⁄")
            text = text.replace(vulgar, f" {num}/{den}")
    return text.replace("⁄", "/")


def _unit_at(text: str, start: int) -> tuple[str, int] | None:
    """The unit spelled at text[start:] (a whole word for Latin spellings), and where it ends."""
    rest = text[start:]
    low = rest.lower()
    for spelling, code in _SPELLINGS:
        if low.startswith(spelling):
            end = len(spelling)
            if spelling.isascii() and spelling[-1].isalpha() and end < len(rest) and rest[end].isalpha():
                continue  # "g" of "garlic", "c" of "carrots"
            if end < len(rest) and rest[end] == ".":
                end += 1
            return code, start + end
    return None


def _unit_before(text: str, end: int) -> tuple[str, int] | None:
    """A unit written just before a number ending at `end` (大さじ2, 湯匙1)."""
    head = text[:end].rstrip()
    for spelling, code in _SPELLINGS:
        if not spelling.isascii() and head.endswith(spelling):
            return code, len(head) - len(spelling)
    return None


def ingredient(line: str) -> dict | None:
    """{quantity, quantity_max, unit, item, text}, or None when the line holds no ingredient."""
    text = unicodedata.normalize("NFKC", _spell_fractions(line)).strip(" \t•·・-*–—□■◆●")
    if not text:
        return None
    m = _QTY.match(text)
    if m:  # "2 cups flour", "200g butter", "3 eggs"
        qty, qmax = number(m.group(1)), number(m.group(2)) if m.group(2) else None
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
        unit = _unit_at(text, pos)
        if unit:
            pos = unit[1]
        item = re.sub(r"^(?:of\s+)", "", text[pos:].strip(" ,"), flags=re.I)
        if not item:
            return None
        return {"quantity": qty, "quantity_max": qmax, "unit": unit[0] if unit else None, "item": item,
                "text": line.strip()}
    # The item first: "砂糖 大さじ2", "雞蛋 3個", "豚バラ肉 200g", "塩 少々", "Salt, to taste".
    for m in reversed(list(_QTY.finditer(text))):
        after = _unit_at(text, m.end())
        before = _unit_before(text, m.start())
        tail = text[(after[1] if after else m.end()):].strip()
        if tail and not re.fullmatch(r"[()（）\s]*", tail):
            continue
        cut = before[1] if before else m.start()
        item = text[:cut].strip(" ,:：、")
        if not item:
            continue
        unit = (before or after or (None,))[0]
        return {"quantity": number(m.group(1)), "quantity_max": number(m.group(2)) if m.group(2) else None,
                "unit": unit, "item": item, "text": line.strip()}
    for spelling in ("to taste", "少々", "少許", "少许", "適量", "适量", "適宜", "ひとつまみ"):
        low = text.lower()
        if low.endswith(spelling):
            item = text[: len(text) - len(spelling)].strip(" ,:：、")
            if item:
                code = next(c for s, c in _SPELLINGS if s == spelling)
                return {"quantity": None, "quantity_max": None, "unit": code, "item": item, "text": line.strip()}
    return None


def _minutes(text: str) -> float | None:
    total, found = 0.0, False
    for m in _DURATION.finditer(text):
        value, unit = float(m.group(1).replace(",", ".")), m.group(2).lower()
        total += value * 60 if unit[0] in "h時小" else value
        found = True
    return total if found else None


def _times(line: str) -> dict:
    low = line.lower()
    out = {}
    # Each kind's duration is what follows its word, up to the next kind's word.
    spots = sorted((low.find(w), kind) for kind, words in _TIME_KINDS.items() for w in words if w in low)
    for i, (at, kind) in enumerate(spots):
        end = spots[i + 1][0] if i + 1 < len(spots) else len(line)
        minutes = _minutes(line[at:end])
        if minutes is not None and f"{kind}_minutes" not in out:
            out[f"{kind}_minutes"] = minutes
    return out


def _is_head(line: str, heads: tuple[str, ...]) -> bool:
    low = unicodedata.normalize("NFKC", line).lower().strip(" :：【】[]()（）<>〈〉-—=*#")
    return any(low == h or (low.startswith(h) and len(low) <= len(h) + 12) for h in heads)


def parse(lines: list[Text]) -> dict:
    """The recipe on a card, from its OCR lines in reading order."""
    out: dict = {"title": "", "servings": None, "prep_minutes": None, "cook_minutes": None, "total_minutes": None,
                 "ingredients": [], "steps": []}
    section, head_lines = "head", []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if _is_head(text, INGREDIENT_HEADS):
            section = "ingredients"
            continue
        if _is_head(text, STEP_HEADS):
            section = "steps"
            continue
        servings = next((int(m.group(1)) for p in _SERVINGS for m in [p.search(text)] if m), None)
        times = _times(text) if section != "steps" else {}
        if servings is not None or times:
            if servings is not None and out["servings"] is None:
                out["servings"] = servings
            for k, v in times.items():
                out[k] = out[k] if out[k] is not None else v
            continue
        numbered = _STEP_NUMBER.match(text)
        if section == "steps" or (numbered and section != "ingredients" and not ingredient(text)):
            body = text[numbered.end():].strip() if numbered else text
            if numbered or not out["steps"]:
                out["steps"].append(body)
            else:
                out["steps"][-1] = f"{out['steps'][-1]} {body}".strip()
            continue
        found = ingredient(text)
        if section == "ingredients" or (found and section == "head" and head_lines):
            if found:
                out["ingredients"].append(found)
            elif section == "ingredients":
                out["ingredients"].append({"quantity": None, "quantity_max": None, "unit": None, "item": text,
                                           "text": text})
            continue
        head_lines.append(line)
    if head_lines:
        # The title: the largest text before the ingredients (the first line when sizes are unknown).
        out["title"] = max(head_lines[:4], key=lambda ln: ln.size).text.strip()
    if out["total_minutes"] is None and out["prep_minutes"] is not None and out["cook_minutes"] is not None:
        out["total_minutes"] = out["prep_minutes"] + out["cook_minutes"]
    return out
