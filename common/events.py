"""The per-job event log: gapless seq, appended only by the lease holder, read back by id."""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as gexc

from common import db
from common.errors import LeaseLost

STEPS = ("uploading", "analyzing", "generating_images", "finalizing")
TYPES = ("status", "menu_data", "image_update", "error", "done")


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    data: dict

    def to_dict(self) -> dict:
        return {"id": self.seq, "event": self.type, "data": self.data}


def event_doc_id(job_id: str, seq: int) -> str:
    # Zero-padded so ids also sort by seq in the console.
    return f"{job_id}:{seq:08d}"


def event_record(job_id: str, seq: int, type_: str, data: dict) -> dict:
    return {
        "job_id": job_id,
        "seq": seq,
        "type": type_,
        "data": data,
        "created_at": db.now(),
        "expire_at": db.expiry(),
    }


def read_range(job_id: str, after: int, upto: int) -> list[Event]:
    """Events with after < seq <= upto, in order, fetched by document id (no query, no index)."""
    if upto <= after:
        return []
    client = db.client()
    col = client.collection(db.EVENTS)
    out: list[Event] = []
    for start in range(after + 1, upto + 1, 100):
        refs = [col.document(event_doc_id(job_id, s)) for s in range(start, min(start + 100, upto + 1))]
        for snap in client.get_all(refs):
            if snap.exists:
                d = snap.to_dict()
                out.append(Event(d["seq"], d["type"], d["data"]))
    out.sort(key=lambda e: e.seq)
    return out


class EventLog:
    """Appends events for one job on behalf of the run holding its lease.

    Each append is one batch: create the event document and update the job document under an
    update_time precondition. A takeover by another run changes that update_time, so a run that
    lost its lease fails its next write instead of forking the sequence.
    """

    def __init__(self, job_id: str, owner: str, last_seq: int, update_time, lease_s: float):
        self.job_id = job_id
        self.owner = owner
        self.last_seq = last_seq
        self._update_time = update_time
        self._lease_s = lease_s
        self._lock = threading.Lock()
        self._client = db.client()
        self._job_ref = self._client.collection(db.JOBS).document(job_id)
        self._snap_ref = self._client.collection(db.SNAPSHOTS).document(job_id)
        self.lost = False
        self.closed = False  # set once `done` is stored: nothing may follow it

    def append(self, type_: str, data: dict, *, snapshot: dict | None = None, job_fields: dict | None = None) -> int:
        """Store one event (and optionally the new snapshot); returns its seq."""
        assert type_ in TYPES, type_
        with self._lock:
            if self.closed:
                raise RuntimeError(f"job {self.job_id}: no event may follow done")
            seq = self.last_seq + 1
            now = db.now()
            batch = self._client.batch()
            batch.create(self._client.collection(db.EVENTS).document(event_doc_id(self.job_id, seq)),
                         event_record(self.job_id, seq, type_, data))
            fields = {"last_seq": seq, "updated_at": now,
                      "lease_expires_at": _lease_end(now, self._lease_s)}
            fields.update(job_fields or {})
            batch.update(self._job_ref, fields, option=self._client.write_option(last_update_time=self._update_time))
            if snapshot is not None:
                batch.set(self._snap_ref, {**snapshot, "updated_at": now, "expire_at": db.expiry()}, merge=True)
            self._commit(batch, job_write_index=1)
            self.last_seq = seq
            self.closed = type_ == "done"
            return seq

    def renew(self) -> None:
        """Extend the lease; raises LeaseLost when another run owns the job now."""
        with self._lock:
            batch = self._client.batch()
            batch.update(self._job_ref, {"lease_expires_at": _lease_end(db.now(), self._lease_s)},
                         option=self._client.write_option(last_update_time=self._update_time))
            self._commit(batch, job_write_index=0)

    def release(self, fields: dict) -> None:
        """Give the job back (status pending) without an event, e.g. while its upload is missing."""
        with self._lock:
            if self.closed:
                raise RuntimeError(f"job {self.job_id} is finished; it cannot be released")
            batch = self._client.batch()
            batch.update(self._job_ref, {**fields, "lease_owner": None, "lease_expires_at": None, "updated_at": db.now()},
                         option=self._client.write_option(last_update_time=self._update_time))
            self._commit(batch, job_write_index=0)

    def _commit(self, batch, job_write_index: int) -> None:
        if self.lost:
            raise LeaseLost(self.job_id)
        try:
            results = batch.commit()
        except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound) as exc:
            # Someone else wrote the job (a takeover) or the seq slot: this run is no longer the owner.
            self.lost = True
            raise LeaseLost(f"{self.job_id}: {exc.message if hasattr(exc, 'message') else exc}") from None
        self._update_time = results[job_write_index].update_time


def _lease_end(now: dt.datetime, lease_s: float) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_s)


# Payload builders: the shape of each event type lives here and nowhere else.

def status(step: str, message: str) -> dict:
    assert step in STEPS, step
    return {"step": step, "message": message}


def menu_data(session_id: str, items: list[dict], **extra: Any) -> dict:
    return {"session_id": session_id, "items": items, **extra}


def image_update(session_id: str, item_id: str, image_status: str, image_url: str | None) -> dict:
    return {"session_id": session_id, "item_id": item_id, "image_status": image_status, "image_url": image_url}


def error(code: str, message: str, recoverable: bool) -> dict:
    return {"code": code, "message": message, "recoverable": recoverable}


def done(status_: str, session_id: str, summary: dict, **extra: Any) -> dict:
    return {"status": status_, "session_id": session_id, "summary": summary, **extra}


