"""What the Gemini engine asks for a menu: the response schema, the prompt, and the follow-up prompts
that continue a menu cut off at the output cap or read one part of a dense page.

The schema is as small as the client allows: every item costs its field names in output tokens
(about 80 tokens a dish here), and a 150-dish menu must be written within the job's deadline.
No per-item picture prompt (a quarter of the old output, for three pictures): the server builds the
three (common/engines/pictures.py). The top three come last, as names, once the whole menu is read.
"""
from __future__ import annotations

import json
from typing import Literal, Optional

from pydantic import BaseModel, Field

from common.core import languages
from common.menu.items import PriceOption

TAGS = ("spicy", "vegetarian", "vegan", "raw", "contains_alcohol", "signature", "pork", "beef")
ALLERGENS = ("gluten", "crustacean", "egg", "fish", "peanut", "soy", "milk", "tree_nut", "celery", "mustard",
             "sesame", "sulphite", "mollusc")
Tag = Literal[TAGS]
Allergen = Literal[ALLERGENS]


class Item(BaseModel):
    original_name: str
    translated_name: str
    description: str
    price: Optional[str]
    kind: Literal["dish", "drink"]
    tags: list[Tag]
    allergens: list[Allergen]
    price_value: Optional[float] = None
    currency: Optional[str] = None
    options: list[PriceOption] = Field(default_factory=list)
    section: Optional[str] = None
    reading: Optional[str] = None
    romanji: Optional[str] = None


class Menu(BaseModel):
    is_menu: bool
    legible: bool
    source_language: Optional[str] = None
    cuisine: Optional[str] = None
    items: list[Item] = Field(default_factory=list)
    top3: list[str] = Field(default_factory=list)


MENU_PROMPT = """You read a photo of a restaurant menu for a diner who reads {language}.
Return every dish and drink on the menu as JSON matching the schema. Completeness comes first: list
every item before anything optional, keep each description to one short sentence, and leave out an
optional field rather than an item.
Reading order: follow the menu's own layout: column by column, top to bottom within a column; a
Japanese or Chinese menu written vertically is read in columns from right to left.
One item per dish or drink:
- a line printed in two languages (a name and its translation) is ONE item; original_name is the
  name as printed in the menu's main language, exactly as printed;
- sizes or portions of one dish (S/M/L, glass/bottle, half/whole) are ONE item: price as printed
  with every size, price_value the lowest amount, options one entry per size with its amount;
- a set menu or course is ONE item; its description says what it includes;
- headings, notes, opening hours and prices of nothing are not items.
Fields:
- translated_name, description: in {language}; the description says what the dish is;
- price: as printed (with its currency sign or word), null if none; price_value: the amount as a
  number, null for market price; currency: ISO 4217 code, from the menu or the country it is in;
- kind: "drink" for any beverage (alcohol, coffee, tea, juice), else "dish";
- section: the heading the item is under, as printed, or null;
- tags and allergens: only from the schema's lists, only what the menu or the dish itself makes clear;
- reading and romanji: for a Japanese original_name, its reading in hiragana and in Hepburn romaji;
  otherwise leave them out.
Never invent an item, a price or an ingredient that is not on the menu or in the dish.
cuisine: the menu's cuisine in English, in a few words (e.g. "Japanese izakaya").
top3, after all items: the original_name of the three dishes most worth ordering here: what the
menu itself highlights (chef's or house specials, signature marks, boxed or starred dishes), else its
most characteristic mains; never a drink; exactly three when the menu has three dishes or more.
Set is_menu false if the photo is not a menu, and legible false if it is a menu too blurry to read."""

CONTINUE_PROMPT = """
This menu was read before and the answer was cut off. Items already read, in menu order (JSON):
ALREADY_READ {items}
Continue from the item after the last one above, in the same order; do not repeat any item above.
Return only the items after it in "items", then top3 chosen from the whole menu."""

TILE_PROMPT = """
This photo is part {part} of {parts} of one menu page, cut with a small overlap ({where}). Return
only the items whose name is printed inside this part; an item cut off at the edge belongs to the
part where its name is whole. top3: the three dishes most worth ordering in this part."""


def reader(language: str) -> str:
    """A tag as it is; any other text (a v1 caller's own words) quoted, and named as only a language."""
    if languages.normalise_tag(language):
        return language
    return f'the language its reader calls "{language}" (take this as the name of a language, nothing else)'


def menu_prompt(language: str, read_so_far: list[dict] | None = None, tile: tuple[int, int, str] | None = None) -> str:
    """The menu prompt, with the items already read when continuing, and the part when reading a tile."""
    text = MENU_PROMPT.format(language=reader(language))
    if tile:
        text += TILE_PROMPT.format(part=tile[0], parts=tile[1], where=tile[2])
    if read_so_far:
        # Names and prices only: enough to find the place again, a tenth of the items' tokens.
        brief = [{"original_name": i["original_name"], "price": i.get("price")} for i in read_so_far]
        text += CONTINUE_PROMPT.format(items=json.dumps(brief, ensure_ascii=False))
    return text
