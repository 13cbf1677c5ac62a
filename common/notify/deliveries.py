"""Telling whoever asked that a job finished: which channels, queueing them, and handling one task.

Never on the scan's request path: the run stores done with `notify_due`, then queues a Cloud Task
per channel and clears the flag; the notify function delivers (push_channel, webhook_channel).
A queue that cannot be reached leaves `notify_due` on the job for the watchdog to queue again.
"""
from __future__ import annotations

from common.core import logs
from common.core.errors import NotFound
from common.core.settings import get_settings
from common.gcp import tasks
from common.jobs import store
from common.jobs.model import Job
from common.notify import push_channel, webhook_channel
from common.notify.channel_state import Outcome

log = logs.get_logger(__name__)
__all__ = ["Outcome", "channels", "schedule", "handle"]


def channels(job: Job, status: str) -> list[str]:
    """The channels a job finishing with `status` notifies on."""
    out = []
    if job.push_token and (status == "completed" or get_settings().notify.push_on_failure):
        out.append("push")
    if job.callback_url:
        out.append("webhook")
    return out


def schedule(job: Job, status: str) -> bool:
    """Queue the job's notifications (status is the one stored with done); False if the queue failed."""
    due = channels(job, status)
    try:
        for channel in due:
            tasks.enqueue_notify(job.job_id, channel, 1, delay_s=1.0)
        return True
    except Exception as exc:  # noqa: BLE001 - a notification must never stop done; the watchdog queues it
        log.error("notifications not queued; the watchdog will", channels=due,
                  error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return False


def handle(job_id: str, channel: str, attempt: int) -> Outcome:
    """Deliver one notify task."""
    try:
        job = store.get(job_id)
    except NotFound:  # gone (its TTL passed): nothing to tell anyone
        return Outcome(True, "job not found")
    if not job.finished:
        return Outcome(False, "the job has not finished yet", retry_after_s=2)
    settings = get_settings()
    if channel == "push":
        if "push" not in channels(job, job.status):
            return Outcome(True, "nothing to send")
        return push_channel.deliver(job, settings.notify)
    if channel == "receipt":
        return push_channel.check_receipt(job, attempt)
    if channel == "webhook":
        return webhook_channel.deliver(job, attempt, settings.notify, settings.assets.public_base_url)
    return Outcome(True, f"unknown channel {channel}")
