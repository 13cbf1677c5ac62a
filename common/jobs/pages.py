"""Events as stored: a page is one document holding the events of one commit.

A page holds the events ready together (usually one; two when a step ends and the next begins
together, such as generating_images + menu_data, or the last image + done): one write for the run
and one read per viewer. Pages are immutable once created.

The first page (create_job's status, seq 1) is not a document of its own: it is the job document's
`head`, written with the job in one write. Every viewer reads the job document first anyway, so it
has seq 1 from there; pages in scan_events start at seq 2. The job document's `tail` carries the
events of its latest commit, and events stored by EventLog.post_many live only there until the next
page takes them (`unpaged_from`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from common.core import clock
from common.gcp import db
from common.jobs import store
from common.jobs.model import Job

EVENTS = "scan_events"


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


def page_ref(job_id: str, first_seq: int):
    return db.client().collection(EVENTS).document(page_doc_id(job_id, first_seq))


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
        "created_at": clock.now(),
        "expire_at": db.expiry(),
    }


def decode_page(raw_events: str) -> list[Event]:
    return [Event(int(seq), type_, data) for seq, type_, data in json.loads(raw_events)]


def latest(job: Job) -> Event | None:
    """The job's newest stored event (the last of its tail)."""
    return decode_page(job.tail)[-1] if job.tail else None


def unpaged(job: Job) -> list[Event]:
    """The job's events stored by EventLog.post_many and not yet on a page (they are in its tail)."""
    if not (job.unpaged_from and job.tail):
        return []
    return [ev for ev in decode_page(job.tail) if ev.seq >= int(job.unpaged_from)]


def pages_after(job_id: str, after: int):
    """The query for pages holding any event with seq > after (the (job_id, last_seq) composite index)."""
    from google.cloud import firestore

    return (db.client().collection(EVENTS)
            .where(filter=firestore.FieldFilter("job_id", "==", job_id))
            .where(filter=firestore.FieldFilter("last_seq", ">", after)))


def read_after(job_id: str, after: int) -> list[Event]:
    """Every stored event with seq > after, in order (from 0 it also reads the job's head)."""
    out: dict[int, Event] = {}
    if after < 1:
        head = store.head(job_id)
        if head:  # a job created before heads existed has its seq 1 on a page, read below
            out.update((ev.seq, ev) for ev in decode_page(head))
    for snap in pages_after(job_id, after).stream(**db.fast()):
        for ev in decode_page(snap.get("events")):
            if ev.seq > after:
                out[ev.seq] = ev
    return [out[k] for k in sorted(out)]
