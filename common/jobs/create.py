"""A new job: its document and first event in one write, made once however often the request comes.

A repeat converges on the first job: through the caller's Idempotency-Key record, or through the
Worker's key, from which the job's id and token are derived (jobs/idempotency.py).
"""
from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from common.core import clock, tracing
from common.core.errors import BadRequest, NotFound
from common.gcp import db
from common.jobs import idempotency, ids, pages, payloads, store
from common.jobs.idempotency import EdgeKey
from common.jobs.ids import token_hash
from common.jobs.model import Job

if TYPE_CHECKING:
    from common.profiles.pinned import Pinned


@dataclass(frozen=True)
class NewJob:
    """What a caller asks for: the upload, the reader's language, who to tell, what to extract."""

    gcs_uri: str
    bucket: str
    object_name: str
    language: str                  # a tag, or (v1) the caller's own words when they name no known language
    language_requested: str
    language_known: bool = True
    push_token: str | None = None
    callback_url: str | None = None
    profile: str = "menu"
    api_version: str = "v1"
    page_objects: tuple[str, ...] = ()  # a multi-page scan's uploads (v2 gcs_uris), in order; () for one photo

    def fingerprint(self) -> str:
        """What an Idempotency-Key is bound to, as records since the first release hash it. A menu
        leaves `profile` out, so a key first used before profiles existed still matches its retry."""
        body = {"gcs_uri": self.gcs_uri, "push_token": self.push_token, "callback_url": self.callback_url,
                "user_preferences": {"language": self.language, "language_requested": self.language_requested,
                                     "language_known": self.language_known},
                "profile": self.profile, "api": self.api_version}
        if body["profile"] == "menu":
            del body["profile"]
        if self.page_objects:  # absent for one photo: keys recorded before multi-page scans still match
            body["pages"] = list(self.page_objects)
        return json.dumps(body, sort_keys=True)


class Budget(Protocol):
    def spend(self) -> None: ...
    def refund(self) -> None: ...


@dataclass
class Created:
    job: Job
    access_token: str | None  # None only for a replay whose sealed token cannot be opened
    created: bool


class _Replay(Exception):
    """The job another request with the same key (an Idempotency-Key, or the Worker's own) made first."""

    def __init__(self, made: Created):
        super().__init__(made.job.job_id)
        self.made = made


def create(new: NewJob, *, caller_key: str = "internal", owner: str | None = None, idempotency_key: str | None = None,
           budget: Budget | None = None, profile: "Pinned | None" = None, edge: EdgeKey | None = None,
           caller: str | None = None) -> Created:
    """Create the job with its first event (the job document is its snapshot), or find the one a
    repeat of this request made.

    A job created through /api/v1 may be read by its id alone (while V1_ID_ONLY_READS is on); one
    created through /api/v2 needs its token on either version. With an Idempotency-Key, a repeat of
    the same request by the same caller returns the first job (and its access token); concurrent
    repeats race on one record and all get the winner's job. Without one, the Worker's key names
    the job, so the Worker's own repeat finds it. `caller` (Caller.wide_key) is stored as a
    pseudonym: dish knowledge counts how many different callers taught a thing.
    """
    edge = edge if idempotency_key is None else None  # a client's own key wins: its record answers repeats
    if edge is not None and edge.repeat:
        # The Worker's repeat: when the first send made the job, answer with it before spending anything.
        try:
            return _repeat_of(edge, new)
        except NotFound:
            pass
    key = idempotency.Key.of(caller_key, idempotency_key, new.fingerprint()) if idempotency_key is not None else None
    stale = None
    if key is not None:
        found, stale = key.lookup()
        if found:
            return _replayed(*found)
    if budget is not None:
        budget.spend()  # counted for a job about to exist, never for a replay; refunded if it is not made
    try:
        return _make(new, key, stale, owner, profile, edge, ids.pseudonym(caller) if caller else None)
    except _Replay as replay:
        if budget is not None:
            budget.refund()
        return replay.made
    except BaseException:
        if budget is not None:
            budget.refund()
        raise


