"""Telling whoever asked that a job finished: an Expo push to the app, a signed webhook to a server.

Never on the scan's request path: the run stores done with `notify_due`, then queues a Cloud Task
per channel and clears the flag; the notify function delivers.
Each channel's state lives in the job document (`notify.push`, `notify.webhook`), changed only
by writes conditioned on the document being unchanged since it was read, so duplicate tasks,
duplicate runs and takeovers converge on one delivery: one push, one webhook message id.
A queue that cannot be reached leaves `notify_due` on the job for the watchdog to queue again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from google.api_core import exceptions as gexc

from common.core import logs
from common.gcp import db, tasks
from common.jobs import store as jobs
from common.notify import egress, push, webhooks
from common.core.settings import get_settings
from common.core.errors import NotFound

log = logs.get_logger(__name__)
SENDING_LEASE_S = 60  # a delivery that claimed a channel and died is taken over after this
RECEIPT_CHECKS = 4    # receipts not there yet are looked for again, 5 minutes apart
FINISHED = {"push": ("sent", "delivered", "undelivered", "failed", "skipped"),
            "webhook": ("delivered", "stopped", "failed")}


@dataclass
class Outcome:
    """What a notify task achieved: done (2xx, never retried) or retry (503 after retry_after_s)."""
    done: bool
    detail: str
    retry_after_s: int = 5
    extra: dict = field(default_factory=dict)


def channels(job: dict) -> list[str]:
    """The channels a finished job notifies on."""
    out = []
    if job.get("push_token") and (job.get("status") == "completed" or get_settings().push_on_failure):
        out.append("push")
    if job.get("callback_url"):
        out.append("webhook")
    return out


def schedule(job: dict, status: str) -> bool:
    """Queue the job's notifications (status is the one about to be stored); False if the queue failed."""
    due = channels({**job, "status": status})
    try:
        for channel in due:
            tasks.enqueue_notify(job["job_id"], channel, 1, delay_s=1.0)
        return True
    except Exception as exc:  # noqa: BLE001 - a notification must never stop done; the watchdog queues it
        log.error("notifications not queued; the watchdog will", channels=due,
                  error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return False


def handle(job_id: str, channel: str, attempt: int) -> Outcome:
    """Deliver one notify task."""
    try:
        job = jobs.get(job_id)
    except NotFound:  # gone (its TTL passed): nothing to tell anyone
        return Outcome(True, "job not found")
    if job.get("status") not in jobs.TERMINAL:
        return Outcome(False, "the job has not finished yet", retry_after_s=2)
    if channel == "push":
        return _push(job)
    if channel == "receipt":
        return _receipt(job, attempt)
    if channel == "webhook":
        return _webhook(job, attempt)
    return Outcome(True, f"unknown channel {channel}")


# -- push --------------------------------------------------------------------------------------------
def _push(job: dict) -> Outcome:
    if "push" not in channels(job):
        return Outcome(True, "nothing to send")
    now = db.now()
    claimed = _claim(job["job_id"], "push", lambda cur: _free(cur, "push", now),
                     {"state": "sending", "at": now, "lease_until": now + dt.timedelta(seconds=SENDING_LEASE_S)})
    if claimed is None:
        return _settled_or_busy(job["job_id"], "push")
    token = job["push_token"]
    if push.is_dead(token):
        _set(job["job_id"], "push", {"state": "skipped", "at": db.now(), "error": "DeviceNotRegistered (earlier)"})
        return Outcome(True, "the token's device is no longer registered")
    try:
        ticket = push.send(push.message(job))
    except push.PushRetry as exc:
        _set(job["job_id"], "push", {"state": "retry", "at": db.now(), "error": str(exc)})
        return Outcome(False, str(exc), retry_after_s=exc.retry_after_s)
    except push.PushRefused as exc:
        _set(job["job_id"], "push", {"state": "failed", "at": db.now(), "error": str(exc)})
        log.error("push refused", error=str(exc))
        return Outcome(True, str(exc))
    if ticket.get("status") == "ok":
        _set(job["job_id"], "push", {"state": "sent", "at": db.now(), "ticket_id": ticket.get("id")})
        try:
            tasks.enqueue_notify(job["job_id"], "receipt", 1, delay_s=get_settings().push_receipt_delay_s)
        except Exception as exc:  # noqa: BLE001 - the push went out; only its receipt check is lost
            log.warning("receipt check not queued", error=f"{type(exc).__name__}: {str(exc)[:150]}")
        log.info("push sent", status=job["status"])
        return Outcome(True, "sent", extra={"ticket_id": ticket.get("id")})
    code = ((ticket.get("details") or {}).get("error")) or "UNKNOWN"
    if code == "MessageRateExceeded":
        _set(job["job_id"], "push", {"state": "retry", "at": db.now(), "error": code})
        return Outcome(False, code, retry_after_s=30)
    if code == "DeviceNotRegistered":
        push.mark_dead(token, code)
    _set(job["job_id"], "push", {"state": "failed", "at": db.now(), "error": code})
    # Not Expo's message: for DeviceNotRegistered it quotes the token.
    log.warning("push ticket error", code=code)
    return Outcome(True, f"ticket error {code}")


def _receipt(job: dict, attempt: int) -> Outcome:
    state = (job.get("notify") or {}).get("push") or {}
    if state.get("state") != "sent" or not state.get("ticket_id"):
        return Outcome(True, "no ticket to check")
    try:
        found = push.receipt(state["ticket_id"])
    except push.PushRetry as exc:
        return Outcome(False, str(exc), retry_after_s=exc.retry_after_s)
    except push.PushRefused as exc:
        log.error("receipt refused", error=str(exc))
        return Outcome(True, str(exc))
    if found is None:
        if attempt < RECEIPT_CHECKS:
            tasks.enqueue_notify(job["job_id"], "receipt", attempt + 1, delay_s=300)
        return Outcome(True, "no receipt yet")
    if found.get("status") == "ok":
        _set(job["job_id"], "push", {**state, "state": "delivered", "receipt_at": db.now()})
        return Outcome(True, "delivered")
    code = (found.get("details") or {}).get("error") or "UNKNOWN"
    if code == "DeviceNotRegistered":
        push.mark_dead(job["push_token"], code)
    log.warning("push receipt error", code=code)
    _set(job["job_id"], "push", {**state, "state": "undelivered", "error": code, "receipt_at": db.now()})
    return Outcome(True, f"receipt error {code}")


# -- webhook -----------------------------------------------------------------------------------------
def _webhook(job: dict, attempt: int) -> Outcome:
    settings = get_settings()
    job_id, now = job["job_id"], db.now()
    msg_id = webhooks.message_id(job_id)

    def may_take(cur: dict | None) -> bool:
        cur = cur or {}
        if cur.get("state") in FINISHED["webhook"] or int(cur.get("attempt") or 0) > attempt:
            return False
        if int(cur.get("attempt") or 0) == attempt:  # this attempt was made, or is being made
            return cur.get("state") == "delivering" and cur["lease_until"] < now
        return True

    lease = now + dt.timedelta(seconds=settings.webhook_timeout_s + SENDING_LEASE_S)
    claimed = _claim(job_id, "webhook", may_take, {"state": "delivering", "attempt": attempt, "msg_id": msg_id,
                                                    "lease_until": lease}, keep=("attempts",))
    if claimed is None:
        return _settled_or_busy(job_id, "webhook", attempt)
    attempts = list(((claimed.get("notify") or {}).get("webhook") or {}).get("attempts") or [])
    record: dict = {"attempt": attempt, "at": db.now()}
    try:
        target = egress.check(job["callback_url"], allow_loopback=settings.callback_allow_loopback)
    except egress.NoSuchHost as exc:  # gone from DNS for now: a failed attempt, retried on schedule
        target, record["error"] = None, exc.reason
    except egress.Refused as exc:  # checked at creation: the name now resolves elsewhere (rebinding)
        record["error"] = exc.reason
        _set(job_id, "webhook", {"state": "failed", "attempt": attempt, "msg_id": msg_id,
                                 "attempts": [*attempts, record]})
        log.warning("webhook refused at delivery", reason=exc.reason)
        return Outcome(True, f"refused: {exc.reason}")
    except egress.Unresolved as exc:  # the receiver's DNS is down: a failed attempt, retried on schedule
        target, record["error"] = None, exc.reason
    if target is not None:
        snapshot = jobs.public_view(job)
        url = f"{settings.public_base_url.rstrip('/')}/api/v2/scan/jobs/{job_id}"
        payload = webhooks.body(job_id, job["status"], snapshot, url)
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
    _set(job_id, "webhook", {"state": state, "attempt": attempt, "msg_id": msg_id, "attempts": [*attempts, record]})
    log.info("webhook attempt", attempt=attempt, status_code=record.get("status_code"), error=record.get("error"),
             state=state)
    return Outcome(True, state, extra={"attempt": attempt, "status_code": record.get("status_code")})


# -- state in the job document ------------------------------------------------------------------------
def _free(cur: dict | None, channel: str, now: dt.datetime) -> bool:
    cur = cur or {}
    if cur.get("state") in FINISHED[channel]:
        return False
    return cur.get("state") != "sending" or cur["lease_until"] < now


def _claim(job_id: str, channel: str, may_take: Callable[[dict | None], bool], fields: dict,
           keep: tuple[str, ...] = ()) -> dict | None:
    """Set the channel's state if may_take(current) holds, on the condition nothing changed since the
    read; returns the job as read, or None when the channel is not ours to take."""
    client = db.client()
    ref = client.collection(db.JOBS).document(job_id)
    for _ in range(8):
        snap = ref.get(**db.fast())
        job = snap.to_dict() or {}
        cur = (job.get("notify") or {}).get(channel)
        if not may_take(cur):
            return None
        value = {**{k: (cur or {})[k] for k in keep if k in (cur or {})}, **fields}
        try:
            ref.update({f"notify.{channel}": value}, option=client.write_option(last_update_time=snap.update_time),
                       **db.fast())
            return job
        except (gexc.FailedPrecondition, gexc.Aborted):
            continue  # another channel's or delivery's write came between: read again
    return None


def _set(job_id: str, channel: str, value: dict) -> None:
    db.client().collection(db.JOBS).document(job_id).update({f"notify.{channel}": value}, **db.fast())


def _settled_or_busy(job_id: str, channel: str, attempt: int | None = None) -> Outcome:
    cur = ((jobs.get(job_id).get("notify") or {}).get(channel)) or {}
    if cur.get("state") in FINISHED[channel]:
        return Outcome(True, f"already {cur['state']}")
    if attempt is not None and int(cur.get("attempt") or 0) >= attempt and cur.get("state") != "delivering":
        return Outcome(True, f"attempt {attempt} was made")
    return Outcome(False, "another delivery is sending it", retry_after_s=10)
