"""The per-job event log: gapless seq, appended only by the lease holder, stored as pages.

A page is one document holding the events of one commit (usually one event; two when a step ends
and the next begins together, such as generating_images + menu_data or the last image + done).
Each stored document is one write for the run and one read per viewer, so grouping the events that
are ready together cuts both. Pages are immutable once created.

The first page (create_job's status, seq 1) is not a document of its own: it is the job document's
`head` field, written with the job in one write. Every viewer reads the job document first anyway,
so it has seq 1 from there; pages in scan_events start at seq 2.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import db, tracing
from common.errors import LeaseLost

# Between our tries of a commit; each try is the client's own retry for up to 8 s (db.fast), so a
# run rides out about a minute of store faults before it gives the job back.
COMMIT_RETRY_DELAYS_S = (0.25, 0.5, 1.0, 2.0, 4.0)
# Store faults worth retrying: the write may or may not have been applied.
TRANSIENT = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError, gexc.TooManyRequests,
             gexc.Unknown, gexc.RetryError, gexc.Aborted, gexc.Cancelled)
STEPS = ("uploading", "analyzing", "generating_images", "finalizing")
# status.progress (0-100) at each step, which the app shows as a bar: it only ever grows.
PROGRESS = {"uploading": 5, "analyzing": 20, "reading": 40, "generating_images": 60, "finalizing": 95}
TYPES = ("status", "menu_data", "image_update", "result", "error", "done")  # result: a profile's (docs/profiles.md)


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    data: dict

    def to_dict(self) -> dict:
        return {"id": self.seq, "event": self.type, "data": self.data}


def page_doc_id(job_id: str, first_seq: int) -> str:
    # Zero-padded so ids also sort by seq in the console.
    return f"{job_id}:{first_seq:08d}"


def encode_page(evs: list[Event]) -> str:
    """Events as one JSON string: no per-field index entries, and decoding is cheap."""
    return json.dumps([[e.seq, e.type, e.data] for e in evs], ensure_ascii=False, separators=(",", ":"))


def page_record(job_id: str, evs: list[Event]) -> dict:
    """The stored page (the job document's `tail` carries the same events until the next commit)."""
    return {
        "job_id": job_id,
        "first_seq": evs[0].seq,
        "last_seq": evs[-1].seq,
        "events": encode_page(evs),
        "created_at": db.now(),
        "expire_at": db.expiry(),
    }


def decode_page(raw_events: str) -> list[Event]:
    return [Event(int(seq), type_, data) for seq, type_, data in json.loads(raw_events)]


def pages_after(job_id: str, after: int) -> firestore.Query:
    """Pages holding any event with seq > after (needs the (job_id, last_seq) composite index)."""
    return (db.client().collection(db.EVENTS)
            .where(filter=firestore.FieldFilter("job_id", "==", job_id))
            .where(filter=firestore.FieldFilter("last_seq", ">", after)))


def unpaged(job: dict) -> list[Event]:
    """The job's events stored by EventLog.post and not yet on a page (they are in its tail)."""
    first, tail = job.get("unpaged_from"), job.get("tail")
    return [ev for ev in decode_page(tail) if ev.seq >= int(first)] if first and tail else []


def read_after(job_id: str, after: int) -> list[Event]:
    """Every stored event with seq > after, in order (from 0 it also reads the job's head)."""
    out: dict[int, Event] = {}
    if after < 1:
        head = (db.client().collection(db.JOBS).document(job_id).get(**db.fast()).to_dict() or {}).get("head")
        if head:  # a job created before heads existed has its seq 1 on a page, read below
            out.update((ev.seq, ev) for ev in decode_page(head))
    for snap in pages_after(job_id, after).stream(**db.fast()):
        for ev in decode_page(snap.get("events")):
            if ev.seq > after:
                out[ev.seq] = ev
    return [out[k] for k in sorted(out)]


class EventLog:
    """Appends events for one job on behalf of the run holding its lease.

    Each append is one batch: create the page and update the job document (last_seq, the same events
    as `tail` for listeners, the lease, and the snapshot fields the caller passes) under an
    update_time precondition. A takeover by another run
    changes that update_time, so a run that lost its lease fails its next write instead of forking
    the sequence.
    """

    def __init__(self, job_id: str, owner: str, last_seq: int, update_time, lease_s: float,
                 unpaged: Iterable[Event] = ()):
        self.job_id = job_id
        self.owner = owner
        self.last_seq = last_seq
        # Events stored by post() in the job document alone (a dead run's included): the next
        # commit's page starts with them.
        self._unpaged: list[Event] = list(unpaged)
        self._update_time = update_time
        self._lease_s = lease_s
        self._lock = threading.Lock()
        self._client = db.client()
        self._job_ref = self._client.collection(db.JOBS).document(job_id)
        self.lost = False
        self.closed = False  # set once `done` is stored: nothing may follow it

    def append(self, type_: str, data: dict, *, job_fields: dict | None = None) -> int:
        """Store one event; returns its seq."""
        return self.append_many([(type_, data)], job_fields=job_fields)

    def append_many(self, pairs: Iterable[tuple[str, dict]], *, job_fields: dict | None = None) -> int:
        """Store events that are ready together as one page in one commit; returns the last seq."""
        with self._lock:
            if self.closed:
                raise RuntimeError(f"job {self.job_id}: no event may follow done")
            new = self._new_events(pairs)
            evs = [*self._unpaged, *new]
            now = db.now()
            page_ref = self._client.collection(db.EVENTS).document(page_doc_id(self.job_id, evs[0].seq))
            page = page_record(self.job_id, evs)
            commit_id = f"{self.owner}:{evs[-1].seq}"  # tells our commit from any other run's
            fields = {"last_seq": evs[-1].seq, "tail": encode_page(evs), "updated_at": now,
                      "lease_expires_at": _lease_end(now, self._lease_s), "commit_id": commit_id,
                      "unpaged_from": None}
            fields.update(job_fields or {})

            def batch():
                b = self._client.batch()
                b.create(page_ref, page)
                b.update(self._job_ref, fields, option=self._client.write_option(last_update_time=self._update_time))
                return b

            # Ours only while the job still names us (done's commit ends the lease): a takeover after
            # an unreported commit leaves our commit id on the job, but not our lease.
            owner_after = None if evs[-1].type == "done" else self.owner
            self._commit(batch, job_write_index=1, landed=lambda job: job.get("commit_id") == commit_id
                         and job.get("lease_owner") == owner_after)
            self.last_seq = evs[-1].seq
            self.closed = evs[-1].type == "done"
            self._unpaged = []
            return self.last_seq

    def post_many(self, pairs: Iterable[tuple[str, dict]], *, job_fields: dict | None = None) -> int:
        """Store events in the job document alone: one write instead of two, for events soon
        superseded (partial menus). Nothing is lost: the job's `tail` holds every event not yet on a
        page, viewers take events from the tail, and the next commit (this run's, or a takeover's:
        claims read `unpaged_from`) writes them on its page. Returns the last event's seq."""
        with self._lock:
            if self.closed:
                raise RuntimeError(f"job {self.job_id}: no event may follow done")
            evs = [*self._unpaged, *self._new_events(pairs)]
            commit_id = f"{self.owner}:{evs[-1].seq}"
            now = db.now()
            fields = {"last_seq": evs[-1].seq, "tail": encode_page(evs), "unpaged_from": evs[0].seq,
                      "updated_at": now, "lease_expires_at": _lease_end(now, self._lease_s), "commit_id": commit_id,
                      **(job_fields or {})}

            def batch():
                b = self._client.batch()
                b.update(self._job_ref, fields, option=self._client.write_option(last_update_time=self._update_time))
                return b

            self._commit(batch, job_write_index=0, landed=lambda job: job.get("commit_id") == commit_id
                         and job.get("lease_owner") == self.owner)
            self._unpaged = evs
            self.last_seq = evs[-1].seq
            return self.last_seq

    def _new_events(self, pairs: Iterable[tuple[str, dict]]) -> list[Event]:
        evs: list[Event] = []
        for i, (type_, data) in enumerate(pairs):
            assert type_ in TYPES, type_
            assert not evs or evs[-1].type != "done", "done must be the last event"
            evs.append(Event(self.last_seq + 1 + i, type_, data))
        return evs

    def renew(self) -> None:
        """Extend the lease; raises LeaseLost once another run owns the job.

        The renewal goes to the job's lease document, not the job document that viewers listen to:
        a stream waiting through a long model call then costs no reads. It is written only while
        the job still names this run as its owner, and on the condition that the lease document is
        unchanged since that check: a run that lost the job can neither renew nor overwrite the
        new owner's renewal (a claim also ignores a lease document naming anyone but the owner).
        """
        with self._lock:
            if self.lost or self.closed:
                raise LeaseLost(self.job_id)
        lease_ref = self._client.collection(db.LEASES).document(self.job_id)
        lease = lease_ref.get(**db.fast())
        owner = (self._job_ref.get(field_paths=["lease_owner"]).to_dict() or {}).get("lease_owner")
        if owner != self.owner:
            self.lost = True
            raise LeaseLost(f"{self.job_id}: now owned by {owner or 'no run'}")
        record = {"owner": self.owner, "expires_at": _lease_end(db.now(), self._lease_s), "expire_at": db.expiry()}
        try:
            if lease.exists:
                lease_ref.update(record, option=self._client.write_option(last_update_time=lease.update_time))
            else:
                lease_ref.create(record)
        except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.Conflict):
            pass  # another renewal (a takeover's) came between: the next tick checks ownership again

    def release(self, fields: dict) -> None:
        """Give the job back (status pending) without an event, e.g. while its upload is missing."""
        with self._lock:
            if self.closed:
                raise RuntimeError(f"job {self.job_id} is finished; it cannot be released")
            commit_id = f"{self.owner}:release:{self.last_seq}"
            update = {**fields, "lease_owner": None, "lease_expires_at": None, "updated_at": db.now(),
                      "commit_id": commit_id}

            def batch():
                b = self._client.batch()
                b.update(self._job_ref, update, option=self._client.write_option(last_update_time=self._update_time))
                return b

            self._commit(batch, job_write_index=0, landed=lambda job: job.get("commit_id") == commit_id
                         and job.get("lease_owner") is None)

    def _commit(self, batch: Callable[[], object], job_write_index: int, landed: Callable[[dict], bool]) -> None:
        """Commit, through transient store faults. A commit reported failed may still have been
        applied (by our retry here, or the client's own): a later attempt then finds the job changed,
        and reading the job tells whether the change was ours (`landed`, the job naming this run and
        the events it was given) or another run's (a takeover)."""
        if self.lost:
            raise LeaseLost(self.job_id)
        with tracing.span("firestore.commit", seq=self.last_seq):
            self._commit_retrying(batch, job_write_index, landed)

    def _commit_retrying(self, batch: Callable[[], object], job_write_index: int,
                         landed: Callable[[dict], bool]) -> None:
        for delay in (*COMMIT_RETRY_DELAYS_S, None):
            try:
                results = batch().commit(**db.fast())
                self._update_time = results[job_write_index].update_time
                return
            except TRANSIENT:
                if delay is None:
                    raise
                time.sleep(delay)
            except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound) as exc:
                try:
                    snap = self._job_ref.get(**db.fast())
                except TRANSIENT:
                    if delay is None:
                        raise
                    time.sleep(delay)
                    continue  # the store is still unwell: the commit's retry will ask again
                if snap.exists and landed(snap.to_dict() or {}):
                    self._update_time = snap.update_time
                    return
                # Someone else wrote the job (a takeover) or the seq slot: this run is no longer the owner.
                self.lost = True
                raise LeaseLost(f"{self.job_id}: {exc.message if hasattr(exc, 'message') else exc}") from None

    @property
    def committed_at(self) -> dt.datetime:
        """Firestore's time for this run's last write to the job."""
        return self._update_time