def _make(new: NewJob, key, stale, owner: str | None, profile: "Pinned | None", edge: EdgeKey | None,
          caller: str | None) -> Created:
    from google.api_core import exceptions as gexc

    job_id, access_token = (edge.job_id, edge.access_token) if edge else (uuid.uuid4().hex, secrets.token_urlsafe(32))
    now = clock.now()
    trace = tracing.current()
    job = Job(job_id=job_id, status="pending", gcs_uri=new.gcs_uri, bucket=new.bucket, object_name=new.object_name,
              page_objects=list(new.page_objects),
              language=new.language, language_requested=new.language_requested, language_known=new.language_known,
              push_token=new.push_token, callback_url=new.callback_url, access_token_hash=token_hash(access_token),
              owner=owner, caller=caller, api_version=new.api_version, id_only_reads=new.api_version == "v1",
              asset_id=uuid.uuid4().hex,
              # The profile as it is now, copied: editing it later changes nothing for this job.
              profile=profile.as_job_field() if profile else None,
              # The trace the job's creation belongs to: runs, streams and notifications join it.
              traceparent=trace.traceparent if trace else None,
              progress=payloads.PROGRESS["uploading"], last_seq=1, created_at=now, updated_at=now,
              expire_at=db.expiry())
    first = [pages.Event(1, "status", payloads.status("uploading", "Photo received; waiting for a reader", job_id))]
    # The first page is the job's `head` (jobs/pages.py): one document write for the job and its event.
    job.head = job.tail = pages.encode_page(first)
    batch = db.client().batch()
    batch.create(store.ref(job_id), _creation_fields(job))
    if key is not None:
        record = key.record(job_id, access_token, now)
        if stale is not None:
            batch.update(key.ref, record, option=db.client().write_option(last_update_time=stale.update_time))
        else:
            batch.create(key.ref, record)
    try:
        batch.commit(**db.fast_write())
    except (gexc.AlreadyExists, gexc.FailedPrecondition):
        if edge is not None:
            # The Worker sent this request again: its first send made the job.
            raise _Replay(_repeat_of(edge, new)) from None
        if key is None:
            raise
        # A concurrent request with the same key won the race: answer with its job (raising after
        # it, so the budget the caller spent for a job of its own is given back).
        found, _ = key.lookup()
        if not found:
            raise
        raise _Replay(_replayed(*found)) from None
    return Created(job, access_token, True)


def _creation_fields(job: Job) -> dict:
    """The fields a new job document starts with (the rest appear as the run writes them)."""
    return job.to_fields(*_AT_CREATION)


_AT_CREATION = ((
    "job_id", "status", "gcs_uri", "bucket", "object_name", "page_objects", "language", "language_requested",
    "language_known", "push_token", "callback_url", "access_token_hash", "owner", "caller", "api_version",
    "id_only_reads", "asset_id",
    "profile", "traceparent", "progress", "last_seq", "items", "attempts", "lease_owner", "lease_expires_at",
    "created_at", "updated_at", "expire_at", "head", "tail"))


def _repeat_of(edge: EdgeKey, new: NewJob) -> Created:
    job = store.get(edge.job_id)
    if job.gcs_uri != new.gcs_uri:  # a key is random and used once: never, unless forged
        raise BadRequest("X-Edge-Request-Key names another request's job", code="INVALID_REQUEST")
    return Created(job, edge.access_token, False)


def _replayed(job_id: str, access_token: str | None) -> Created:
    return Created(store.get(job_id), access_token, False)


def discard(job: Job) -> None:
    """Remove a job that could not be queued, and its idempotency record, so the caller's retry starts clean."""
    from google.cloud import firestore

    client = db.client()
    batch = client.batch()
    batch.delete(store.ref(job.job_id))
    for ref in client.collection(idempotency.IDEMPOTENCY).where(
            filter=firestore.FieldFilter("job_id", "==", job.job_id)).limit(1).stream(**db.fast()):
        batch.delete(ref.reference)
    batch.commit(**db.fast_write())
