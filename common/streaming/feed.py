"""One Firestore Listen stream per process, carrying one document target per watched job.

The SDK's on_snapshot opens a stream and two threads per listener: at 1,000 open event streams that
is 2,000 threads and seconds of delivery delay. The Listen RPC multiplexes targets (the mobile SDKs
keep one stream per app), so this module does the same: one stream, one reader thread, one target
per watched job, fanned out to every subscriber of that job.

The target is the job document itself, not a query on the event pages: every append updates the
job document anyway and carries the events of that commit in its `tail` field, so one document
change is both the notice and the payload (one billed read), and the emulator, which re-runs every
query target on every write, stays fast with a document target per job. Events older than a tail
(a late joiner, or versions the listener coalesced) are read from the pages on request.
"""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from common.core import logs
from common.gcp import db
from common.jobs import pages, store
from common.streaming.listen import Change, ListenStream
from common.streaming.notices import FIELDS, Deliver, FeedNotice, JobState, state_of

log = logs.get_logger(__name__)


CATCH_UP_QUEUE = 256  # catch-up reads waiting or running per instance; past that a viewer is told to wait
TARGET_READDS = 3  # times a target the server removed is added again before its viewers are told


@dataclass(eq=False)
class _Target:
    job_id: str
    target_id: int
    subs: set = field(default_factory=set)
    state: JobState | None = None
    readds: int = 0
    acked: bool = False  # the server acknowledged our ADD: a change for every target now includes it


