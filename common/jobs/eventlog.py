"""The per-job event log: a gapless seq, appended only by the run holding the job's lease.

Each append is one fenced commit (jobs/fence.py): create the page and update the job document
(last_seq, the same events as `tail` for listeners, the lease's end, and the snapshot fields the
caller passes). Storage words (head, tail, page, unpaged) are defined in jobs/pages.py.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from common.core import clock
from common.gcp import db
from common.jobs import pages, payloads
from common.jobs.fence import Fence
from common.jobs.model import F, Job
from common.jobs.pages import Event


UNPAGED_MAX_BYTES = 192 * 1024  # the most of posted events the job document's tail carries


class EventLog:
    """Appends events for one job on behalf of the run holding its lease."""

    def __init__(self, fence: Fence, last_seq: int, lease_s: float, unpaged: Iterable[Event] = ()):
        self.fence = fence
        self.job_id = fence.job_id
        self.last_seq = last_seq
        # Events stored by post_many() in the job document alone (a dead run's included): the next
        # commit's page starts with them.
        self._unpaged: list[Event] = list(unpaged)
        self._lease_s = lease_s

    @property
    def closed(self) -> bool:
        return self.fence.closed

    def append(self, type_: str, data: dict, *, job_fields: dict | None = None) -> int:
        """Store one event; returns its seq."""
        return self.append_many([(type_, data)], job_fields=job_fields)

    def append_many(self, pairs: Iterable[tuple[str, dict]], *, job_fields: dict | None = None) -> int:
        """Store events that are ready together as one page in one commit; returns the last seq."""
        with self.fence.lock:
            return self._page([*self._unpaged, *self._new_events(pairs)], job_fields)

    def _page(self, evs: list[Event], job_fields: dict | None) -> int:
        """Write evs (the unpaged ones first) as one page, with the job's fields; the fence's lock is held."""
        fence = self.fence
        fields = {**self._position(evs), F.UNPAGED_FROM: None, **(job_fields or {})}
        page_ref, page = pages.page_ref(self.job_id, evs[0].seq), pages.page_record(self.job_id, evs)

        def batch():
            b = db.client().batch()
            b.create(page_ref, page)
            b.update(fence.ref, fields, option=fence.option())
            return b

        # Ours only while the job still names us (done's commit ends the lease): a takeover after
        # an unreported commit leaves our commit id on the job, but not our lease.
        owner_after = None if evs[-1].type == "done" else fence.owner
        fence.commit(batch, job_write_index=1, landed=self._landed(fields[F.COMMIT_ID], owner_after),
                     seq=self.last_seq)
        self.last_seq = evs[-1].seq
        fence.closed = evs[-1].type == "done"
        self._unpaged = []
        return self.last_seq

    def post_many(self, pairs: Iterable[tuple[str, dict]], *, job_fields: dict | None = None) -> int:
        """Store events in the job document alone: one write instead of two, for events soon
        superseded (partial menus). Nothing is lost: the job's `tail` holds every event not yet on a
        page, viewers take events from the tail, and the next commit (this run's, or a takeover's:
        claims read `unpaged_from`) writes them on its page. Returns the last event's seq."""
        fence = self.fence
        with fence.lock:
            evs = [*self._unpaged, *self._new_events(pairs)]
            fields = {**self._position(evs), F.UNPAGED_FROM: evs[0].seq, **(job_fields or {})}
            if len(fields[F.TAIL].encode()) > UNPAGED_MAX_BYTES:
                # The tail is written again with every post: past this, page it (one write more) so the
                # job document stays far from Firestore's 1 MiB (a long menu of many pages posts often).
                return self._page(evs, job_fields)

            def batch():
                b = db.client().batch()
                b.update(fence.ref, fields, option=fence.option())
                return b

            fence.commit(batch, job_write_index=0, landed=self._landed(fields[F.COMMIT_ID], fence.owner),
                         seq=self.last_seq)
            self._unpaged = evs
            self.last_seq = evs[-1].seq
            return self.last_seq

    def _position(self, evs: list[Event]) -> dict:
        """The job fields every commit of events writes: where the log is, and the lease renewed."""
        now = clock.now()
        return {F.LAST_SEQ: evs[-1].seq, F.TAIL: pages.encode_page(evs), F.UPDATED_AT: now,
                F.LEASE_EXPIRES_AT: now + dt.timedelta(seconds=self._lease_s),
                F.COMMIT_ID: f"{self.fence.owner}:{evs[-1].seq}"}  # tells our commit from any other run's

    @staticmethod
    def _landed(commit_id: str, owner: str | None):
        return lambda job: job.commit_id == commit_id and job.lease_owner == owner

    def _new_events(self, pairs: Iterable[tuple[str, dict]]) -> list[Event]:
        if self.fence.closed:
            raise RuntimeError(f"job {self.job_id}: no event may follow done")
        evs: list[Event] = []
        for i, (type_, data) in enumerate(pairs):
            assert type_ in payloads.TYPES, type_
            assert not evs or evs[-1].type != "done", "done must be the last event"
            evs.append(Event(self.last_seq + 1 + i, type_, data))
        return evs


def opening_page(job: Job, pairs: Iterable[tuple[str, dict]]) -> list[Event]:
    """Events stored by a claim's own commit, right after the job's creation event."""
    return [Event(job.last_seq + 1 + i, t, d) for i, (t, d) in enumerate(pairs)]
