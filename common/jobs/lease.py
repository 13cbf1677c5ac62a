"""The lease claim that makes every delivery of a job (Cloud Task, finalize event, watchdog) converge
on one run, and a run that died be taken over when its lease ends."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Sequence

from google.api_core import exceptions as gexc

from common.gcp import db
from common.jobs import events
from common.core.settings import get_settings
from common.jobs.store import TERMINAL


@dataclass
class Claim:
    outcome: Literal["claimed", "finished", "busy", "missing"]
    job: dict | None = None
    log: events.EventLog | None = None


CLAIM_ROUNDS = 5  # reads of a job whose document keeps changing under us before the claim answers busy


def claim(job_id: str, owner: str, opening: Sequence[tuple[str, dict]] = ()) -> Claim:
    """Take the job's lease unless it is finished or another live run holds it.

    Optimistic: read the job, then write the lease on the condition that the document is unchanged
    since that read. Two deliveries arriving together (a Cloud Task and a finalize event, typically)
    do not contend in a transaction, whose retries back off for a second or more: the loser's write
    fails at once, it reads again and sees the lease.

    `opening` events are stored in the claim's own commit when the job holds only its creation
    event: the first status then costs no commit of its own, and viewers no read for the lease.
    """
    settings = get_settings()
    client = db.client()
    ref = client.collection(db.JOBS).document(job_id)
    for _ in range(CLAIM_ROUNDS):
        snap = ref.get(**db.fast())
        if not snap.exists:
            return Claim("missing")
        job = snap.to_dict()
        if job["status"] in TERMINAL:
            return Claim("finished", job)
        if job.get("lease_owner") == owner:
            # Our own claim landed though its answer was lost (the client retried a commit that had
            # been applied): the job is ours, fenced at this read.
            return Claim("claimed", job, events.EventLog(job_id, owner, int(job["last_seq"]), snap.update_time,
                                                         settings.lease_s, events.unpaged(job)))
        now = db.now()
        if job.get("lease_owner") and _lease_alive(client, job_id, job, now):
            return Claim("busy", job)
        job.update({
            "status": "running",
            "lease_owner": owner,
            "lease_expires_at": now + dt.timedelta(seconds=settings.lease_s),
            "attempts": job.get("attempts", 0) + 1,
            # A lease left behind means the previous run died mid-job: that counts as a failure.
            "failures": job.get("failures", 0) + (1 if job.get("lease_owner") else 0),
            "updated_at": now,
        })
        fields = {k: job[k] for k in ("status", "lease_owner", "lease_expires_at", "attempts", "failures", "updated_at")}
        batch = client.batch()
        if opening and int(job["last_seq"]) <= 1:
            evs = [events.Event(int(job["last_seq"]) + 1 + i, t, d) for i, (t, d) in enumerate(opening)]
            batch.create(client.collection(db.EVENTS).document(events.page_doc_id(job_id, evs[0].seq)),
                         events.page_record(job_id, evs))
            fields.update(last_seq=evs[-1].seq, tail=events.encode_page(evs),
                          progress=max([int(job.get("progress") or 0)]
                                       + [int(e.data.get("progress") or 0) for e in evs if e.type == "status"]))
            job.update(last_seq=evs[-1].seq, tail=fields["tail"])
        batch.update(ref, fields, option=client.write_option(last_update_time=snap.update_time))
        try:
            written = batch.commit(**db.fast())[-1]
        except (gexc.FailedPrecondition, gexc.Aborted, gexc.AlreadyExists, *events.TRANSIENT):
            # The job changed since our read (another claim, a renewal, an event), or the store did
            # not say whether our claim landed: look again (a claim that landed is recognised above).
            continue
        # The claim's write result is the fence for our appends: no read needed.
        log = events.EventLog(job_id, owner, int(job["last_seq"]), written.update_time, settings.lease_s,
                              events.unpaged(job))
        return Claim("claimed", job, log)
    return Claim("busy")


def _lease_alive(client, job_id: str, job: dict, now: dt.datetime) -> bool:
    """The owner's lease runs until the later of the job's own expiry and a renewal by that owner."""
    if job.get("lease_expires_at") and job["lease_expires_at"] > now:
        return True
    renewal = client.collection(db.LEASES).document(job_id).get(**db.fast())  # only read for a lease past its first term
    return bool(renewal.exists and renewal.get("owner") == job["lease_owner"] and renewal.get("expires_at") > now)
