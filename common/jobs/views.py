"""What readers see of a job: the snapshot, and the result rendered as a document."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from common.core import clock, tracing
from common.core.errors import AppError, BadRequest
from common.jobs import store
from common.jobs.model import Job

if TYPE_CHECKING:
    from common.api.auth import JobAccess


def snapshot(job_id: str, access: "JobAccess") -> dict:
    """The public snapshot: {job_id, status, items, created_at, updated_at, ...}, from one read.

    A job the credential does not open is reported exactly as a job that does not exist.
    """
    job = _readable(job_id, access)
    view = public_view(job)
    if job.callback_url:  # only a v2 job has one, and only its token holder reads this
        hook = job.notify.get("webhook") or {}
        view["callback"] = {"url": job.callback_url, "state": hook.get("state", "pending"),
                            "message_id": hook.get("msg_id"),
                            "attempts": [{"attempt": a.get("attempt"), "at": clock.iso(a.get("at")),
                                          "status_code": a.get("status_code"), "error": a.get("error")}
                                         for a in hook.get("attempts") or []]}
    if job.push_token:
        view["push"] = {"state": (job.notify.get("push") or {}).get("state", "pending")}
    return view


def public_view(job: Job) -> dict:
    """What a reader of the job may see of it (the snapshot; a webhook's payload)."""
    return {
        "job_id": job.job_id,
        "session_id": job.job_id,
        "status": job.status,  # the app's four: pending, running, completed, failed
        "progress": 100 if job.finished else job.progress,
        "items": job.items,
        # True while the items are the streamed part of a menu still being read (menu_data is_partial).
        "is_partial": job.items_partial and not job.finished,
        "created_at": clock.iso(job.created_at),
        "updated_at": clock.iso(job.updated_at),
        "last_event_id": job.last_seq,
        "language": job.reader_language,
        "language_fallback": job.language_fallback,
        "error": job.error,
        "summary": job.summary,
        **profile_fields(job),
        **({"pages": job.pages} if job.page_objects else {}),
        **({"is_hint": True} if job.items_partial and job.items_hint else {}),  # another scan's reading, shown meanwhile  # a multi-page scan's pages, each as it stands
    }


def result_document(job_id: str, access: "JobAccess", fmt: str | None) -> tuple[str, str]:
    """(format, text) of a finished job's result: a profile's data, or a menu's items; 409 until done."""
    from common.profiles import formats

    if fmt is not None and fmt not in formats.MEDIA_TYPES:
        raise BadRequest(f"format: must be one of {', '.join(formats.MEDIA_TYPES)}", code="INVALID_FORMAT")
    job = _readable(job_id, access)
    if job.status == "failed":
        raise AppError("the job failed: it has no result (its error is in the snapshot)", code="JOB_FAILED", status=409)
    if job.status != "completed":
        raise AppError(f"the job is {job.status}: a result exists once it is completed", code="RESULT_NOT_READY",
                       status=409)
    data = json.loads(job.result_json) if job.profile else {"items": job.items}
    fmt = fmt or (job.profile["format"] if job.profile else "json")
    return fmt, formats.render(data, fmt)


def profile_fields(job: Job) -> dict:
    """A profile job's additions to its snapshot: the profile it ran with and, once done, its result."""
    pinned = job.profile
    if not pinned:
        return {}  # a menu: the snapshot is exactly as before profiles existed
    out = {"profile": {"id": pinned["id"], "version": pinned["version"], "format": pinned["format"]}}
    if job.result_json:
        out["result"] = {"profile": pinned["id"], "version": pinned["version"], "data": json.loads(job.result_json)}
    return out


def _readable(job_id: str, access: "JobAccess") -> Job:
    job = store.get(job_id)
    access.check(job_id, job.access_token_hash, job.owner, job.id_only_reads)
    tracing.link_job(job.job_id, job.traceparent)
    return job
