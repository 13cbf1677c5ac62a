"""Scan jobs: creation (with Idempotency-Key), the snapshot, and the queries that find jobs to run.

The claim that makes deliveries converge on one run is claims.py; ids and gcs_uris are job_ids.py."""
from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common.api import auth, idempotency
from common.core import tracing
from common.gcp import db
from common.jobs import events
from common.api.auth import Caller, JobAccess
from common.core.errors import AppError, BadRequest, NotFound
from common.jobs.ids import job_not_found, validate_job_id
from common.api.schemas import CreateJobRequest

if TYPE_CHECKING:
    from common.api.budget import DailyBudget
    from common.profiles.catalog import Pinned

TERMINAL = ("completed", "failed")


class _Replay(Exception):
    """The job another request with the same key (an Idempotency-Key, or the Worker's own) made first."""

    def __init__(self, job: dict):
        super().__init__(job["job_id"])
        self.job = job


def create(req: CreateJobRequest, bucket: str, object_name: str, idempotency_key: str | None = None,
           caller: Caller | None = None, version: str = "v1",
           budget: "DailyBudget | None" = None, profile: "Pinned | None" = None,
           edge: idempotency.EdgeKey | None = None) -> tuple[dict, bool]:
    """Create the job with its first event; returns (job, created). The job document is the snapshot.

    A job created through /api/v1 may be read by its id alone (while V1_ID_ONLY_READS is on); one
    created through /api/v2 needs its token on either version.

    With an Idempotency-Key, a repeat of the same request by the same caller returns the first job
    (and its access token); concurrent repeats race on one record and all get the winner's job.
    Without one, the Worker's key (`edge`) names the job, so the Worker's own repeat finds it.
    """
    client = db.client()
    caller = caller or Caller("internal")
    edge = edge if idempotency_key is None else None  # a client's own key wins: its record answers repeats
    if edge is not None and edge.repeat:
        # The Worker's repeat: when the first send made the job, answer with it before spending anything.
        try:
            return _repeat_of(edge, req), False
        except NotFound:
            pass
    key = idempotency.Key.of(caller.key, idempotency_key,
                             json.dumps(_fingerprint(req, version), sort_keys=True)) \
        if idempotency_key is not None else None
    stale = None
    if key is not None:
        found, stale = key.lookup()
        if found:
            return _replayed(*found), False
    if budget is not None:
        budget.spend()  # counted for a job about to exist, never for a replay; refunded if it is not made
    try:
        return _make(client, req, bucket, object_name, key, stale, caller, version, profile, edge), True
    except _Replay as replay:
        if budget is not None:
            budget.refund()
        return replay.job, False
    except BaseException:
        if budget is not None:
            budget.refund()
        raise


def _fingerprint(req: CreateJobRequest, version: str) -> dict:
    """What an Idempotency-Key is bound to. A menu leaves `profile` out, so a key first used before
    profiles existed still matches its retry."""
    body = {**req.as_dict(), "api": version}
    if body.get("profile") == "menu":
        del body["profile"]
    return body


