"""What every engine returns and how the one in use is chosen."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from pydantic import BaseModel, Field

from common.config import Settings

if TYPE_CHECKING:
    from common.profiles import Pinned


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
    confidence: Optional[float] = None    # 0-1, how sure an engine that says is that this is a dish


class MenuReading(BaseModel):
    items: list[MenuItem]
    engine: str
    source_language: Optional[str] = None

    @property
    def unknown_items_count(self) -> int:
        return sum(1 for i in self.items if not i.known)


@dataclass
class Call:
    """One engine call's limits and what it reports back: the run's deadline in; items read so far
    (a streaming engine calls on_items with every item complete so far) and fallback use out."""

    deadline: float = math.inf  # time.monotonic() by which the call must be over
    on_items: Optional[Callable[[list[MenuItem]], None]] = None
    used_fallback: bool = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class Engine(Protocol):
    name: str

    def reader_language(self, language: str, known: bool) -> tuple[str, str | None]:
        """The language this engine will write for a request, and why when it is not the one asked for."""

    def read_menu(self, jpeg: bytes, language: str, call: Call | None = None) -> MenuReading:
        """Read the photo into items translated into `language`; raise ScanError on failure."""

    def draw_dish(self, item: MenuItem, language: str, call: Call | None = None) -> bytes:
        """Return an image (any Pillow-readable format) of the dish; raise ScanError on failure."""

    def extract(self, jpeg: bytes, profile: "Pinned", language: str, call: Call | None = None) -> dict:
        """A profile other than menu: the photo's data as one JSON object; raise ScanError on failure."""


CONFIDENT = 0.6  # an item whose engine gives a confidence below this is never a top-3 pick


def finalise_top3(items: list[MenuItem]) -> list[MenuItem]:
    """Up to three top-3 items, only from confident ones (no confidence given counts as confident): keep the
    engine's picks in order, fill from the top."""
    sure = [i for i in items if i.confidence is None or i.confidence >= CONFIDENT]
    ids = [i.id for i in sure if i.is_top3][:3]
    ids += [i.id for i in sure if i.id not in ids][: 3 - len(ids)]
    for item in items:
        item.is_top3 = item.id in ids
        item.image_status = "pending" if item.is_top3 else "none"
        item.image_url = None
    return items


def get_engine(settings: Settings) -> Engine:
    """The engine the settings name; gemini when a key is set, else the offline one."""
    name = settings.engine_name
    if name == "gemini":
        from common.engines.gemini import GeminiEngine

        return GeminiEngine(settings)
    from common.engines.local import LocalEngine

    return LocalEngine()
