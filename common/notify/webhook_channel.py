"""The webhook channel: a Standard Webhooks POST for a finished job, retried on its schedule, through the
egress checks (docs/notifications.md)."""
from __future__ import annotations

import datetime as dt

from common.core import clock, logs
from common.core.sections import NotifySettings
from common.gcp import tasks
from common.jobs import views
from common.jobs.model import Job
from common.notify import channel_state, egress, webhooks
from common.notify.channel_state import SENDING_LEASE_S, Outcome

log = logs.get_logger(__name__)


def deliver(job: Job, attempt: int, settings: NotifySettings, public_base_url: str) -> Outcome:
    """Make attempt `attempt` of the job's webhook; queue the next one on failure, on schedule."""
    job_id, now = job.job_id, clock.now()
    msg_id = webhooks.message_id(job_id)

    def may_take(cur: dict | None) -> bool:
        cur = cur or {}
        if cur.get("state") in channel_state.FINISHED["webhook"] or int(cur.get("attempt") or 0) > attempt:
            return False
        if int(cur.get("attempt") or 0) == attempt:  # this attempt was made, or is being made
            return cur.get("state") == "delivering" and cur["lease_until"] < now
        return True

    lease = now + dt.timedelta(seconds=settings.webhook_timeout_s + SENDING_LEASE_S)
    claimed = channel_state.claim(job_id, "webhook", may_take, {"state": "delivering", "attempt": attempt, "msg_id": msg_id,
                                                    "lease_until": lease}, keep=("attempts",))
    if claimed is None:
        return channel_state.settled_or_busy(job_id, "webhook", attempt)
    attempts = list((claimed.notify.get("webhook") or {}).get("attempts") or [])
    record: dict = {"attempt": attempt, "at": clock.now()}
    try:
        target = egress.check(job.callback_url, allow_loopback=settings.callback_allow_loopback)
    except egress.NoSuchHost as exc:  # gone from DNS for now: a failed attempt, retried on schedule
        target, record["error"] = None, exc.reason
    except egress.Refused as exc:  # checked at creation: the name now resolves elsewhere (rebinding)
        # The snapshot shows the attempts to the job's caller: the one refusal that maps no name there;
        # the class of address for operators only (the log, the task's answer).
        record["error"] = exc.reason
        channel_state.put(job_id, "webhook", {"state": "failed", "attempt": attempt, "msg_id": msg_id,
                                 "attempts": [*attempts, record]})
        log.warning("webhook refused at delivery", reason=exc.detail)
        return Outcome(True, f"refused: {exc.detail}")
    except egress.Unresolved as exc:  # the receiver's DNS is down: a failed attempt, retried on schedule
        target, record["error"] = None, exc.reason
    if target is not None:
        snapshot = views.public_view(job)
        url = f"{public_base_url.rstrip('/')}/api/v2/scan/jobs/{job_id}"
        payload = webhooks.body(job_id, job.status, snapshot, url)
        try:
            record["status_code"] = egress.post(target, payload, webhooks.headers(msg_id, payload),
                                                settings.webhook_timeout_s)
        except Exception as exc:  # noqa: BLE001 - any transport failure is a failed attempt
            record["error"] = type(exc).__name__
    code = record.get("status_code") or 0
    if 200 <= code < 300:
        state = "delivered"
    elif code == 410:
        state = "stopped"  # the receiver asked for no more
    else:
        delay = webhooks.next_delay_s(attempt)
        if delay is None:
            state = "failed"
        else:
            state = "retrying"
            record["next_in_s"] = round(delay, 1)
            # Queued before the attempt is recorded: if queueing fails, Cloud Tasks repeats this
            # attempt (the same message id) instead of the retries silently ending here.
            tasks.enqueue_notify(job_id, "webhook", attempt + 1, delay_s=delay)
    channel_state.put(job_id, "webhook", {"state": state, "attempt": attempt, "msg_id": msg_id, "attempts": [*attempts, record]})
    log.info("webhook attempt", attempt=attempt, status_code=record.get("status_code"), error=record.get("error"),
             state=state)
    return Outcome(True, state, extra={"attempt": attempt, "status_code": record.get("status_code")})