def _make(client, req: CreateJobRequest, bucket: str, object_name: str, key, stale, caller: Caller,
          version: str, profile: "Pinned | None" = None, edge: idempotency.EdgeKey | None = None) -> dict:
    job_id, access_token = (edge.job_id, edge.access_token) if edge else (uuid.uuid4().hex, secrets.token_urlsafe(32))
    now = db.now()
    job = {
        "job_id": job_id,
        "status": "pending",
        "gcs_uri": req.gcs_uri,
        "bucket": bucket,
        "object_name": object_name,
        # What the engines read: a tag, or (v1) the caller's text when it names no language we know.
        "language": req.user_preferences.language,
        "language_requested": req.user_preferences.language_requested,
        "language_known": req.user_preferences.language_known,
        "push_token": req.push_token,
        "callback_url": req.callback_url,
        "access_token_hash": auth.token_hash(access_token),
        "owner": caller.subject,
        "api_version": version,
        "id_only_reads": version == "v1",
        # Generated images live under this id, never the job's: an image URL must not open the job.
        "asset_id": uuid.uuid4().hex,
        # The profile as it is now, copied: editing it later changes nothing for this job.
        "profile": profile.as_job_field() if profile else None,
        # The trace the job's creation belongs to: runs, streams and notifications join it.
        "traceparent": trace.traceparent if (trace := tracing.current()) else None,
        "progress": events.PROGRESS["uploading"],
        "last_seq": 1,
        "items": [],
        "attempts": 0,
        "lease_owner": None,
        "lease_expires_at": None,
        "created_at": now,
        "updated_at": now,
        "expire_at": db.expiry(),
    }
    first = [events.Event(1, "status", events.status("uploading", "Photo received; waiting for a reader", job_id))]
    # The first page is the job's `head` (events.py): one document write for the job and its event.
    job["head"] = job["tail"] = events.encode_page(first)
    batch = client.batch()
    batch.create(client.collection(db.JOBS).document(job_id), job)
    if key is not None:
        record = key.record(job_id, access_token, now)
        if stale is not None:
            batch.update(key.ref, record, option=client.write_option(last_update_time=stale.update_time))
        else:
            batch.create(key.ref, record)
    try:
        batch.commit(**db.fast_write())
    except (gexc.AlreadyExists, gexc.FailedPrecondition):
        if edge is not None:
            # The Worker sent this request again: its first send made the job.
            raise _Replay(_repeat_of(edge, req)) from None
        if key is None:
            raise
        # A concurrent request with the same key won the race: answer with its job (raising after
        # it, so the budget the caller spent for a job of its own is given back).
        found, _ = key.lookup()
        if not found:
            raise
        raise _Replay(_replayed(*found)) from None
    job["access_token"] = access_token
    return job


def _repeat_of(edge: idempotency.EdgeKey, req: CreateJobRequest) -> dict:
    job = get(edge.job_id)
    if job.get("gcs_uri") != req.gcs_uri:  # a key is random and used once: never, unless forged
        raise BadRequest(f"{idempotency.EDGE_HEADER} names another request's job", code="INVALID_REQUEST")
    job["access_token"] = edge.access_token
    return job


def _replayed(job_id: str, access_token: str | None) -> dict:
    job = get(job_id)
    if access_token:
        job["access_token"] = access_token
    return job


def get(job_id: str) -> dict:
    snap = db.client().collection(db.JOBS).document(validate_job_id(job_id)).get(**db.fast())
    if not snap.exists:
        raise job_not_found(job_id)
    return snap.to_dict()


def snapshot(job_id: str, access: JobAccess) -> dict:
    """The public snapshot: {job_id, status, items, created_at, updated_at, ...}, from one read.

    A job the credential does not open is reported exactly as a job that does not exist.
    """
    job = get(job_id)
    access.check(job_id, job.get("access_token_hash"), job.get("owner"), job.get("id_only_reads", True))
    tracing.link_job(job)
    view = public_view(job)
    if job.get("callback_url"):  # only a v2 job has one, and only its token holder reads this
        hook = (job.get("notify") or {}).get("webhook") or {}
        view["callback"] = {"url": job["callback_url"], "state": hook.get("state", "pending"),
                            "message_id": hook.get("msg_id"),
                            "attempts": [{"attempt": a.get("attempt"), "at": db.iso(a.get("at")),
                                          "status_code": a.get("status_code"), "error": a.get("error")}
                                         for a in hook.get("attempts") or []]}
    if job.get("push_token"):
        view["push"] = {"state": ((job.get("notify") or {}).get("push") or {}).get("state", "pending")}
    return view


def public_view(job: dict) -> dict:
    """What a reader of the job may see of it (the snapshot; a webhook's payload)."""
    job_id = job["job_id"]
    return {
        "job_id": job_id,
        "session_id": job_id,
        "status": job["status"],  # the app's four: pending, running, completed, failed
        "progress": 100 if job["status"] in TERMINAL else int(job.get("progress") or 0),
        "items": job.get("items") or [],
        # True while the items are the streamed part of a menu still being read (menu_data is_partial).
        "is_partial": bool(job.get("items_partial")) and job["status"] not in TERMINAL,
        "created_at": db.iso(job["created_at"]),
        "updated_at": db.iso(job["updated_at"]),
        "last_event_id": job.get("last_seq", 0),
        "language": job.get("language_used") or job.get("language"),
        "language_fallback": job.get("language_fallback"),
        "error": job.get("error"),
        "summary": job.get("summary"),
        **profile_fields(job),
    }