class Subscription:
    """A viewer of one job; deliver() is called from the feed's threads."""

    def __init__(self, feed: "EventFeed", job_id: str, deliver: Deliver):
        self.job_id = job_id
        self.deliver = deliver
        self._feed = feed
        self._closed = False

    def catch_up(self, after: int) -> None:
        """Read every stored event with seq > after (off the caller's thread) and deliver them as a list."""
        self._feed._catch_up(self, after)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._feed._unsubscribe(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class EventFeed:
    """Delivers each watched job's document changes to its subscribers, from one Listen stream."""

    def __init__(self, reconnect_backoff_s: float = 0.2, catch_up_workers: int = 4):
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._targets: dict[str, _Target] = {}
        self._by_id: dict[int, _Target] = {}
        self._ids = itertools.count(1)
        self._rpc: ListenStream | None = None
        self._thread: threading.Thread | None = None
        self._backoff = reconnect_backoff_s
        self._reads = ThreadPoolExecutor(catch_up_workers, thread_name_prefix="event-catch-up")
        self._read_slots = threading.BoundedSemaphore(CATCH_UP_QUEUE)
        self.changes_received = 0
        self.reconnects = 0

    # -- subscribers --------------------------------------------------------------------------
    def subscribe(self, job_id: str, deliver: Deliver) -> Subscription:
        """Deliver the job's current state, then every change to it; never blocks on Firestore."""
        sub = Subscription(self, job_id, deliver)
        with self._lock:
            t = self._targets.get(job_id)
            if t is None:
                t = _Target(job_id, next(self._ids))
                self._targets[job_id] = t
                self._by_id[t.target_id] = t
                self._send(self._add_request(t))
                self._start()
                self._wake.notify_all()
            t.subs.add(sub)
            state = t.state
        if state is not None:
            deliver(state)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            t = self._targets.get(sub.job_id)
            if t is None:
                return
            t.subs.discard(sub)
            if t.subs:
                return
            del self._targets[sub.job_id]
            del self._by_id[t.target_id]
            self._send(lambda rpc: rpc.remove(t.target_id))

    def _catch_up(self, sub: Subscription, after: int) -> None:
        if not self._read_slots.acquire(blocking=False):
            log.warning("event catch-up queue full", job_id=sub.job_id)
            sub.deliver(FeedNotice("catch_up_failed"))
            return

        def read() -> None:
            try:
                sub.deliver(pages.read_after(sub.job_id, after))
            except Exception as exc:  # noqa: BLE001 - the viewer asks again, later (sse.Session backs off)
                # e.g. FailedPrecondition while the (job_id, last_seq) index still builds after a deploy
                log.warning("event catch-up failed", job_id=sub.job_id, error=str(exc)[:200])
                sub.deliver(FeedNotice("catch_up_failed"))
            finally:
                self._read_slots.release()

        self._reads.submit(read)

    @property
    def watched_jobs(self) -> int:
        return len(self._targets)

    # -- the stream ---------------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-feed", daemon=True)
            self._thread.start()

    def _send(self, request: Callable[[ListenStream], None]) -> None:
        if self._rpc is not None and self._rpc.active:
            try:
                request(self._rpc)
            except Exception as exc:  # noqa: BLE001 - a stream dying under us: the reader reopens it
                log.warning("event feed send failed; the stream will be reopened", error=str(exc)[:200])
        # else: the reader thread adds every target when it (re)opens the stream

    @staticmethod
    def _add_request(t: _Target) -> Callable[[ListenStream], None]:
        target_id, path = t.target_id, f"{store.JOBS}/{t.job_id}"
        return lambda rpc: rpc.add(target_id, path)

    def _open(self) -> ListenStream:
        rpc = ListenStream(db.client(), FIELDS)
        with self._lock:
            for t in self._targets.values():
                t.acked = False  # a new stream: every target waits for its ADD again
                self._add_request(t)(rpc)
            self._rpc = rpc
        return rpc

    def _run(self) -> None:
        backoff = self._backoff
        while True:
            with self._lock:
                while not self._targets:
                    self._wake.wait()
            try:
                rpc = self._open()
                while True:
                    self._handle(rpc.recv())
                    backoff = self._backoff
            except Exception as exc:  # noqa: BLE001 - any stream failure: reopen and re-add every target
                with self._lock:
                    if self._rpc is not None:
                        try:
                            self._rpc.close()
                        except Exception:  # noqa: BLE001
                            pass
                    self._rpc = None
                self.reconnects += 1
                log.warning("event feed reconnecting", error=str(exc)[:200], watched=len(self._targets))
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _handle(self, change: Change) -> None:
        if change.kind == "document":
            self.changes_received += 1
            self._publish(change.target_ids, state_of(change.fields))
        elif change.kind == "gone":
            self._publish(change.target_ids, JobState(exists=False))
        elif change.kind == "added":
            with self._lock:
                for tid in change.target_ids:
                    if tid in self._by_id:
                        self._by_id[tid].acked = True
        elif change.kind in ("current", "removed"):
            with self._lock:
                # No target ids: the change is about every target of the stream; for CURRENT, every
                # one the server has acknowledged (one whose ADD is still in flight is not current yet).
                ids = list(change.target_ids) or [tid for tid, t in self._by_id.items()
                                                  if t.acked or change.kind != "current"]
            if change.kind == "current":
                # CURRENT with no document before it: the job does not exist (yet, or any more).
                with self._lock:
                    missing = [tid for tid in ids if tid in self._by_id and self._by_id[tid].state is None]
                self._publish(missing, JobState(exists=False))
            else:
                self._removed(ids, change.cause)

    def _removed(self, target_ids, cause: str) -> None:
        """The server dropped targets we still watch: add them again, or tell their viewers."""
        lost = []
        with self._lock:
            for tid in target_ids:
                t = self._by_id.pop(tid, None)
                if t is None:
                    continue  # our own removal, acknowledged
                t.readds += 1
                if t.readds > TARGET_READDS:
                    del self._targets[t.job_id]
                    lost.append(t)
                    continue
                t.target_id, t.acked = next(self._ids), False
                self._by_id[t.target_id] = t
                self._send(self._add_request(t))
        log.warning("event feed targets removed by the server", targets=len(list(target_ids)), lost=len(lost),
                    cause=cause[:300])
        for t in lost:
            for sub in list(t.subs):
                sub.deliver(FeedNotice("target_lost"))

    def _publish(self, target_ids, state: JobState) -> None:
        deliveries = []
        with self._lock:
            for tid in target_ids:
                t = self._by_id.get(tid)
                if t is None:
                    continue
                t.state = state
                t.readds = 0  # it delivers again: a later removal starts a new count
                deliveries.extend(s.deliver for s in t.subs)
        for deliver in deliveries:
            deliver(state)
