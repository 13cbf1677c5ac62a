"""What every engine returns and how the one in use is chosen."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from pydantic import BaseModel, Field

from common.config import Settings

if TYPE_CHECKING:
    from common.profiles import Pinned


class PriceOption(BaseModel):
    """One size or portion of a dish and its amount (S / M / L, glass / bottle, 半隻 / 一隻)."""

    label: str
    price_value: Optional[float] = None


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
    kind: Optional[str] = None            # "dish" or "drink" (a drink is never a top-3 pick)
    options: list[PriceOption] = Field(default_factory=list)  # sizes or portions with their amounts
    image_kind: Optional[str] = None      # "illustration" once a picture is ready: drawn, not photographed


class MenuReading(BaseModel):
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


@dataclass
class Call:
    """One engine call's limits and what it reports back: the run's deadline in; items read so far
    (a streaming engine calls on_items with every item complete so far) and fallback use out."""

    deadline: float = math.inf  # time.monotonic() by which the call must be over
    on_items: Optional[Callable[[list[MenuItem]], None]] = None
    used_fallback: bool = False
    # Tokens the call's model requests used, by model: {model: {prompt, output, thinking}}.
    tokens: dict = field(default_factory=dict)
    # Dishes a run that died had already sent: a streaming engine continues the menu after them.
    seed: list[MenuItem] = field(default_factory=list)

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


def finalise_top3(items: list[MenuItem]) -> list[MenuItem]:
    """Exactly min(3, n) items are top-3: keep the engine's picks in order, then fill from the menu:
    signature dishes first, then dishes, a drink only when the menu has nothing else."""
    ids = [i.id for i in items if i.is_top3][:3]
    rest = sorted((i for i in items if i.id not in ids),
                  key=lambda i: (i.kind == "drink", "signature" not in i.tags))  # stable: menu order within
    ids += [i.id for i in rest][: 3 - len(ids)]
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
