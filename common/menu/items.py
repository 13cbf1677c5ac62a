"""A menu as the product describes it: each item the phone shows, and what an engine reads.

Field names are the event contract's (docs/events.md): the shipped app reads id, original_name,
translated_name, description, tags, is_top3, image_status and image_prompt; everything else is
additive and clients ignore what they do not know.
"""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class MenuItem(BaseModel):
    id: str
    original_name: str
    translated_name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    is_top3: bool = False
    image_status: str = "none"
    image_prompt: str = ""
    image_url: Optional[str] = None
    # Additive fields (clients ignore what they do not know)
    price: Optional[str] = None
    section: Optional[str] = None
    allergens: list[str] = Field(default_factory=list)
    known: bool = True
    price_value: Optional[float] = None   # the lowest amount on the line; None for market price
    currency: Optional[str] = None        # ISO 4217, printed or inferred from the menu
    dish_id: Optional[str] = None         # the offline knowledge base's id for a recognised dish
    reading: Optional[str] = None         # a Japanese name's reading in hiragana (the app shows it)
    romanji: Optional[str] = None         # the same in Hepburn romanisation (the app's spelling of the field)
    image_error: Optional[dict] = None    # {code, message} when image_status is "failed"
    page: Optional[int] = None            # a multi-page scan's page (1-based) the dish was read on


class MenuReading(BaseModel):
    items: list[MenuItem]
    engine: str
    source_language: Optional[str] = None

    @property
    def unknown_items_count(self) -> int:
        return sum(1 for i in self.items if not i.known)


def finalise_top3(items: list[MenuItem]) -> list[MenuItem]:
    """Exactly min(3, n) items are top-3: keep the engine's picks in order, fill from the top."""
    ids = [i.id for i in items if i.is_top3][:3]
    ids += [i.id for i in items if i.id not in ids][: 3 - len(ids)]
    for item in items:
        item.is_top3 = item.id in ids
        item.image_status = "pending" if item.is_top3 else "none"
        item.image_url = None
    return items
