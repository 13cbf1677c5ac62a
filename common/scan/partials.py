"""Partial menus: the items read so far go out as menu_data {is_partial: true} while the model writes.

Each partial is one write (EventLog.post_many). One goes out for the first item, then one per
MENU_PARTIAL_EVERY_ITEMS new items at most every MENU_PARTIAL_MIN_INTERVAL_S, up to
MENU_PARTIAL_MAX per job. Only items beyond what the client has make a partial: a retried or
taken-over stream repeats nothing until it passes them.
"""
from __future__ import annotations

import time

from common.core import logs
from common.jobs import payloads
from common.jobs.model import F
from common.menu.items import MenuItem
from common.scan.state import RunState

log = logs.get_logger(__name__)


class Partials:
    def __init__(self, state: RunState):
        self.state = state
        self.sent, self.events = state.job.partial_items, state.job.partial_events
        self._last_at = self.started = 0.0

    def offer(self, items: list[MenuItem]) -> None:
        """Called by a streaming engine with every item complete so far."""
        state, s = self.state, self.state.settings
        n, now = len(items), time.monotonic()
        if n <= self.sent or self.events >= s.menu_partial_max:
            return
        if self.sent and (n - self.sent < s.menu_partial_every_items
                          or now - self._last_at < s.menu_partial_min_interval_s):
            return
        shown = [i.model_copy(update={"is_top3": False, "image_status": "none", "image_url": None}) for i in items]
        # The first partial comes with a status: no status may follow a menu_data, and the app's
        # progress bar would otherwise stay at `analyzing` until done.
        lead = [] if self.events else [("status", payloads.status("analyzing", "Reading the dishes", state.job_id,
                                                                   progress=payloads.PROGRESS["reading"]))]
        state.log.post_many([*lead, ("menu_data", state.menu_event(partial=True, items=shown))],
                            job_fields={F.ITEMS: [i.model_dump() for i in shown], F.ITEMS_PARTIAL: True,
                                        F.PARTIAL_ITEMS: n, F.PARTIAL_EVENTS: self.events + 1,
                                        F.DEADLINE_AT: state.deadline_at, F.PROGRESS: payloads.PROGRESS["reading"]})
        self.sent, self.events, self._last_at = n, self.events + 1, now
        state.timings.setdefault("first_item_ms", int((now - self.started) * 1000))
        log.info("partial menu sent", items=n, partial=self.events)
