"""Each channel's state in the job document (`notify.push`, `notify.webhook`), changed only by writes
conditioned on the document being unchanged since it was read, so duplicate tasks, duplicate runs and
takeovers converge on one delivery: one push, one webhook message id."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from common.jobs import store
from common.jobs.model import F, Job

SENDING_LEASE_S = 60  # a delivery that claimed a channel and died is taken over after this
FINISHED = {"push": ("sent", "delivered", "undelivered", "failed", "skipped"),
            "webhook": ("delivered", "stopped", "failed")}


@dataclass
class Outcome:
    """What a notify task achieved: done (2xx, never retried) or retry (503 after retry_after_s)."""
    done: bool
    detail: str
    retry_after_s: int = 5
    extra: dict = field(default_factory=dict)


def free(cur: dict | None, channel: str, now: dt.datetime) -> bool:
    """Whether a channel in state `cur` may be taken: not finished, and not being sent by a live delivery."""
    cur = cur or {}
    if cur.get("state") in FINISHED[channel]:
        return False
    return cur.get("state") != "sending" or cur["lease_until"] < now


def claim(job_id: str, channel: str, may_take: Callable[[dict | None], bool], fields: dict,
          keep: tuple[str, ...] = ()) -> Job | None:
    """Set the channel's state if may_take(current) holds, on the condition nothing changed since the
    read; returns the job as read, or None when the channel is not ours to take."""
    for _ in range(8):
        read = store.read(job_id)
        cur = read.job.notify.get(channel) if read else None
        if read is None or not may_take(cur):
            return None
        value = {**{k: (cur or {})[k] for k in keep if k in (cur or {})}, **fields}
        if store.update_if_unchanged(job_id, {f"{F.NOTIFY}.{channel}": value}, read.update_time):
            return read.job
        # another channel's or delivery's write came between: read again
    return None


def put(job_id: str, channel: str, value: dict) -> None:
    """Record the channel's state, whatever it was."""
    store.update(job_id, {f"{F.NOTIFY}.{channel}": value})


def settled_or_busy(job_id: str, channel: str, attempt: int | None = None) -> Outcome:
    """The answer for a task whose channel another delivery holds or has finished."""
    cur = store.get(job_id).notify.get(channel) or {}
    if cur.get("state") in FINISHED[channel]:
        return Outcome(True, f"already {cur['state']}")
    if attempt is not None and int(cur.get("attempt") or 0) >= attempt and cur.get("state") != "delivering":
        return Outcome(True, f"attempt {attempt} was made")
    return Outcome(False, "another delivery is sending it", retry_after_s=10)
