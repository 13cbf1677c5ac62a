"""What a viewer of a job is told by the feed: the job's state as its document changes, or a notice
that the feed could not do what the viewer needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from common.jobs import pages


@dataclass(frozen=True)
class JobState:
    """What a job document change tells a viewer: the job (None: it does not exist) and new events."""
    exists: bool
    status: str = ""
    last_seq: int = 0
    tail: tuple = ()
    head: tuple = ()  # seq 1, stored with the job (jobs/pages.py)
    access_token_hash: str = ""  # who may read it: the stream checks the first state before any frame
    owner: str = ""
    id_only_reads: bool = True  # created through /api/v1 (jobs from before the field was stored were too)
    traceparent: str = ""  # the job's trace, which a stream's request span links to


@dataclass(frozen=True)
class FeedNotice:
    """Not a change of the job: the feed could not do what a viewer needs. `kind` says what."""

    kind: str  # "catch_up_failed": a read of older events failed or was refused; "target_lost": the
    #            server stopped watching the job and would not take it back


Deliver = Callable[["JobState | list | FeedNotice"], None]  # a state, events read on request, or a notice


FIELDS = ("status", "last_seq", "tail", "head", "access_token_hash", "owner", "traceparent", "id_only_reads")


def state_of(fields: dict) -> JobState:
    """The few fields a viewer needs; the menu items are never decoded."""
    raw_tail, raw_head = fields.get("tail", ""), fields.get("head", "")
    return JobState(exists=True, status=fields.get("status", ""), last_seq=int(fields.get("last_seq", 0)),
                    tail=tuple(pages.decode_page(raw_tail)) if raw_tail else (),
                    head=tuple(pages.decode_page(raw_head)) if raw_head else (),
                    access_token_hash=fields.get("access_token_hash", ""), owner=fields.get("owner", ""),
                    traceparent=fields.get("traceparent", ""), id_only_reads=fields.get("id_only_reads", True))