def _lease_end(now: dt.datetime, lease_s: float) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_s)


# Payload builders: the shape of each event type lives here and nowhere else.

def status(step: str, message: str, session_id: str, progress: int | None = None) -> dict:
    assert step in STEPS, step
    return {"step": step, "message": message, "progress": PROGRESS[step] if progress is None else progress,
            "session_id": session_id}


def menu_data(session_id: str, items: list[dict], **extra: Any) -> dict:
    return {"session_id": session_id, "items": items, **extra}


def image_update(session_id: str, item_id: str, image_status: str, image_url: str | None,
                 error: dict | None = None, kind: str | None = None) -> dict:
    """image_status: generating, then ready or failed (a failure says why in image_error {code, message});
    a ready one says what it is in image_kind ("illustration": drawn, not a photo of the dish)."""
    data = {"session_id": session_id, "item_id": item_id, "image_status": image_status, "image_url": image_url}
    if error:
        data["image_error"] = error
    if kind:
        data["image_kind"] = kind
    return data


def error(code: str, message: str, recoverable: bool) -> dict:
    return {"code": code, "message": message, "recoverable": recoverable}


def done(status_: str, session_id: str, summary: dict, **extra: Any) -> dict:
    return {"status": status_, "session_id": session_id, "summary": summary, **extra}


