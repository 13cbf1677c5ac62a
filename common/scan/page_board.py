"""What the phone sees of a multi-page scan while its pages are read: one partial menu_data with every
page's dishes so far, in page order, and each page's state (`pages`), as the pages' readers report.

A partial goes out (Partials.post: one write each) for the first dish of the job, for each page
read (but the last, which the whole menu follows at once), for a page's hint (scan/hints.py) and for a
failed page once anything is on screen; and, while dishes stream, under Partials' own throttle (every
MENU_PARTIAL_EVERY_ITEMS dishes, MENU_PARTIAL_MIN_INTERVAL_S apart, MENU_PARTIAL_MAX of them). Only a
partial that changes the dishes on screen is sent (a page's state alone waits for the next one). A
page's hint stays until its reading contradicts it or is done.
"""
from __future__ import annotations

import time

from common.menu import names
from common.menu.items import MenuItem
from common.menu.pages import on_page
from common.scan.partials import Partials
from common.scan.state import RunState


class Board:
    def __init__(self, state: RunState, partials: Partials):
        self.state, self.partials = state, partials
        self.shown: dict[int, list[MenuItem]] = {}  # page -> its dishes on the phone (read so far, or a hint)
        self.hinted: set[int] = set()
        self.streamed = 0  # streaming partials sent (the throttled kind)
        self._posted: list[tuple[str, str]] = []  # the dishes of the last partial: one that changes none is not sent

    def status(self, page: int, status: str, **fields) -> None:
        with self.partials.lock:
            entry = self.state.pages[page - 1]
            entry.update(status=status, **fields)
            if status == "failed" and page in self.hinted:  # its hint is no dish of this menu after all
                self.hinted.discard(page)
                self.shown.pop(page, None)
                self._posted = []
            if status == "failed" and self.partials.sent and not self._settled():
                self._post()

    def hint(self, page: int, items: list[MenuItem]) -> bool:
        """Show an earlier scan's reading of this page, unless its own reading is already on screen."""
        with self.partials.lock:
            if page in self.shown or self.state.pages[page - 1]["status"] not in ("waiting", "reading"):
                return False
            self.shown[page] = on_page(page, items)
            self.hinted.add(page)
            self.state.pages[page - 1]["hint"] = True
            self._post()
            return True

    def offer(self, page: int, items: list[MenuItem]) -> None:
        """A page's reader with every dish of that page read so far."""
        s = self.state.settings
        with self.partials.lock:
            before = sum(len(v) for v in self.shown.values())
            if page in self.hinted:
                hint = [names.plain_key(i.original_name) for i in self.shown[page]]
                if [names.plain_key(i.original_name) for i in items] == hint[:len(items)]:
                    return  # the reading agrees with the hint so far: it stays until the page is read
                self.hinted.discard(page)
                self.shown[page] = on_page(page, items)
                self._post()  # contradicted: the reading's own dishes replace it now
                return
            self.shown[page] = on_page(page, items)
            now, total = time.monotonic(), sum(len(v) for v in self.shown.values())
            if self.partials.sent and (self.streamed >= s.menu_partial_max
                                       or total - before <= 0
                                       or total - self.partials.sent < s.menu_partial_every_items
                                       or now - self.partials.last_at < s.menu_partial_min_interval_s):
                return
            self.streamed += 1
            self._post()

    def read(self, page: int, items: list[MenuItem]) -> None:
        """A page is read: its dishes replace whatever stood for it."""
        with self.partials.lock:
            self.shown[page] = items
            self.hinted.discard(page)
            self.state.pages[page - 1].update(status="completed", items_count=len(items))
            if not self._settled():
                self._post()

    def _settled(self) -> bool:
        return all(p["status"] in ("completed", "failed") for p in self.state.pages)

    def _post(self) -> None:
        items = [i for page in sorted(self.shown) for i in self.shown[page]]
        dishes = [(i.id, i.original_name) for i in items]
        if items and dishes != self._posted:
            self._posted = dishes
            self.partials.post(items, pages=[dict(p) for p in self.state.pages],
                               **({"is_hint": True} if self.hinted == set(self.shown) else {}))