def result_document(job_id: str, access: JobAccess, fmt: str | None) -> tuple[str, str]:
    """(format, text) of a finished job's result: a profile's data, or a menu's items; 409 until done."""
    from common.profiles import formats

    if fmt is not None and fmt not in formats.MEDIA_TYPES:
        raise BadRequest(f"format: must be one of {', '.join(formats.MEDIA_TYPES)}", code="INVALID_FORMAT")
    job = get(job_id)
    access.check(job_id, job.get("access_token_hash"), job.get("owner"), job.get("id_only_reads", True))
    tracing.link_job(job)
    if job["status"] == "failed":
        raise AppError("the job failed: it has no result (its error is in the snapshot)", code="JOB_FAILED", status=409)
    if job["status"] != "completed":
        raise AppError(f"the job is {job['status']}: a result exists once it is completed", code="RESULT_NOT_READY",
                       status=409)
    pinned = job.get("profile")
    data = json.loads(job["result_json"]) if pinned else {"items": job.get("items") or []}
    fmt = fmt or (pinned["format"] if pinned else "json")
    return fmt, formats.render(data, fmt)


def profile_fields(job: dict) -> dict:
    """A profile job's additions to its snapshot: the profile it ran with and, once done, its result."""
    pinned = job.get("profile")
    if not pinned:
        return {}  # a menu: the snapshot is exactly as before profiles existed
    out = {"profile": {"id": pinned["id"], "version": pinned["version"], "format": pinned["format"]}}
    if job.get("result_json"):
        out["result"] = {"profile": pinned["id"], "version": pinned["version"], "data": json.loads(job["result_json"])}
    return out


def find_pending_by_object(bucket: str, object_name: str, uploaded_at: dt.datetime | None,
                           limit: int = 5) -> list[str]:
    """Jobs that were created before their upload finished and are still waiting (the finalize trigger's way in).

    A job created after its upload was already there is the Cloud Task's: it finds the photo at once.
    Leaving it out means the finalize event's query usually matches nothing (one read), instead of a
    second delivery racing the task for the same job. A job the task released while its upload was
    still arriving is back to "pending" and older than the upload, so the finalize event runs it.
    (Firestore index: object_name, status, created_at.)
    """
    q = (db.client().collection(db.JOBS)
         .where(filter=firestore.FieldFilter("object_name", "==", object_name))
         .where(filter=firestore.FieldFilter("status", "==", "pending")))
    if uploaded_at is not None:
        q = q.where(filter=firestore.FieldFilter("created_at", "<", uploaded_at))
    return [s.id for s in q.select(["bucket"]).limit(limit).stream(**db.fast()) if s.get("bucket") == bucket]


def find_notify_due(older_than_s: float = 30, limit: int = 100) -> list[str]:
    """Finished jobs whose notifications are not queued yet, done at least older_than_s ago (a run
    queues its own right after done); a single-field query."""
    q = db.client().collection(db.JOBS).where(filter=firestore.FieldFilter("notify_due", "==", True))
    cutoff = db.now() - dt.timedelta(seconds=older_than_s)
    return [s.id for s in q.select(["updated_at"]).limit(limit).stream(**db.fast())
            if (s.get("updated_at") or cutoff) <= cutoff]


def find_stale(statuses: tuple[str, ...], field: str, older_than_s: float, limit: int = 100) -> list[str]:
    """Jobs in one of these statuses whose `field` (created_at, deadline_at) is more than older_than_s
    in the past: what the watchdog looks at (Firestore indexes: status with each field)."""
    cutoff = db.now() - dt.timedelta(seconds=older_than_s)
    q = (db.client().collection(db.JOBS)
         .where(filter=firestore.FieldFilter("status", "in", list(statuses)))
         .where(filter=firestore.FieldFilter(field, "<", cutoff)))
    return [s.id for s in q.select(["status"]).limit(limit).stream(**db.fast())]


def discard(job: dict) -> None:
    """Remove a job that could not be queued, and its idempotency record, so the caller's retry starts clean."""
    client = db.client()
    batch = client.batch()
    batch.delete(client.collection(db.JOBS).document(job["job_id"]))
    for ref in client.collection(db.IDEMPOTENCY).where(
            filter=firestore.FieldFilter("job_id", "==", job["job_id"])).limit(1).stream(**db.fast()):
        batch.delete(ref.reference)
    batch.commit(**db.fast_write())
