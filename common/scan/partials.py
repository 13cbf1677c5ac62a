"""Partial menus: the items read so far go out as menu_data {is_partial: true} while the model writes.

Each partial is one write (EventLog.post_many). One goes out for the first item, then one per
MENU_PARTIAL_EVERY_ITEMS new items at most every MENU_PARTIAL_MIN_INTERVAL_S, up to
MENU_PARTIAL_MAX per job. Only items beyond what the client has make a partial: a retried or
taken-over stream repeats nothing until it passes them.

A hint (scan/lookalike.py: the menu an earlier scan read from a near-identical photo) goes out the
same way, marked is_hint, before the reading's first item, and counts as what the client has: the
reading replaces it with the whole menu, or at once with its own items when they contradict it.
"""
from __future__ import annotations

import threading
import time

from common.core import logs
from common.jobs import payloads
from common.jobs.model import F
from common.menu import names
from common.menu.items import MenuItem
from common.menu.pages import bounded
from common.scan.state import RunState

log = logs.get_logger(__name__)


class Partials:
    def __init__(self, state: RunState):
        self.state = state
        self.sent, self.events = state.job.partial_items, state.job.partial_events
        self.last_at = self.started = 0.0
        self.lock = threading.RLock()  # the reading, a hint's thread and page readers offer at once
        # The dishes of a hint on the phone, until the reading replaces it (a takeover's too).
        hinted = state.job.items_partial and state.job.items_hint and not state.job.page_objects
        self._hint: list[str] | None = _keys([MenuItem(**i) for i in state.job.items]) if hinted else None

    def offer(self, items: list[MenuItem]) -> None:
        """Called by a streaming engine with every item complete so far."""
        s = self.state.settings
        with self.lock:
            n, now = len(items), time.monotonic()
            if self._hint is not None and _keys(items) != self._hint[:n]:
                self.post(items)  # the reading says otherwise: its own items replace the hint now
                return
            if n <= self.sent or self.events >= s.menu_partial_max:
                return
            if self.sent and (n - self.sent < s.menu_partial_every_items
                              or now - self.last_at < s.menu_partial_min_interval_s):
                return
            self.post(items)

    def hint(self, items: list[MenuItem], **extra) -> bool:
        """Show an earlier scan's menu of this photo, unless the reading has already shown dishes."""
        with self.lock:
            if self.sent or not items:
                return False
            self.post(items, is_hint=True, **extra)
            self._hint = _keys(items)
            return True

    def post(self, items: list[MenuItem], **extra) -> None:
        """Store one partial menu (the caller holds the lock): these items, no top-3 yet."""
        state, now = self.state, time.monotonic()
        with self.lock:
            # Within the menu's size bound: the job document holds a partial twice (items, and the tail).
            shown, _ = bounded([i.model_copy(update={"is_top3": False, "image_status": "none", "image_url": None})
                                for i in items])
            # The first partial comes with a status: no status may follow a menu_data, and the app's
            # progress bar would otherwise stay at `analyzing` until done.
            lead = [] if self.events else [("status", payloads.status("analyzing", "Reading the dishes", state.job_id,
                                                                       progress=payloads.PROGRESS["reading"]))]
            state.log.post_many([*lead, ("menu_data", state.menu_event(partial=True, items=shown, **extra))],
                                job_fields={F.ITEMS: [i.model_dump() for i in shown], F.ITEMS_PARTIAL: True,
                                            F.PARTIAL_ITEMS: len(items), F.PARTIAL_EVENTS: self.events + 1,
                                            F.ITEMS_HINT: bool(extra.get("is_hint")), F.DEADLINE_AT: state.deadline_at,
                                            F.PROGRESS: payloads.PROGRESS["reading"],
                                            **({F.PAGES: extra["pages"]} if "pages" in extra else {})})
            self.sent, self.events, self.last_at, self._hint = len(items), self.events + 1, now, None
            if not extra.get("is_hint"):
                state.timings.setdefault("first_item_ms", int((now - self.started) * 1000))
            log.info("partial menu sent", items=len(items), partial=self.events, hint=bool(extra.get("is_hint")))


def _keys(items: list[MenuItem]) -> list[str]:
    return [names.plain_key(i.original_name) for i in items]
