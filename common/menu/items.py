"""A menu as the product describes it: each item the phone shows, and what an engine reads.

Field names are the event contract's (docs/events.md): the shipped app reads id, original_name,
translated_name, description, tags, is_top3, image_status and image_prompt; everything else is
additive and clients ignore what they do not know.
"""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field, field_validator

from common.core import text


class _Read(BaseModel):
    """What an engine wrote: a lone surrogate in a model's answer ("\\ud800" decodes to one) would make
    the job's writes fail, so every string is cleaned as it comes in."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value):
        return text.clean(value)


class PriceOption(_Read):
    """One size or portion of a dish and its amount (S / M / L, glass / bottle, 半隻 / 一隻)."""

    label: str
    price_value: Optional[float] = None


class MenuItem(_Read):
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
    kind: Optional[str] = None            # "dish" or "drink" (a drink is never a top-3 pick)
    options: list[PriceOption] = Field(default_factory=list)  # sizes or portions with their amounts
    image_kind: Optional[str] = None      # "illustration" once a picture is ready: drawn, not photographed
    confidence: Optional[float] = None    # 0-1, how sure an engine that says is that this is a dish
    page: Optional[int] = None            # a multi-page scan's page (1-based) the dish was read on


class MenuReading(_Read):
    items: list[MenuItem]
    engine: str
    source_language: Optional[str] = None
    # The menu was not read to its end (deadline, a model failure after some items): these are the
    # items read; the job completes with them and says so (done.summary.incomplete).
    incomplete: bool = False
    incomplete_reason: Optional[str] = None

    @property
    def unknown_items_count(self) -> int:
        return sum(1 for i in self.items if not i.known)


CONFIDENT = 0.6  # an item whose engine gives a confidence below this is never a top-3 pick


def finalise_top3(items: list[MenuItem]) -> list[MenuItem]:
    """Up to three top-3 items, only from confident ones (no confidence given counts as confident): keep
    the engine's picks in order, then fill from the menu: signature dishes first, then dishes, a drink
    only when the menu has nothing else."""
    sure = [i for i in items if i.confidence is None or i.confidence >= CONFIDENT]
    ids = [i.id for i in sure if i.is_top3][:3]
    rest = sorted((i for i in sure if i.id not in ids),
                  key=lambda i: (i.kind == "drink", "signature" not in i.tags))  # stable: menu order within
    ids += [i.id for i in rest][: 3 - len(ids)]
    for item in items:
        item.is_top3 = item.id in ids
        item.image_status = "pending" if item.is_top3 else "none"
        item.image_url = None
    return items
