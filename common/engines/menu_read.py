"""One menu's items as they are read, across every call that writes them.

A menu is read in segments: the first call, then a continuation for each call cut off at its output
cap (MAX_TOKENS), stopped in a repetition loop, or failed part way. Each continuation is told the
items read so far and writes only what follows, so nothing is written twice and nothing read is
lost: a 150-dish menu costs its dishes once, not again at a doubled cap (40-55 s at 100-250
tokens/s). Items are kept as they complete; a failure later keeps them (the run finishes with them).
"""
from __future__ import annotations

from typing import Callable, Optional

from pydantic import ValidationError

from common.core import logs
from common.menu.items import MenuItem, PriceOption
from common.engines.menu_prompt import Item

log = logs.get_logger(__name__)

LOOP_REPEATS = 3          # the same item this many times in a row: the model is looping
LOOP_WINDOW = 3           # a repeat is the same item as one of the last few
MAX_ITEM_CHARS = 4_000    # one item this long is a loop inside a field (real ones are under 600)


class Looping(Exception):
    """The model repeats itself: its answer is abandoned and the reading continues without it."""


def key(raw: dict) -> tuple:
    """What makes two items the same item: a repeat, or one a continuation wrote again."""
    return (" ".join(str(raw.get("original_name", "")).split()).casefold(), str(raw.get("price") or ""),
            str(raw.get("section") or ""))


class MenuRead:
    """The items read so far (valid ones only, in menu order), the menu's head and its top three."""

    def __init__(self, on_items: Optional[Callable[[list[MenuItem]], None]] = None):
        self.raw: list[dict] = []
        self._items: list[MenuItem] = []
        self.head: dict = {}                 # is_menu, legible, source_language, cuisine
        self.top3: list[str] = []
        self.finished = False                # a call ended the menu (finish reason STOP, top3 written)
        self.segments = 0
        self.recitations = 0                 # RECITATION stops seen (one is asked again, a second is final)
        self._on_items = on_items
        self._start = 0                      # len(raw) when the current segment started
        self._leading = True                 # still skipping what a continuation wrote again
        self._repeats = 0

    # -- segments -----------------------------------------------------------------------------
    def begin(self) -> list[dict]:
        """Start a call: the items it is told were read (none for the first)."""
        self.segments += 1
        self._start, self._leading, self._repeats = len(self.raw), bool(self.raw), 0
        return list(self.raw)

    @property
    def new_in_segment(self) -> int:
        return len(self.raw) - self._start

    def add(self, raw: dict) -> bool:
        """One item the model completed; True when it was kept. Raises Looping on a repetition loop.

        A continuation may start by writing again the last items it was given: those are skipped.
        An item the same as one of the last few is a repeat, never kept; LOOP_REPEATS in a row is a loop.
        """
        try:
            item = Item.model_validate(raw).model_dump()
        except ValidationError:
            log.warning("an item that does not match the schema was skipped", item=str(raw)[:200])
            return False
        k = key(item)
        if self._leading and any(key(r) == k for r in self.raw[-LOOP_WINDOW:]):
            return False
        self._leading = False
        if any(r == item for r in self.raw[-LOOP_WINDOW:]):
            self._repeats += 1
            if self._repeats >= LOOP_REPEATS:
                raise Looping(f"the model repeated {item['original_name']!r} {self._repeats} times")
            return False
        self._repeats = 0
        self.raw.append(item)
        self._items.append(to_menu_item(len(self._items), item))
        if self._on_items is not None:
            self._on_items(self.items())
        return True

    def finish(self, menu: dict) -> None:
        """The call that ended the menu: its head (when none yet) and the top three it chose."""
        self.note_head(menu)
        self.top3 = [str(n) for n in menu.get("top3") or []][:6]
        self.finished = True

    def note_head(self, menu: dict) -> None:
        """What a call said of the page before its items (kept from the first call that said it)."""
        for field in ("is_menu", "legible", "source_language", "cuisine"):
            if field in menu and field not in self.head:
                self.head[field] = menu[field]

    def replace(self, raw: list[dict]) -> None:
        """Hold these items (already checked) in place of any read: a page merged from its strips."""
        self.raw = list(raw)
        self._items = [to_menu_item(n, item) for n, item in enumerate(self.raw)]

    # -- results ------------------------------------------------------------------------------
    def items(self) -> list[MenuItem]:
        """The items so far as MenuItems, ids item-1..n in menu order."""
        return list(self._items)


def to_menu_item(n: int, raw: dict) -> MenuItem:
    data = dict(raw)
    data["options"] = [PriceOption(**o) for o in data.get("options") or []]
    return MenuItem(id=f"item-{n + 1}", **data)
