"""What the fake Gemini "reads" on a menu photo: a JSON answer in the service's schema, written as a
model would write it for the request: the whole menu, the rest of it after the items a continuation
names (ALREADY_READ), one part of a page read in tiles ("part k of n"), or a scripted fault (a loop
repeating one item, a runaway field, a page that is not a menu)."""
from __future__ import annotations

import json
import re

# A small izakaya menu; translations for the languages the tests use, English otherwise.
DEFAULT_MENU = [
    {"original_name": "唐揚げ", "names": {"zh-TW": "日式炸雞", "en": "Karaage fried chicken"},
     "reading": "からあげ", "romanji": "karaage", "price": "¥680", "section": "揚げ物", "tags": [],
     "allergens": ["gluten", "soy"], "is_top3": True},
    {"original_name": "焼き鳥盛り合わせ", "names": {"zh-TW": "綜合烤雞串", "en": "Assorted yakitori"},
     "reading": "やきとりもりあわせ", "romanji": "yakitori moriawase", "price": "¥980", "section": "焼き物",
     "tags": ["signature"], "allergens": ["soy"], "is_top3": True},
    {"original_name": "刺身三点盛り", "names": {"zh-TW": "生魚片三品拼盤", "en": "Three-kind sashimi"},
     "reading": "さしみさんてんもり", "romanji": "sashimi santen mori", "price": "¥1,280", "section": "刺身",
     "tags": ["raw"], "allergens": ["fish"], "is_top3": True},
    {"original_name": "枝豆", "names": {"zh-TW": "毛豆", "en": "Edamame"},
     "price": "¥380", "section": "おつまみ", "tags": ["vegan", "vegetarian"], "allergens": ["soy"], "is_top3": False},
    {"original_name": "麻婆豆腐", "names": {"zh-TW": "麻婆豆腐", "en": "Mapo tofu"},
     "price": "¥780", "section": "一品", "tags": ["spicy"], "allergens": ["soy"], "is_top3": False},
    {"original_name": "生ビール", "names": {"zh-TW": "生啤酒", "en": "Draft beer"}, "kind": "drink",
     "price": "¥600", "section": "飲み物", "tags": ["contains_alcohol"], "allergens": ["gluten"], "is_top3": False},
]
DEFAULT_CUISINE = "Japanese izakaya"

_DISHES = [("牛肉麺", "Beef noodle soup", "麺類"), ("小籠包", "Soup dumplings", "点心"),
           ("炒飯", "Fried rice", "飯類"), ("餃子", "Pan-fried dumplings", "点心"),
           ("酸辣湯", "Hot and sour soup", "湯"), ("回鍋肉", "Twice-cooked pork", "炒め物"),
           ("担々麺", "Dandan noodles", "麺類"), ("春巻き", "Spring rolls", "点心")]
_ALREADY = re.compile(r"ALREADY_READ (\[.*?\])\n", re.S)
_TILE = re.compile(r"This photo is part (\d+) of (\d+) of one menu page")


def synthetic_menu(n: int, first: int = 0) -> list[dict]:
    """n dishes with realistic field lengths (about 80 output tokens each in the service's schema),
    numbered from first + 1 (a later page of one menu)."""
    out = []
    for k in range(first, first + n):
        name, english, section = _DISHES[k % len(_DISHES)]
        out.append({"original_name": f"{name}{k + 1}", "names": {"en": f"{english} no. {k + 1}",
                                                                 "zh-TW": f"{name}（{k + 1}號）"},
                    "description": f"{english}: a house favourite, cooked to order with seasonal vegetables "
                                   "and the kitchen's own sauce.",
                    "price": f"¥{580 + 20 * k}", "section": section, "tags": ["signature"] if k % 7 == 0 else [],
                    "allergens": ["soy", "gluten"] if k % 2 else ["soy"], "is_top3": k - first in (1, 4, 9)})
    return out


def item_json(it: dict, language: str) -> dict:
    """One dish as the service's schema has the model write it (optional fields only when known)."""
    price = it.get("price")
    digits = re.sub(r"[^0-9.]", "", price or "")
    out = {"original_name": it["original_name"],
           "translated_name": it["names"].get(language) or it["names"]["en"],
           "description": it.get("description") or f"{it['names']['en']} ({language})",
           "price": price, "kind": it.get("kind", "dish"), "tags": it["tags"], "allergens": it["allergens"],
           "price_value": float(digits) if digits else None, "currency": "JPY" if price and "¥" in price else None,
           "section": it.get("section")}
    for field in ("reading", "romanji", "options"):
        if it.get(field):
            out[field] = it[field]
    return out


def answer(menu: list[dict], cuisine: str, language: str, prompt: str, action: dict) -> str:
    """The JSON text the model writes for this request."""
    if action.get("not_menu"):
        return json.dumps({"is_menu": False, "legible": True, "items": [], "top3": []})
    if action.get("empty"):
        return json.dumps({"is_menu": True, "legible": False, "items": [], "top3": []})
    if action.get("no_items"):  # a legible menu page with nothing on it the model calls a dish
        return json.dumps({"is_menu": True, "legible": True, "items": [], "top3": []})
    tile = _tile(menu, prompt)
    dishes = _after_read(tile, prompt, int(action.get("overlap", 0)))
    items = [item_json(it, language) for it in dishes]
    if action.get("loop_after"):  # the model falls into repeating one item until its output cap
        k = int(action["loop_after"])
        items = items[:k] + [items[k - 1]] * 2000
    if action.get("loop_in_field"):  # ... or one word inside a field
        k = int(action["loop_in_field"]) - 1
        items[k] = {**items[k], "description": "very " * 20_000}
    top3 = [it["original_name"] for it in tile if it.get("is_top3")]  # chosen from the whole (part of the) page
    head = {"is_menu": True, "legible": not action.get("illegible_with_items"), "source_language": "ja",
            "cuisine": cuisine}
    return json.dumps({**head, "items": items, "top3": top3}, ensure_ascii=False)


def _tile(menu: list[dict], prompt: str) -> list[dict]:
    """The dishes on this request's part of the page: all of them, or its tile's."""
    tile = _TILE.search(prompt)
    if not tile:
        return list(menu)
    k, n = int(tile.group(1)), int(tile.group(2))
    size = -(-len(menu) // n)
    # Neighbouring tiles overlap: the dish on the cut is seen (and written) by both.
    return menu[max(0, (k - 1) * size - 1): k * size + (1 if k < n else 0)]


def _after_read(dishes: list[dict], prompt: str, overlap: int) -> list[dict]:
    """The dishes after the ones a continuation says were read (with `overlap` of them again)."""
    read = _ALREADY.search(prompt)
    if not read:
        return dishes
    done = json.loads(read.group(1))
    names = [d["original_name"] for d in dishes]
    last = done[-1]["original_name"] if done else None
    start = names.index(last) + 1 if last in names else len(done)
    return dishes[max(0, start - overlap):]
