"""scan_jobs: the one reader and writer of job documents, apart from a run's fenced commits
(jobs/fence.py) which go through `ref`.

Every read returns a typed Job (jobs/model.py); every query is here, with the index it needs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from common.core import clock
from common.gcp import db
from common.jobs.ids import job_not_found, validate_job_id
from common.jobs.model import F, Job

JOBS = "scan_jobs"


@dataclass(frozen=True)
class Read:
    """A job as read, with the update time a fenced write conditions on."""

    job: Job
    update_time: Any


def ref(job_id: str):
    return db.client().collection(JOBS).document(job_id)


def read(job_id: str) -> Read | None:
    """The job and its update time, or None when there is no such job."""
    snap = ref(job_id).get(**db.fast())
    return Read(Job.from_doc(snap.to_dict()), snap.update_time) if snap.exists else None


def get(job_id: str) -> Job:
    """The job; the same 404 for an id that is malformed or unknown."""
    snap = ref(validate_job_id(job_id)).get(**db.fast())
    if not snap.exists:
        raise job_not_found(job_id)
    return Job.from_doc(snap.to_dict())


def head(job_id: str) -> str | None:
    """The job's first page (its creation event), stored with it."""
    snap = ref(job_id).get(field_paths=[F.HEAD], **db.fast())
    return (snap.to_dict() or {}).get(F.HEAD) if snap.exists else None


def lease_owner(job_id: str) -> str | None:
    return (ref(job_id).get(field_paths=[F.LEASE_OWNER]).to_dict() or {}).get(F.LEASE_OWNER)


def update(job_id: str, fields: dict) -> None:
    """A plain update of fields no run fences on (notification state, notify_due)."""
    ref(job_id).update(fields, **db.fast())


def update_if_unchanged(job_id: str, fields: dict, update_time) -> bool:
    """Update unless the job changed since `update_time`; False when it did."""
    from google.api_core import exceptions as gexc

    try:
        ref(job_id).update(fields, option=db.client().write_option(last_update_time=update_time), **db.fast())
        return True
    except (gexc.FailedPrecondition, gexc.Aborted):
        return False


def find_pending_by_object(bucket: str, object_name: str, uploaded_at: dt.datetime | None,
                           limit: int = 5) -> list[str]:
    """Jobs that were created before their upload finished and are still waiting (the finalize trigger's way in).

    A job created after its upload was already there is the Cloud Task's: it finds the photo at once.
    Leaving it out means the finalize event's query usually matches nothing (one read), instead of a
    second delivery racing the task for the same job. A job the task released while its upload was
    still arriving is back to "pending" and older than the upload, so the finalize event runs it.
    A multi-page job waits for any of its pages: one query with both ways in (OR), so an upload with
    no job still costs one read. (Firestore indexes: object_name, status, created_at; page_objects,
    status, created_at: one per disjunction.)
    """
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import Or

    q = (db.client().collection(JOBS)
         .where(filter=Or([firestore.FieldFilter(F.OBJECT_NAME, "==", object_name),
                           firestore.FieldFilter(F.PAGE_OBJECTS, "array_contains", object_name)]))
         .where(filter=firestore.FieldFilter(F.STATUS, "==", "pending")))
    if uploaded_at is not None:
        q = q.where(filter=firestore.FieldFilter(F.CREATED_AT, "<", uploaded_at))
    return [s.id for s in q.select([F.BUCKET]).limit(limit).stream(**db.fast()) if s.get(F.BUCKET) == bucket]


def find_notify_due(older_than_s: float = 30, limit: int = 100) -> list[str]:
    """Finished jobs whose notifications are not queued yet, done at least older_than_s ago (a run
    queues its own right after done); a single-field query."""
    from google.cloud import firestore

    q = db.client().collection(JOBS).where(filter=firestore.FieldFilter(F.NOTIFY_DUE, "==", True))
    cutoff = clock.now() - dt.timedelta(seconds=older_than_s)
    return [s.id for s in q.select([F.UPDATED_AT]).limit(limit).stream(**db.fast())
            if (s.get(F.UPDATED_AT) or cutoff) <= cutoff]


def find_stale(statuses: tuple[str, ...], field: str, older_than_s: float, limit: int = 100) -> list[str]:
    """Jobs in one of these statuses whose `field` (created_at, deadline_at) is more than older_than_s
    in the past: what the watchdog looks at (Firestore indexes: status with each field)."""
    from google.cloud import firestore

    cutoff = clock.now() - dt.timedelta(seconds=older_than_s)
    q = (db.client().collection(JOBS)
         .where(filter=firestore.FieldFilter(F.STATUS, "in", list(statuses)))
         .where(filter=firestore.FieldFilter(field, "<", cutoff)))
    return [s.id for s in q.select([F.STATUS]).limit(limit).stream(**db.fast())]
