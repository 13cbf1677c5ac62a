"""How a run ends: done (completed or failed) stored once with whatever it closes, then whoever
asked is told, the cache and the dish knowledge written. Nothing after done can change the outcome."""
from __future__ import annotations

from typing import Iterable

from common.core import faults, logs, tracing
from common.core.errors import ScanError
from common.jobs import payloads, store
from common.jobs.model import F
from common.notify import deliveries
from common.scan import cache, knowledge, lookalike
from common.scan.state import RunState

log = logs.get_logger(__name__)


def complete(state: RunState, extra: Iterable[tuple[str, dict]] = (), fields: dict | None = None) -> None:
    """done, with the last image_update held for it and any `extra` events, in one commit."""
    summary = state.summary()
    done = ("done", payloads.done("completed", state.job_id, summary, engine=state.engine_name, **_profile_ref(state)))
    # EventLog retries store faults and tells an unreported commit from a takeover: done is stored once.
    state.log.append_many([*state.held, *extra, done],
                          job_fields={**state.snapshot("completed"), F.SUMMARY: summary,
                                      **state.final_fields("completed"), **_notify_due(state, "completed"),
                                      **(fields or {})})
    state.held = []
    log.info("job completed", outcome="completed", engine=state.engine_name,
             images_failed=sum(i.is_top3 and i.image_status == "failed" for i in state.items), **summary)
    queue_notifications(state, "completed")
    if state.cache_key and not state.used_cache:
        cache.put(state.cache_key, state.public_items(), state.engine_name, state.source_language)
    for fp, scope, items, source_language in state.lookalikes:  # pages the engine read, for later re-shots
        lookalike.record(fp, scope, items, source_language)
    if state.settings.knowledge and not state.used_cache and state.profile is None:  # a cached one was learned first
        knowledge.record(state.items, state.language_used, state.engine_name, caller=state.job.caller)


def fail(state: RunState, exc: ScanError) -> str:
    """error + done(failed) in one commit; "busy" when the store cannot take it (the verdict is kept
    on the released job, so the next delivery stores it at once instead of scanning again)."""
    tracing.fail_current(exc)
    summary = state.summary()
    err = {"code": exc.code, "message": exc.message}
    pairs = [*state.held, ("error", payloads.error(exc.code, exc.message, exc.recoverable)),
             ("done", payloads.done("failed", state.job_id, summary, engine=state.engine_name, **_profile_ref(state)))]
    try:
        state.log.append_many(pairs, job_fields={**state.snapshot("failed"), F.SUMMARY: summary, F.ERROR: err,
                                                 **state.final_fields("failed"), **_notify_due(state, "failed")})
    except faults.store_unsure():
        log.exception("could not record the failure; the next delivery will")
        state.lease.release({F.STATUS: "pending", F.FAIL_WITH: {"code": exc.code, "message": exc.message,
                                                                "recoverable": exc.recoverable}})
        return "busy"
    # Once, after done is stored: the jobs-by-outcome metric counts these lines (docs/observability.md).
    log.warning("job failed", outcome="failed", code=exc.code, error=exc.message, engine=state.engine_name, **summary)
    queue_notifications(state, "failed")
    return "failed"


def _profile_ref(state: RunState) -> dict:
    """done names the profile a job ran with (nothing for a menu: the event stays as it was)."""
    return {"profile": state.profile.public} if state.profile else {}


def _notify_due(state: RunState, status: str) -> dict:
    """Stored with done: the job has notifications to queue (cleared once they are queued; the
    watchdog queues any still due, so a run that dies right after done loses none)."""
    return {F.NOTIFY_DUE: True} if deliveries.channels(state.job, status) else {}


def queue_notifications(state: RunState, status: str) -> None:
    """After done: queue them (never before: the deadline is for done, not for the queue)."""
    if not deliveries.channels(state.job, status):
        return
    try:
        if deliveries.schedule(state.job, status):
            store.update(state.job_id, {F.NOTIFY_DUE: False})
    except Exception:  # noqa: BLE001 - done is stored; the watchdog queues what is still due
        log.exception("could not clear notify_due; the watchdog will look at it")
