"""One client's stream as a state machine with no I/O: which frames to send as job states and events
arrive, the keep-alives, the timeout; shared by the thread loop and the asyncio loop (sse.py)."""
from __future__ import annotations

import json
import time
from typing import Callable

from common.core import logs
from common.core.errors import BadRequest
from common.jobs import pages
from common.streaming.notices import FeedNotice, JobState

log = logs.get_logger(__name__)
CATCH_UP_ATTEMPTS = 6  # failed reads of older events (over about 8 s of backoff) before the stream ends
CATCH_UP_BACKOFF_S = 0.25


def frame(data: dict, event: str, id_: int | None = None) -> str:
    lines = []
    if id_ is not None:
        lines.append(f"id: {id_}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def parse_last_event_id(query_value: str | None, header_value: str | None, *, lenient: bool = False) -> int:
    """The newer of ?last_event_id= (the app) and Last-Event-ID (browsers); absent means from the start.

    An EventSource reconnects with the URL it was first opened with, so its query id goes stale
    while the header carries the last id it saw: the larger of the two is where the client is.
    `lenient` (v1) reads an id that is not a number ("undefined", "null") as the start: a replay
    costs the app nothing it has not seen, a 400 would cost it the menu.
    """
    ids = []
    for raw, name in ((query_value, "last_event_id"), (header_value, "Last-Event-ID")):
        try:
            ids.append(_event_id(raw, name))
        except BadRequest:
            if not lenient:
                raise
            ids.append(0)
    return max(ids)


def _event_id(raw: str | None, name: str) -> int:
    if raw is None or str(raw).strip() == "":
        return 0
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise BadRequest(f"{name} must be a non-negative integer, got {str(raw)[:40]!r}",
                         code="INVALID_LAST_EVENT_ID") from None
    if value < 0:
        raise BadRequest(f"{name} must be a non-negative integer", code="INVALID_LAST_EVENT_ID")
    return value


class Session:
    """One client's stream, whatever serves it: which frames to send as job states and events arrive."""

    def __init__(self, job_id: str, after: int, *, heartbeat_s: float, max_s: float, retry_ms: int,
                 monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic  # a test moves its own clock instead of sleeping
        self.job_id = job_id
        self.last = after
        self.exists: bool | None = None
        self.state: JobState | None = None
        self.finished = False
        self.heartbeat_s = heartbeat_s
        self.retry_ms = retry_ms
        self._deadline = self._monotonic() + max_s
        self._next_beat = self._monotonic() + heartbeat_s
        self._pending: dict[int, pages.Event] = {}
        self._job_last = 0
        self._asked = False  # a catch-up read is in flight
        self._failed_reads = 0
        self._retry_at = 0.0  # no catch-up read before this (monotonic): backing off after a failure
        self._ending: str | None = None  # a reason to send `timeout` and close at the next chance

    def opening(self) -> str:
        return f"retry: {self.retry_ms}\n\n"

    def wait_s(self) -> float:
        """How long to wait for the next message before a heartbeat (or the timeout frame) is due.

        Counted from the last frame sent, not the last message: lease renewals change the job
        document without adding events, and must not starve the heartbeat.
        """
        due = min(self._next_beat, self._deadline)
        if self._retry_at and not self._asked:
            due = min(due, self._retry_at)
        return max(0.0, due - self._monotonic())

    def on_message(self, msg: "JobState | list | FeedNotice") -> list[str]:
        """Frames for a job state from the feed, a list of events read on request, or a feed notice."""
        if isinstance(msg, FeedNotice):
            return self._on_notice(msg)
        if isinstance(msg, JobState):
            if not msg.exists:
                self.exists = bool(self.exists)  # a job deleted mid-stream (TTL) ends the stream quietly
                self.finished = True
                return []
            self.exists, self.state = True, msg
            self._job_last = max(self._job_last, msg.last_seq)
            evs = (*msg.head, *msg.tail) if self.last < 1 else msg.tail
        else:
            self._asked, self._failed_reads, self._retry_at = False, 0, 0.0
            evs = msg
        out = self._emit(evs)
        if self.state and self.state.status in ("completed", "failed") and self.last >= self._job_last:
            self.finished = True  # the client already has everything, done included
        return out

    def needs_catch_up(self) -> bool:
        """True when events older than the latest tail are missing, no read for them is in flight,
        and the session is not backing off after a failed one."""
        if self.finished or self._asked or self.last >= self._job_last or self.last + 1 in self._pending:
            return False
        if self._monotonic() < self._retry_at:
            return False
        self._asked = True
        return True

    def _on_notice(self, notice: FeedNotice) -> list[str]:
        if notice.kind == "catch_up_failed":
            self._asked = False
            self._failed_reads += 1
            if self._failed_reads >= CATCH_UP_ATTEMPTS:
                return [self._end("events_unavailable")]
            # Backing off: a read refused while an index builds would otherwise be retried at once, forever.
            self._retry_at = self._monotonic() + min(CATCH_UP_BACKOFF_S * 2 ** (self._failed_reads - 1), 8.0)
            return []
        return [self._end("feed_lost")]  # the server stopped watching the job: reconnect to start afresh

    def _end(self, reason: str) -> str:
        """The timeout frame: the client reconnects with its last id (docs/pages.md)."""
        self.finished = True
        return frame({"last_event_id": self.last, "reason": reason}, "timeout")

    def _emit(self, evs) -> list[str]:
        for ev in evs:
            if ev.seq > self.last:
                self._pending[ev.seq] = ev
        out = []
        while not self.finished and self.last + 1 in self._pending:
            ev = self._pending.pop(self.last + 1)
            out.append(frame(ev.data, ev.type, ev.seq))
            self.last = ev.seq
            self.finished = ev.type == "done"
        if out:
            self._next_beat = self._monotonic() + self.heartbeat_s
        return out

    def on_idle(self) -> str:
        """A heartbeat, the timeout frame (which ends the stream) once max_s has passed, or nothing
        when the wait ended only for a catch-up read's retry."""
        now = self._monotonic()
        if now >= self._deadline:
            return self._end("max_stream_duration")
        if now < self._next_beat:
            return ""
        self._next_beat = now + self.heartbeat_s
        return frame({"ts": int(time.time() * 1000)}, "heartbeat")
