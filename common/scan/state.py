"""What one run knows about its job as it goes: the items, timings and flags, the time budget, and the
shapes they are stored and sent in. Every stage reads and updates this; none holds state of its own.

A run resumes from the job document (the snapshot), so a takeover after a dead run neither repeats a
model call that already produced menu_data nor re-sends events: it continues the same sequence.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

from common.core import clock, logs
from common.core.sections import RunSettings
from common.engines import usage
from common.jobs import pages, payloads
from common.jobs.eventlog import EventLog
from common.jobs.lease import Lease
from common.jobs.model import F, Job
from common.menu.items import MenuItem
from common.profiles.pinned import Pinned

log = logs.get_logger(__name__)


class RunState:
    def __init__(self, job: Job, lease: Lease, events: EventLog, settings: RunSettings, engine_name: str):
        self.job, self.lease, self.log, self.settings = job, lease, events, settings
        self.job_id = job.job_id
        self.language_used: str = job.reader_language
        self.language_fallback: dict | None = job.language_fallback
        # Jobs stored before asset ids existed get one now; it is kept with the snapshot for a takeover.
        self.asset_id = job.asset_id or uuid.uuid4().hex
        self.engine_name = job.engine or engine_name
        self.profile = Pinned.from_field(job.profile)  # None: the menu
        self.items: list[MenuItem] = []
        self.timings: dict[str, int] = {}
        self.used_cache = False
        self.used_fallback = job.used_fallback
        self.incomplete = job.incomplete  # the menu was not read to its end (done.summary says so)
        self.usage: dict = dict(job.usage)  # tokens by part (menu, images) and model
        self.unknown = 0
        # The job's time budget: stored with the first menu a run sends, so a takeover keeps it.
        self.deadline_at: dt.datetime | None = job.deadline_at
        self.lock = threading.RLock()  # drawing threads settle items and page readers add usage under it
        self.held: list[tuple[str, dict]] = []  # the last image_update, stored with done in one commit
        self.cache_key: str | None = None  # the menu's cache entry, written once the job completes
        self.announced = False  # whether this run told the client drawing started ("generating")
        self.started = time.monotonic()
        self.pages: list[dict] = list(job.pages)  # a multi-page scan's pages: {page, status, items_count, error?}
        self.source_language: str | None = job.source_language  # the menu's own language, as the engine read it
        # Pages read by the engine this run, remembered as lookalikes once the job completes
        # (scan/lookalike.py): (fingerprint, scope, items) each.
        self.lookalikes: list[tuple] = []

    # -- resume -------------------------------------------------------------------------------
    def resume(self) -> None:
        """Take up what the job's snapshot says earlier runs did."""
        if self.job.last_seq <= 1:
            return  # only create_job's first status exists: nothing to resume
        # Items from partial menus are what the client has seen, not a menu read: read it again.
        self.items = [] if self.job.items_partial else [MenuItem(**i) for i in self.job.items]
        self.timings = dict(self.job.timings)
        self.used_cache = self.job.used_cache
        self.unknown = self.job.unknown_items_count
        if self.items:
            log.info("resuming after menu_data", pending=sum(i.image_status == "pending" for i in self.items))

    def resume_safely(self) -> bool:
        """resume, or False (with nothing resumed) when the stored snapshot cannot be read back."""
        try:
            self.resume()
            return True
        except Exception:  # noqa: BLE001 - e.g. items stored by an older schema; the caller decides
            log.exception("the job's snapshot could not be read back")
            self.items, self.timings = [], {}
            return False

    def last_status_is(self, step: str) -> bool:
        """Whether the job's latest stored event is this status (the claim stores `analyzing` itself)."""
        last = pages.latest(self.job)
        return bool(last and last.type == "status" and last.data.get("step") == step)

    # -- time ---------------------------------------------------------------------------------
    def start_deadline(self, *starts: dt.datetime | None) -> None:
        """The job's deadline from the later of its starts (its creation, its upload), unless set."""
        if self.deadline_at is None:
            start = max(t for t in (self.job.created_at, *starts) if isinstance(t, dt.datetime))
            self.deadline_at = start + dt.timedelta(seconds=self.settings.job_deadline_s)

    def remaining_s(self) -> float:
        """Seconds left of the job's time budget (the store's clock, as created_at is)."""
        self.start_deadline()
        return (self.deadline_at - clock.now()).total_seconds()

    def engine_deadline(self) -> float:
        """The monotonic time by which a model call must be over: the deadline less the reserve for storing."""
        return time.monotonic() + self.remaining_s() - self.settings.deadline_reserve_s

    def time_for_images(self) -> bool:
        return self.remaining_s() >= self.settings.image_min_remaining_s

    # -- shapes -------------------------------------------------------------------------------
    def public_items(self) -> list[dict]:
        return [i.model_dump() for i in self.items]

    def add_usage(self, part: str, tokens: dict) -> None:
        """A call's tokens into the job's tally (kept with the snapshot: a takeover adds to it)."""
        with self.lock:  # a multi-page scan's readers add at once
            for model, counts in tokens.items():
                usage.add(self.usage.setdefault(part, {}), model, counts)

    def menu_event(self, partial: bool, items: list[MenuItem] | None = None, **extra) -> dict:
        """menu_data; `extra` adds fields (is_hint, pages); a multi-page scan's always say its pages."""
        if self.language_fallback:
            extra["language_fallback"] = self.language_fallback
        if self.incomplete and not partial:
            extra["incomplete"] = True
        if self.job.page_objects and "pages" not in extra:
            extra["pages"] = self.pages
        return payloads.menu_data(self.job_id, [i.model_dump() for i in (self.items if items is None else items)],
                                  is_partial=partial, engine=self.engine_name, used_cache=self.used_cache,
                                  language=self.language_used, **extra)

    def snapshot(self, status: str) -> dict:
        """The job fields every commit of the run stores: the snapshot a viewer or a takeover reads."""
        return {F.JOB_ID: self.job_id, F.STATUS: status, F.ITEMS: self.public_items(), F.TIMINGS: self.timings,
                F.USED_CACHE: self.used_cache, F.UNKNOWN_ITEMS_COUNT: self.unknown, F.ENGINE: self.engine_name,
                F.PROGRESS: self.progress(status), F.ASSET_ID: self.asset_id, F.LANGUAGE_USED: self.language_used,
                F.LANGUAGE_FALLBACK: self.language_fallback, F.ITEMS_PARTIAL: False, F.ITEMS_HINT: False,
                F.USED_FALLBACK: self.used_fallback, F.DEADLINE_AT: self.deadline_at, F.INCOMPLETE: self.incomplete,
                F.USAGE: self.usage, F.PAGES: self.pages, F.SOURCE_LANGUAGE: self.source_language}

    def progress(self, status: str) -> int:
        """The snapshot's progress: the step's share, then an equal share per image finished."""
        if status in ("completed", "failed"):
            return 100
        top = [i for i in self.items if i.is_top3]
        if not top:
            return payloads.PROGRESS["analyzing"]
        drawn = sum(i.image_status in ("ready", "failed") for i in top)
        span = payloads.PROGRESS["finalizing"] - payloads.PROGRESS["generating_images"]
        return payloads.PROGRESS["generating_images"] + span * drawn // len(top)

    def summary(self) -> dict:
        created = self.job.created_at
        elapsed = int((clock.now() - created).total_seconds() * 1000) if isinstance(created, dt.datetime) else 0
        pages = {"pages": self.pages} if self.job.page_objects else {}
        return {"elapsed_ms": elapsed, "items_count": len(self.items), "used_cache": self.used_cache,
                "used_fallback": self.used_fallback, "unknown_items_count": self.unknown,
                "incomplete": self.incomplete, **usage.summary(self.usage), **self.timings, **pages}

    def final_fields(self, status: str) -> dict:
        """Stored with done: the lease ends, and the timings stay readable at the document's top level."""
        return {F.STATUS: status, F.LEASE_OWNER: None, F.LEASE_EXPIRES_AT: None, F.ENGINE: self.engine_name,
                **self.timings}
