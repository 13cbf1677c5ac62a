"""Cloud Tasks: one scan task per job and one per notification delivery, named so production
de-duplicates re-enqueues."""
from __future__ import annotations

import datetime as dt
import functools
import json

from common.core import faults, tracing
from common.core.errors import Unavailable
from common.core.settings import get_settings

# Local stacks, where no OIDC token exists, prove an internal delivery with a shared secret (api/auth.py).
INTERNAL_HEADER = "X-Internal-Secret"


def internal_headers() -> dict:
    """Headers our own deliveries (the local tasks queue, the finalize relay, the scheduler) must send."""
    secret = get_settings().access.internal_secret.get_secret_value()
    return {INTERNAL_HEADER: secret} if secret else {}


@functools.lru_cache(maxsize=1)
def client():
    from google.cloud import tasks_v2

    tracing.instrument("grpc")
    settings = get_settings()
    if settings.tasks.cloud_tasks_emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import (
            CloudTasksGrpcTransport,
        )

        channel = grpc.insecure_channel(settings.tasks.cloud_tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def enqueue_scan(job_id: str, delay_s: float = 0) -> None:
    """Ask Cloud Tasks to POST {job_id} to run_scan's task entry point."""
    settings = get_settings()
    # Cloud Run functions may run up to 60 min; the default 10 min deadline would re-deliver mid-run.
    _create(settings.tasks.tasks_queue, f"scan-{job_id}", settings.tasks.run_scan_task_url, {"job_id": job_id}, delay_s, 1800,
            "scan")


def enqueue_notify(job_id: str, channel: str, attempt: int, delay_s: float = 0) -> None:
    """Ask Cloud Tasks to POST one notification delivery to the notify function, on its own queue."""
    settings = get_settings()
    _create(settings.tasks.notify_queue, f"notify-{channel}-{job_id}-{attempt}", settings.tasks.notify_task_url,
            {"job_id": job_id, "channel": channel, "attempt": attempt}, delay_s, 120, "notification")


def _create(queue_name: str, task_id: str, url: str, body: dict, delay_s: float, deadline_s: int, what: str) -> None:
    """Create a named task (production refuses a second one of the same name: a re-enqueue is a no-op)."""
    from google.api_core import exceptions as gexc
    from google.cloud import tasks_v2
    from google.protobuf import timestamp_pb2

    settings = get_settings()
    queue = client().queue_path(settings.cloud.google_cloud_project, settings.tasks.tasks_region, queue_name)
    http_request = {
        "http_method": tasks_v2.HttpMethod.POST,
        "url": url,
        "headers": {"Content-Type": "application/json", **internal_headers()},
        "body": json.dumps(body).encode(),
    }
    if settings.tasks.tasks_service_account:
        http_request["oidc_token"] = {"service_account_email": settings.tasks.tasks_service_account, "audience": url}
    task = {"name": f"{queue}/tasks/{task_id}", "http_request": http_request,
            "dispatch_deadline": {"seconds": deadline_s}}
    if delay_s:
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay_s))
        task["schedule_time"] = ts
    with tracing.span("tasks.enqueue", queue=queue_name, task=task_id) as sp:
        # The trace travels with the task: its run joins the trace of the request that queued it.
        http_request["headers"].update(tracing.headers())
        try:
            client().create_task(parent=queue, task=task, timeout=10)
        except gexc.AlreadyExists:
            if sp is not None:
                sp.set_attribute("task.existed", True)  # the point of naming it: a re-enqueue is a no-op
        except faults.store_retryable() as exc:
            raise Unavailable(f"could not enqueue the {what}: {exc}", code="QUEUE_UNAVAILABLE") from None
