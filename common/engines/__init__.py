"""What every engine returns and how the one in use is chosen."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from common.core.sections import ModelSettings
from common.menu.items import MenuItem, MenuReading

if TYPE_CHECKING:
    from common.profiles.pinned import Pinned


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


def get_engine(settings: ModelSettings) -> Engine:
    """The engine the settings name; gemini when a key is set, else the offline one."""
    name = settings.engine_name
    if name == "gemini":
        from common.engines.gemini import GeminiEngine

        return GeminiEngine(settings)
    from common.engines.local import LocalEngine

    return LocalEngine()
