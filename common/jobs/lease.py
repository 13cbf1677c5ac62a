"""The lease: every delivery of a job (Cloud Task, finalize event, watchdog) converges on one run,
and a run that died is taken over when its lease ends. Claim, renewal, release and the keeper live here.

The lease's end is the later of the job document's `lease_expires_at` (moved by every commit of
events) and a renewal by the same owner in scan_leases (written while a long model call is in flight,
so viewers listening to the job document pay no reads for it).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, Iterator, Literal, Sequence

from common.core import clock, faults, logs
from common.core.errors import LeaseLost
from common.gcp import db
from common.jobs import pages, store
from common.jobs.eventlog import EventLog, opening_page
from common.jobs.fence import Fence
from common.jobs.model import F, Job

log = logs.get_logger(__name__)
LEASES = "scan_leases"
CLAIM_ROUNDS = 5  # reads of a job whose document keeps changing under us before the claim answers busy


class Lease:
    """A run's hold on one job: renewed while it works, released when it gives the job back."""

    def __init__(self, fence: Fence, lease_s: float, now: clock.Clock = clock.now):
        self.fence, self.lease_s, self._now = fence, lease_s, now
        self.job_id, self.owner = fence.job_id, fence.owner

    def renew(self) -> None:
        """Extend the lease; raises LeaseLost once another run owns the job.

        Written only while the job still names this run as its owner, and on the condition that the
        lease document is unchanged since that check: a run that lost the job can neither renew nor
        overwrite the new owner's renewal (a claim also ignores a renewal naming anyone but the owner).
        """
        from google.api_core import exceptions as gexc

        if self.fence.lost or self.fence.closed:
            raise LeaseLost(self.job_id)
        ref = db.client().collection(LEASES).document(self.job_id)
        renewal = ref.get(**db.fast())
        owner = store.lease_owner(self.job_id)
        if owner != self.owner:
            self.fence.lost = True
            raise LeaseLost(f"{self.job_id}: now owned by {owner or 'no run'}")
        record = {"owner": self.owner, "expires_at": self._now() + dt.timedelta(seconds=self.lease_s),
                  "expire_at": db.expiry()}
        try:
            if renewal.exists:
                ref.update(record, option=db.client().write_option(last_update_time=renewal.update_time))
            else:
                ref.create(record)
        except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.Conflict):
            pass  # another renewal (a takeover's) came between: the next tick checks ownership again

    def release(self, fields: dict) -> None:
        """Give the job back (status pending, no event), e.g. while its upload is missing."""
        fence = self.fence
        with fence.lock:
            if fence.closed:
                raise RuntimeError(f"job {self.job_id} is finished; it cannot be released")
            commit_id = f"{self.owner}:release:{uuid.uuid4().hex[:12]}"  # tells this release from any commit
            update = {**fields, F.LEASE_OWNER: None, F.LEASE_EXPIRES_AT: None, F.UPDATED_AT: self._now(),
                      F.COMMIT_ID: commit_id}

            def batch():
                b = db.client().batch()
                b.update(fence.ref, update, option=fence.option())
                return b

            fence.commit(batch, job_write_index=0,
                         landed=lambda job: job.commit_id == commit_id and job.lease_owner is None)

    @contextlib.contextmanager
    def kept(self, every_s: float) -> Iterator["Lease"]:
        """Renew in the background while the body runs (a long model call writes no events)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                try:
                    self.renew()
                except LeaseLost:
                    log.warning("lease lost while running")
                    return
                except Exception as exc:  # noqa: BLE001 - a failed renewal is retried on the next tick
                    log.warning("lease renewal failed", error=str(exc)[:200])

        # In this context: its renewals log with the job's id and show in the run's trace.
        thread = threading.Thread(target=contextvars.copy_context().run, args=(loop,), name="lease-keeper",
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)


@dataclass
class Claim:
    outcome: Literal["claimed", "finished", "busy", "missing"]
    job: Job | None = None
    lease: Lease | None = None
    log: EventLog | None = None


def claim(job_id: str, owner: str, lease_s: float, opening: Sequence[tuple[str, dict]] = (),
          now: clock.Clock = clock.now) -> Claim:
    """Take the job's lease unless it is finished or another live run holds it.

    Optimistic: read the job, then write the lease on the condition that the document is unchanged
    since that read. Two deliveries arriving together (a Cloud Task and a finalize event, typically)
    do not contend in a transaction, whose retries back off for a second or more: the loser's write
    fails at once, it reads again and sees the lease.

    `opening` events are stored in the claim's own commit when the job holds only its creation
    event: the first status then costs no commit of its own, and viewers no read for the lease.
    """
    from google.api_core import exceptions as gexc

    for _ in range(CLAIM_ROUNDS):
        read = store.read(job_id)
        if read is None:
            return Claim("missing")
        job = read.job
        if job.finished:
            return Claim("finished", job)
        if job.lease_owner == owner:
            # Our own claim landed though its answer was lost (the client retried a commit that had
            # been applied): the job is ours, fenced at this read.
            return _held(job, owner, read.update_time, lease_s, now)
        t = now()
        if job.lease_owner and alive(job, t, lambda: renewal(job_id)):
            return Claim("busy", job)
        # A lease left behind means the previous run died mid-job: that counts as a failure.
        job.failures += 1 if job.lease_owner else 0
        job.status, job.lease_owner, job.attempts, job.updated_at = "running", owner, job.attempts + 1, t
        job.lease_expires_at = t + dt.timedelta(seconds=lease_s)
        fields = job.to_fields(F.STATUS, F.LEASE_OWNER, F.LEASE_EXPIRES_AT, F.ATTEMPTS, F.FAILURES, F.UPDATED_AT)
        batch = db.client().batch()
        if opening and job.last_seq <= 1:
            evs = opening_page(job, opening)
            batch.create(pages.page_ref(job_id, evs[0].seq), pages.page_record(job_id, evs))
            job.last_seq, job.tail = evs[-1].seq, pages.encode_page(evs)
            job.progress = max([job.progress] + [int(e.data.get("progress") or 0) for e in evs if e.type == "status"])
            fields.update(job.to_fields(F.LAST_SEQ, F.TAIL, F.PROGRESS))
        batch.update(store.ref(job_id), fields, option=db.client().write_option(last_update_time=read.update_time))
        try:
            written = batch.commit(**db.fast())[-1]
        except (gexc.FailedPrecondition, gexc.Aborted, gexc.AlreadyExists, *faults.store_unsure()):
            # The job changed since our read (another claim, a renewal, an event), or the store did
            # not say whether our claim landed: look again (a claim that landed is recognised above).
            continue
        # The claim's write result is the fence for our appends: no read needed.
        return _held(job, owner, written.update_time, lease_s, now)
    return Claim("busy")


def _held(job: Job, owner: str, update_time, lease_s: float, now: clock.Clock) -> Claim:
    fence = Fence(job.job_id, owner, update_time)
    log_ = EventLog(fence, job.last_seq, lease_s, pages.unpaged(job))
    return Claim("claimed", job, Lease(fence, lease_s, now), log_)


def renewal(job_id: str) -> dict | None:
    """The job's renewal record (owner, expires_at), or None."""
    snap = db.client().collection(LEASES).document(job_id).get(**db.fast())
    return snap.to_dict() if snap.exists else None


def alive(job: Job, now: dt.datetime, read_renewal: Callable[[], dict | None]) -> bool:
    """The owner's lease runs until the later of the job's own expiry and a renewal by that owner
    (read only for a lease past its first term)."""
    if job.lease_expires_at and job.lease_expires_at > now:
        return True
    renewed = read_renewal()
    return bool(renewed and renewed.get("owner") == job.lease_owner and renewed.get("expires_at") > now)
