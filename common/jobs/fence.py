"""The fenced write: a run's commits to its job land only while nobody else has written the job.

Every commit of a run (an event page, a release) carries a precondition on the job document's update
time as this run last wrote or read it. A takeover by another run changes that time, so a run that
lost its lease fails its next write instead of forking the event sequence. A commit reported failed
may still have been applied (by our retry, or the client's own): reading the job then tells our
change (`landed`: the job names this run's commit) from another run's.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from common.core import faults, tracing
from common.core.errors import LeaseLost
from common.gcp import db
from common.jobs import store
from common.jobs.model import Job

# Between our tries of a commit; each try is the client's own retry for up to 8 s (db.fast), so a
# run rides out about a minute of store faults before it gives the job back.
COMMIT_RETRY_DELAYS_S = (0.25, 0.5, 1.0, 2.0, 4.0)


class Fence:
    """One run's hold on the job document's update time; shared by its event log and its lease."""

    def __init__(self, job_id: str, owner: str, update_time):
        self.job_id = job_id
        self.owner = owner
        self.update_time = update_time
        self.lock = threading.RLock()  # one commit at a time: each moves the fence for the next
        self.lost = False
        self.closed = False  # set once `done` is stored: nothing may follow it
        self.ref = store.ref(job_id)

    def option(self):
        """The precondition for a write of the job document: unchanged since our last write."""
        return db.client().write_option(last_update_time=self.update_time)

    def commit(self, batch: Callable[[], object], job_write_index: int, landed: Callable[[Job], bool],
               seq: int = 0) -> None:
        """Commit a batch built by `batch()` through transient store faults; LeaseLost once another
        run has written the job."""
        if self.lost:
            raise LeaseLost(self.job_id)
        with tracing.span("firestore.commit", seq=seq):
            self._retrying(batch, job_write_index, landed)

    def _retrying(self, batch: Callable[[], object], job_write_index: int, landed: Callable[[Job], bool]) -> None:
        from google.api_core import exceptions as gexc

        for delay in (*COMMIT_RETRY_DELAYS_S, None):
            try:
                results = batch().commit(**db.fast())
                self.update_time = results[job_write_index].update_time
                return
            except faults.store_unsure():
                if delay is None:
                    raise
                time.sleep(delay)
            except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound) as exc:
                try:
                    read = store.read(self.job_id)
                except faults.store_unsure():
                    if delay is None:
                        raise
                    time.sleep(delay)
                    continue  # the store is still unwell: the commit's retry will ask again
                if read is not None and landed(read.job):
                    self.update_time = read.update_time
                    return
                # Someone else wrote the job (a takeover) or the seq slot: this run is no longer the owner.
                self.lost = True
                raise LeaseLost(f"{self.job_id}: {getattr(exc, 'message', exc)}") from None
