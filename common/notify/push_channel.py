"""The push channel: one Expo push for a finished job, then its receipt (docs/notifications.md)."""
from __future__ import annotations

import datetime as dt

from common.core import clock, logs
from common.core.text import bounded
from common.core.sections import NotifySettings
from common.gcp import tasks
from common.jobs.model import Job
from common.notify import channel_state, expo
from common.notify.channel_state import SENDING_LEASE_S, Outcome

log = logs.get_logger(__name__)
RECEIPT_CHECKS = 4    # receipts not there yet are looked for again, 5 minutes apart


def deliver(job: Job, settings: NotifySettings) -> Outcome:
    """Send the job's push, once however often the task comes."""
    now = clock.now()
    claimed = channel_state.claim(job.job_id, "push", lambda cur: channel_state.free(cur, "push", now),
                     {"state": "sending", "at": now, "lease_until": now + dt.timedelta(seconds=SENDING_LEASE_S)})
    if claimed is None:
        return channel_state.settled_or_busy(job.job_id, "push")
    token = job.push_token
    if expo.is_dead(token):
        channel_state.put(job.job_id, "push", {"state": "skipped", "at": clock.now(), "error": "DeviceNotRegistered (earlier)"})
        return Outcome(True, "the token's device is no longer registered")
    try:
        ticket = expo.send(expo.message(job))
    except expo.PushRetry as exc:
        channel_state.put(job.job_id, "push", {"state": "retry", "at": clock.now(), "error": bounded(str(exc))})
        return Outcome(False, str(exc), retry_after_s=exc.retry_after_s)
    except expo.PushRefused as exc:
        channel_state.put(job.job_id, "push", {"state": "failed", "at": clock.now(), "error": bounded(str(exc))})
        log.error("push refused", error=str(exc))
        return Outcome(True, str(exc))
    if ticket.get("status") == "ok":
        channel_state.put(job.job_id, "push", {"state": "sent", "at": clock.now(), "ticket_id": ticket.get("id")})
        try:
            tasks.enqueue_notify(job.job_id, "receipt", 1, delay_s=settings.push_receipt_delay_s)
        except Exception as exc:  # noqa: BLE001 - the push went out; only its receipt check is lost
            log.warning("receipt check not queued", error=f"{type(exc).__name__}: {str(exc)[:150]}")
        log.info("push sent", status=job.status)
        return Outcome(True, "sent", extra={"ticket_id": ticket.get("id")})
    code = bounded(str((ticket.get("details") or {}).get("error") or "UNKNOWN"), 100)
    if code == "MessageRateExceeded":
        channel_state.put(job.job_id, "push", {"state": "retry", "at": clock.now(), "error": code})
        return Outcome(False, code, retry_after_s=30)
    if code == "DeviceNotRegistered":
        expo.mark_dead(token, code)
    channel_state.put(job.job_id, "push", {"state": "failed", "at": clock.now(), "error": code})
    # Not Expo's message: for DeviceNotRegistered it quotes the token.
    log.warning("push ticket error", code=code)
    return Outcome(True, f"ticket error {code}")


def check_receipt(job: Job, attempt: int) -> Outcome:
    """Read the push's receipt from Expo: delivered, undelivered (a dead token is remembered), or not yet."""
    state = job.notify.get("push") or {}
    if state.get("state") != "sent" or not state.get("ticket_id"):
        return Outcome(True, "no ticket to check")
    try:
        found = expo.receipt(state["ticket_id"])
    except expo.PushRetry as exc:
        return Outcome(False, str(exc), retry_after_s=exc.retry_after_s)
    except expo.PushRefused as exc:
        log.error("receipt refused", error=str(exc))
        return Outcome(True, str(exc))
    if found is None:
        if attempt < RECEIPT_CHECKS:
            tasks.enqueue_notify(job.job_id, "receipt", attempt + 1, delay_s=300)
        return Outcome(True, "no receipt yet")
    if found.get("status") == "ok":
        channel_state.put(job.job_id, "push", {**state, "state": "delivered", "receipt_at": clock.now()})
        return Outcome(True, "delivered")
    code = bounded(str((found.get("details") or {}).get("error") or "UNKNOWN"), 100)
    if code == "DeviceNotRegistered":
        expo.mark_dead(job.push_token, code)
    log.warning("push receipt error", code=code)
    channel_state.put(job.job_id, "push", {**state, "state": "undelivered", "error": code, "receipt_at": clock.now()})
    return Outcome(True, f"receipt error {code}")
