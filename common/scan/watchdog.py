"""The watchdog (Cloud Scheduler's target): ends every job nothing runs any more, so no viewer waits
forever, and queues the notifications of finished jobs whose run could not."""
from __future__ import annotations

import uuid

from common.core import logs, tracing
from common.core.errors import LeaseLost, ScanError
from common.core.settings import get_settings
from common.jobs import lease, store
from common.jobs.model import F
from common.notify import deliveries
from common.scan import finish, menu, pages
from common.scan.drawing import Drawing
from common.scan.state import RunState

log = logs.get_logger(__name__)


def expire_overdue() -> dict:
    """End every overdue job that no live run holds with error + done(failed); returns what it did."""
    settings = get_settings()
    run_s = settings.run
    counts = {"overdue": 0, "expired": 0, "busy": 0, "errors": 0, "notifications_queued": _queue_due(run_s.lease_s)}
    # Jobs made long ago and never finished, and running jobs past their deadline whose run died
    # (its lease is over): a redelivered task would end the latter too, but may never come.
    candidates = dict.fromkeys(store.find_stale(("pending", "running"), F.CREATED_AT, run_s.job_overdue_s))
    try:
        # deadline_at is stored with the first menu a run sends; a run that died before any has
        # none, so running jobs made longer ago than a deadline and a lease are looked at too.
        candidates.update(dict.fromkeys(store.find_stale(("running",), F.DEADLINE_AT, run_s.lease_s)))
        candidates.update(dict.fromkeys(store.find_stale(("running",), F.CREATED_AT,
                                                         run_s.job_deadline_s + run_s.lease_s)))
    except Exception:  # noqa: BLE001 - e.g. its index still building after a deploy: the rest still runs
        log.exception("could not look for jobs past their deadline")
    for job_id in candidates:
        counts["overdue"] += 1
        token = logs.job_id_var.set(job_id)
        try:
            claim = lease.claim(job_id, f"watchdog:{uuid.uuid4().hex[:12]}", run_s.lease_s)
            if claim.outcome == "busy":
                counts["busy"] += 1
            if claim.outcome != "claimed":
                continue
            with tracing.job_run(claim.job.traceparent, "watchdog"):
                state = RunState(claim.job, claim.lease, claim.log, run_s, settings.models.engine_name)
                counts["expired"] += _end(state)
        except LeaseLost:
            counts["busy"] += 1
        except Exception:  # noqa: BLE001 - one job the sweep cannot end must not stop it for every other
            counts["errors"] += 1
            log.exception("the watchdog could not end an overdue job")
        finally:
            logs.job_id_var.reset(token)
    return counts


def _end(state: RunState) -> int:
    """End one overdue job the watchdog holds: 1 once it is ended."""
    job = state.job
    if state.resume_safely() and state.remaining_s() < 0 and (state.items or menu.keep_partial(state)):
        # The menu is on the phone: finish with it, the images not drawn marked DEADLINE.
        Drawing(state).draw_pending()
        finish.complete(state)
        log.warning("job past its deadline completed by the watchdog", reason="deadline")
        return 1
    arrived = pages.any_arrived(job)
    # Only a definite "not there" is UPLOAD_NOT_FOUND: storage that cannot say is no proof.
    err = (ScanError("UPLOAD_NOT_FOUND", "no photo arrived for this scan") if arrived is False else
           ScanError("JOB_EXPIRED", "the scan did not finish in time; please try again", recoverable=True))
    if finish.fail(state, err) != "failed":
        return 0
    log.warning("overdue job ended by the watchdog", reason="overdue", code=err.code, status=job.status)
    return 1


def _queue_due(lease_s: float) -> int:
    """Queue the notifications of finished jobs whose run could not reach the queue (or died first)."""
    queued = 0
    # A run queues its own right after done, within its lease's span.
    for job_id in store.find_notify_due(older_than_s=lease_s):
        try:
            job = store.get(job_id)
            if deliveries.schedule(job, job.status):
                store.update(job_id, {F.NOTIFY_DUE: False})
                queued += 1
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("could not queue a finished job's notifications", job_id=job_id)
    return queued
